"""Context propagation: parent_context > get_carrier > event headers, through the global propagators."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry import baggage, propagate
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from lambda_otel_lite import init_telemetry, traced_handler
from tests.support import StdoutTelemetry

HEADER_TRACE = "0af7651916cd43dd8448eb211c80319c"
HEADER_PARENT = "b7ad6b7169203331"
CARRIER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CARRIER_PARENT = "00f067aa0ba902b7"
EXPLICIT_TRACE = 0x11111111111111111111111111111111
EXPLICIT_PARENT = 0x2222222222222222


def traceparent(trace_id: str, span_id: str) -> str:
    return f"00-{trace_id}-{span_id}-01"


EVENT = {"headers": {"traceparent": traceparent(HEADER_TRACE, HEADER_PARENT)}}


def carrier(event: Any) -> dict[str, str]:
    return {"traceparent": traceparent(CARRIER_TRACE, CARRIER_PARENT)}


def parent_of(stdout_telemetry: StdoutTelemetry, **kwargs: Any) -> tuple[str, str | None]:
    tracer, provider = init_telemetry("t")
    with traced_handler(tracer, provider, "h", kwargs.pop("event", EVENT), None, **kwargs):
        pass
    (span,) = stdout_telemetry.spans()
    return span.trace_id, span.parent_span_id


@pytest.mark.parametrize("name", ["traceparent", "Traceparent", "TRACEPARENT"])
def test_headers_parent_the_span_whatever_their_case(name: str, stdout_telemetry: StdoutTelemetry) -> None:
    event = {"headers": {name: traceparent(HEADER_TRACE, HEADER_PARENT)}}
    assert parent_of(stdout_telemetry, event=event) == (HEADER_TRACE, HEADER_PARENT)


def test_multi_value_headers_are_read_when_headers_are_absent(stdout_telemetry: StdoutTelemetry) -> None:
    event = {
        "httpMethod": "GET",
        "requestContext": {},
        "headers": None,
        "multiValueHeaders": {"Traceparent": [traceparent(HEADER_TRACE, HEADER_PARENT)]},
    }
    assert parent_of(stdout_telemetry, event=event) == (HEADER_TRACE, HEADER_PARENT)


def test_get_carrier_wins_over_headers(stdout_telemetry: StdoutTelemetry) -> None:
    assert parent_of(stdout_telemetry, get_carrier=carrier) == (CARRIER_TRACE, CARRIER_PARENT)


def test_parent_context_wins_over_get_carrier_and_headers(stdout_telemetry: StdoutTelemetry) -> None:
    explicit = set_span_in_context(
        NonRecordingSpan(SpanContext(EXPLICIT_TRACE, EXPLICIT_PARENT, is_remote=True, trace_flags=TraceFlags(1)))
    )
    assert parent_of(stdout_telemetry, get_carrier=carrier, parent_context=explicit) == (
        f"{EXPLICIT_TRACE:032x}",
        f"{EXPLICIT_PARENT:016x}",
    )


def test_no_carrier_gives_a_root_span(stdout_telemetry: StdoutTelemetry) -> None:
    trace_id, parent = parent_of(stdout_telemetry, event={})
    assert parent is None
    assert trace_id not in (HEADER_TRACE, CARRIER_TRACE)


def test_baggage_from_headers_is_current_inside_the_handler(stdout_telemetry: StdoutTelemetry) -> None:
    tracer, provider = init_telemetry("t")
    event = {"headers": {**EVENT["headers"], "baggage": "tenant=acme"}}
    with traced_handler(tracer, provider, "h", event):
        seen = baggage.get_baggage("tenant")
    assert seen == "acme"


def test_the_globally_configured_propagator_is_used(stdout_telemetry: StdoutTelemetry) -> None:
    previous = propagate.get_global_textmap()

    class UpperCaseKeys(TraceContextTextMapPropagator):
        """Reads the trace context from a header of another name."""

        def extract(self, carrier: Any, context: Any = None, getter: Any = None) -> Any:
            return super().extract({"traceparent": carrier.get("x-custom-trace")}, context)

    propagate.set_global_textmap(UpperCaseKeys())
    try:
        event = {"headers": {"x-custom-trace": traceparent(CARRIER_TRACE, CARRIER_PARENT)}}
        assert parent_of(stdout_telemetry, event=event) == (CARRIER_TRACE, CARRIER_PARENT)
    finally:
        propagate.set_global_textmap(previous)
