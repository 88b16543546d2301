"""Everything after the handler returns is guarded, and a leaked invocation never blocks later ones."""

from __future__ import annotations

import copy
import logging
import threading
from typing import Any

import pytest
from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from lambda_otel_lite import init_telemetry, instrumented, traced_handler
from lambda_otel_lite._invocation import start_invocation
from lambda_otel_lite.testing import LambdaContext
from tests.support import StdoutTelemetry

EVENT: dict[str, Any] = {"version": "2.0", "rawPath": "/orders/42", "requestContext": {"http": {"method": "GET"}}}


def context(number: int) -> LambdaContext:
    return LambdaContext(aws_request_id=f"request-{number}")


class RaisingStatus:
    """A response whose ``status_code`` property raises (a lazy model, a bug in user code)."""

    @property
    def status_code(self) -> int:
        raise KeyError("status")


def test_a_raising_status_code_property_keeps_the_result_and_sync_mode_keeps_flushing(
    stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    init_telemetry("orders")
    reply = RaisingStatus()

    @instrumented
    def handler(event: dict[str, Any], lambda_context: Any) -> object:
        return reply

    @instrumented
    def healthy(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    with caplog.at_level(logging.WARNING, logger="lambda_otel_lite"):
        assert handler(copy.deepcopy(EVENT), context(1)) is reply
        (first,) = stdout_telemetry.spans()  # exported at once: the invocation completed
        assert handler(copy.deepcopy(EVENT), context(2)) is reply
        (second,) = stdout_telemetry.spans()
    assert "http.status_code" not in first.attributes
    assert [span.attributes["faas.invocation_id"] for span in (first, second)] == ["request-1", "request-2"]
    (warning,) = [r for r in caplog.records if "status code" in r.getMessage()]
    assert "RaisingStatus" in warning.getMessage()

    assert healthy(copy.deepcopy(EVENT), context(3)) == {"statusCode": 200}
    (later,) = stdout_telemetry.spans()
    assert (later.attributes["faas.invocation_id"], later.attributes["http.status_code"]) == ("request-3", 200)


@pytest.mark.usefixtures("lenient")
def test_an_exception_whose_str_raises_still_propagates_unchanged(stdout_telemetry: StdoutTelemetry) -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise ValueError("no text")

    error = Unprintable()
    init_telemetry("orders")

    @instrumented
    def handler(event: dict[str, Any], lambda_context: Any) -> None:
        raise error

    with pytest.raises(Unprintable) as raised:
        handler(copy.deepcopy(EVENT), context(1))
    assert raised.value is error
    (span,) = stdout_telemetry.spans()
    # no message to describe it; the type is still error.type (docs/general/recording-errors.md)
    assert (span.status, span.status_message) == ("ERROR", "")
    assert span.attributes["error.type"].endswith("Unprintable")


class _Raising(SpanProcessor):
    def __init__(self, where: str) -> None:
        self.where = where

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        if self.where == "start":
            raise RuntimeError("on_start failed")

    def on_end(self, span: ReadableSpan) -> None:
        if self.where == "end":
            raise RuntimeError("on_end failed")


@pytest.mark.usefixtures("lenient")
@pytest.mark.parametrize("where", ["start", "end"])
def test_a_span_processor_that_raises_never_reaches_the_handler(where: str, stdout_telemetry: StdoutTelemetry) -> None:
    from lambda_otel_lite import LambdaSpanProcessor, StdoutSpanExporter

    # The raising processor comes after ours, so ours still exports (on_end) or the span is never made (on_start).
    init_telemetry("orders", span_processors=[LambdaSpanProcessor(StdoutSpanExporter()), _Raising(where)])

    @instrumented
    def handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
        return {"statusCode": 201}

    for number in (1, 2):
        assert handler(copy.deepcopy(EVENT), context(number)) == {"statusCode": 201}
    spans = stdout_telemetry.spans()
    if where == "end":
        assert [s.attributes["faas.invocation_id"] for s in spans] == ["request-1", "request-2"]
    else:
        assert spans == []


def test_a_leaked_invocation_does_not_block_the_next_ones(stdout_telemetry: StdoutTelemetry) -> None:
    tracer, _ = init_telemetry("orders")
    # An invocation that never finishes through us: its span stays open and current in this thread.
    leaked = start_invocation(tracer, "leaked", EVENT, context(1))
    assert trace.get_current_span() is leaked.span

    @instrumented
    def handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    try:
        handler(copy.deepcopy(EVENT), context(2))
        handler(copy.deepcopy(EVENT), context(3))
    finally:
        context_api.detach(leaked.token)  # type: ignore[arg-type]  # the leak ends with this test
    spans = stdout_telemetry.spans()
    assert [s.attributes["faas.invocation_id"] for s in spans] == ["request-2", "request-3"]
    assert all(s.parent_span_id is None for s in spans)  # not children of the leaked span
    assert spans[0].trace_id != spans[1].trace_id


def test_a_nested_traced_handler_of_the_same_request_completes_with_the_outer_one(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    tracer, provider = init_telemetry("orders")

    @instrumented
    def handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
        with traced_handler(tracer, provider, "inner", event, lambda_context):
            pass
        assert stdout_telemetry.spans() == []  # the inner end did not flush the invocation
        return {"statusCode": 200}

    handler(copy.deepcopy(EVENT), context(1))
    spans = stdout_telemetry.spans()
    by_name = {s.name: s for s in spans}
    assert by_name["inner"].parent_span_id == next(s.span_id for s in spans if s.name != "inner")


def test_overlapping_invocations_in_two_threads_each_complete(stdout_telemetry: StdoutTelemetry) -> None:
    init_telemetry("orders")
    inside = threading.Barrier(2)

    @instrumented
    def handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
        inside.wait(10)  # both invocations are running at once
        return {"statusCode": 200}

    threads = [threading.Thread(target=handler, args=(copy.deepcopy(EVENT), context(n))) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    spans = stdout_telemetry.spans()
    assert sorted(s.attributes["faas.invocation_id"] for s in spans) == ["request-1", "request-2"]
    assert all(s.parent_span_id is None for s in spans)
