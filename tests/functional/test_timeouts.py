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
from lambda_otel_lite._state import STATE
from lambda_otel_lite._timeouts import WATCHDOG, OpenSpans
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
    open_spans = STATE.open_spans
    assert isinstance(open_spans, OpenSpans)
    with tracer.start_as_current_span("outer") as outer, tracer.start_as_current_span("inner"):
        assert len(open_spans.take(outer.get_span_context().trace_id, None)) == 2
    with tracer.start_as_current_span("again") as again:
        pass
    assert open_spans.take(again.get_span_context().trace_id, None) == []


def test_record_spans_entered_before_during_and_after_a_timeout_are_each_exported_once(
    monkeypatch: pytest.MonkeyPatch, stdout_telemetry: StdoutTelemetry
) -> None:
    """Before: ended with the invocation, as it was. During: cut short. After: ends itself, exported once."""
    from lambda_otel_lite import traced_records
    from lambda_otel_lite.testing import sample_event

    monkeypatch.setenv("LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS", "200")
    init_telemetry("orders")
    event = sample_event("sqs")
    event["Records"] = [dict(event["Records"][0], messageId=f"m-{n}") for n in range(3)]
    left: list[str] = []

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        invocation_span = trace.get_current_span()
        for record, span in traced_records(event):
            try:
                with span:
                    if record["messageId"] == "m-0":
                        raise ValueError("before the timeout, failed")
                    if record["messageId"] == "m-1":
                        wait_until_ended(trace.get_current_span())  # the watchdog cut it short
                        # ... and then ends the invocation span: once it has, the return's flush (which
                        # waits for the watchdog's export) finds it exported or queued
                        wait_until_ended(invocation_span)
            except ValueError:
                pass
            left.append(record["messageId"])
        return {"batchItemFailures": []}

    assert handler(event, LambdaContext(timeout_millis=600)) == {"batchItemFailures": []}
    assert left == ["m-0", "m-1", "m-2"]
    spans = stdout_telemetry.spans()
    (root,) = [span for span in spans if "faas.invocation_id" in span.attributes]
    records = [span for span in spans if span.parent_span_id == root.span_id]
    assert (root.status, root.attributes["error.type"]) == ("ERROR", "timeout")
    assert Counter(span.span_id for span in spans).most_common(1)[0][1] == 1, "a span was exported twice"
    statuses = {
        span.attributes["messaging.message.id"]: (span.status, span.attributes.get("error.type")) for span in records
    }
    assert statuses == {
        "m-0": ("ERROR", "ValueError"),
        "m-1": ("ERROR", "timeout"),
        "m-2": ("UNSET", None),
    }
    assert WATCHDOG.running() == []
    from lambda_otel_lite._state import STATE

    assert STATE.open_spans is not None
    assert STATE.open_spans._open == {}  # nothing left tracked for good


@pytest.mark.usefixtures("lenient")
def test_a_watchdog_thread_that_dies_is_logged_once_and_restarted(
    monkeypatch: pytest.MonkeyPatch, stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS", "200")
    init_telemetry("orders")
    real = WATCHDOG._next
    failures = [RuntimeError("a bug in the watchdog's loop")]

    def failing_once(armed: Any) -> Any:
        if failures:
            raise failures.pop()
        return real(armed)

    monkeypatch.setattr(WATCHDOG, "_next", failing_once)

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        wait_until_ended(trace.get_current_span())  # ended by the restarted thread
        return {"statusCode": 200}

    with caplog.at_level(logging.WARNING, logger="lambda_otel_lite"):
        assert handler(copy.deepcopy(EVENT), LambdaContext(timeout_millis=600)) == {"statusCode": 200}
    (span,) = stdout_telemetry.spans()
    assert (span.status, span.attributes["error.type"]) == ("ERROR", "timeout")
    died = [r for r in caplog.records if "watchdog's thread failed" in r.getMessage()]
    assert len(died) == 1
    assert WATCHDOG.restarts == 1
