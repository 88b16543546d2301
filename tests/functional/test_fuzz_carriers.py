"""Fuzzed trace carriers: a valid W3C context is honoured whatever the header's case or shape;
anything else gives a root span, never an error."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_otel_lite import init_telemetry, traced_handler
from lambda_otel_lite.testing import LambdaContext
from tests.support import StdoutTelemetry

HEX = "0123456789abcdef"
VALID = re.compile(r"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$")

valid_traceparent = st.builds(
    lambda trace_id, span_id, flags: f"00-{trace_id}-{span_id}-{flags}",
    st.text(HEX, min_size=32, max_size=32).filter(lambda value: value != "0" * 32),
    st.text(HEX, min_size=16, max_size=16).filter(lambda value: value != "0" * 16),
    st.sampled_from(["01", "03"]),  # sampled: the span is exported
)
garbage = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"0[0-9a-f]-[0-9a-fA-FxX]{30,34}-[0-9a-f]{14,18}-[0-9a-f]{1,3}", fullmatch=True),
    st.just("00-00000000000000000000000000000000-0000000000000000-01"),
    st.just("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
)
header_name = st.sampled_from(["traceparent", "Traceparent", "TRACEPARENT", "TraceParent"])
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def run(event: Any, stdout_telemetry: StdoutTelemetry) -> Any:
    tracer, provider = init_telemetry("carriers")
    with traced_handler(tracer, provider, "handler", event, LambdaContext()):
        pass
    (span,) = stdout_telemetry.spans()
    return span


@FUZZ
@given(
    traceparent=valid_traceparent,
    name=header_name,
    multi=st.booleans(),
    junk=st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3),
    tracestate=st.text(max_size=40),
    baggage=st.text(max_size=40),
)
def test_a_valid_traceparent_is_honoured_in_any_case_single_or_multi_value(
    traceparent: str,
    name: str,
    multi: bool,
    junk: dict[str, str],
    tracestate: str,
    baggage: str,
    stdout_telemetry: StdoutTelemetry,
) -> None:
    headers: dict[str, Any] = {key: value for key, value in junk.items() if key.lower() not in ("traceparent",)}
    headers.update({name: traceparent, "tracestate": tracestate, "baggage": baggage})
    event = {"headers": {key: [value] for key, value in headers.items()} if multi else headers}
    span = run(event, stdout_telemetry)
    _, trace_id, span_id, _ = traceparent.split("-")
    assert (span.trace_id, span.parent_span_id) == (trace_id, span_id)


@FUZZ
@given(traceparent=garbage, name=header_name)
def test_anything_else_gives_a_root_span(traceparent: str, name: str, stdout_telemetry: StdoutTelemetry) -> None:
    span = run({"headers": {name: traceparent}}, stdout_telemetry)
    if VALID.match(traceparent.strip().lower()):  # the regex strategy can hit a valid one
        assert span.parent_span_id == traceparent.strip().lower().split("-")[2]
    else:
        assert span.parent_span_id is None


@FUZZ
@given(
    aws_trace_header=st.text(max_size=80),
    carrier_values=st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=20)), max_size=3),
)
def test_xray_headers_and_odd_carrier_values_never_raise(
    aws_trace_header: str, carrier_values: list[Any], stdout_telemetry: StdoutTelemetry
) -> None:
    event = {"headers": {"X-Amzn-Trace-Id": aws_trace_header, "traceparent": carrier_values}}
    span = run(event, stdout_telemetry)
    assert span.name == "handler"
