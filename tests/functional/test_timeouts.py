"""The timeout watchdog in process: the margin, its clamp, and a handler that returns inside the margin."""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import Counter
from typing import Any

import pytest
from opentelemetry import trace

from lambda_otel_lite import _config, init_telemetry, instrumented
from lambda_otel_lite._timeouts import OPEN_SPANS, WATCHDOG
from lambda_otel_lite.testing import LambdaContext
from tests.support import StdoutTelemetry

EVENT: dict[str, Any] = {"hello": "world"}


def wait_until_ended(span: trace.Span, bound_s: float = 10.0) -> None:
    """Block until *span* was ended by someone else (the watchdog thread)."""
    ended = threading.Event()
    deadline = time.monotonic() + bound_s
    while span.is_recording():
        assert time.monotonic() < deadline, "the watchdog did not fire"
        ended.wait(0.002)


def test_a_handler_returning_inside_the_margin_exports_nothing_twice(
    monkeypatch: pytest.MonkeyPatch, stdout_telemetry: StdoutTelemetry
) -> None:
    monkeypatch.setenv("LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS", "200")
    tracer, _ = init_telemetry("orders")

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with tracer.start_as_current_span("work") as work:
            wait_until_ended(work)  # the watchdog ended it (cut short) 200 ms before the deadline
        with tracer.start_as_current_span("after"):
            pass
        return {"statusCode": 200}

    assert handler(copy.deepcopy(EVENT), LambdaContext(timeout_millis=600)) == {"statusCode": 200}
    spans = stdout_telemetry.spans()
    assert Counter(span.name for span in spans) == {"test-function": 1, "work": 1, "after": 1}
    by_name = {span.name: span for span in spans}
    assert (
        by_name["test-function"].status_message
        == "Timeout: the invocation was still running 200 ms before its deadline"
    )
    assert by_name["work"].status == "ERROR"
    assert by_name["after"].status == "UNSET"  # ended after the timeout, exported when the handler returned
    assert WATCHDOG.running() == []


def test_a_margin_of_half_the_invocation_or_more_is_clamped_with_one_warning(
    stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    init_telemetry("orders")  # the default margin: 100 ms

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> None:
        wait_until_ended(trace.get_current_span())

    with caplog.at_level(logging.WARNING, logger="lambda_otel_lite"):
        handler(copy.deepcopy(EVENT), LambdaContext(timeout_millis=150))
        handler(copy.deepcopy(EVENT), LambdaContext(timeout_millis=150))
    spans = stdout_telemetry.spans()
    assert [span.status for span in spans] == ["ERROR", "ERROR"]
    message = spans[0].status_message
    assert message.startswith("Timeout: the invocation was still running 7")  # 150 // 2, less the ms that passed
    clamps = [r.getMessage() for r in caplog.records if "LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS=100" in r.getMessage()]
    assert len(clamps) == 1
    assert "half or more of the" in clamps[0]


@pytest.mark.parametrize("value", ["soon", "-5", "1.5"])
def test_a_bad_margin_warns_once_naming_variable_and_value_and_falls_back(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        margin = _config.load_config({"LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS": value}).timeout_margin_ms
    assert margin == 100
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS" in warning
    assert repr(value) in warning or value in warning


def test_an_invocation_without_a_deadline_is_never_timed_out(stdout_telemetry: StdoutTelemetry) -> None:
    init_telemetry("orders")

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        assert [invocation.deadline for invocation in WATCHDOG.running()] == [None]
        return {"statusCode": 200}

    handler(copy.deepcopy(EVENT), None)
    (span,) = stdout_telemetry.spans()
    assert span.status == "UNSET"
    assert WATCHDOG.running() == []


def test_spans_that_end_are_no_longer_tracked(stdout_telemetry: StdoutTelemetry) -> None:
    tracer, _ = init_telemetry("orders")
    with tracer.start_as_current_span("outer") as outer, tracer.start_as_current_span("inner"):
        assert len(OPEN_SPANS.take(outer.get_span_context().trace_id, None)) == 2
    with tracer.start_as_current_span("again") as again:
        pass
    assert OPEN_SPANS.take(again.get_span_context().trace_id, None) == []
