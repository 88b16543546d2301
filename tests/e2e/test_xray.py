"""X-Ray under the real awslambdaric: the trace header is a link by default, the parent with xray-lambda."""

from __future__ import annotations

import re
from typing import Any

from lambda_otel_lite.local.decode import DecodedSpan, decode_lines
from lambda_otel_lite.local.runtime import LocalRuntime
from tests.e2e.support import runtime

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"
HTTP_EVENT: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "GET /x",
    "rawPath": "/x",
    "headers": {"traceparent": f"00-{TRACE}-{PARENT}-01"},
    "requestContext": {"http": {"method": "GET", "path": "/x"}},
}
XRAY_LAMBDA: dict[str, str | None] = {"OTEL_PROPAGATORS": "tracecontext,baggage,xray-lambda"}


def invoke(local: LocalRuntime, event: dict[str, Any]) -> tuple[DecodedSpan, tuple[str, str]]:
    """The invocation span, and the (trace id, segment id) of the header the runtime sent with it."""
    invocation = local.invoke(event)
    assert invocation.error is None, invocation.error
    spans, errors = decode_lines(local.stdout_lines())
    assert errors == []
    (span,) = [span for span in spans if span.attributes.get("faas.invocation_id") == invocation.request_id]
    header = next(entry.detail["line"] for entry in reversed(local.events) if "X-RAY " in entry.detail.get("line", ""))
    match = re.search(r"Root=1-([0-9a-f]{8})-([0-9a-f]{24});Parent=([0-9a-f]{16})", header)
    assert match is not None, header
    return span, (match[1] + match[2], match[3])


def test_a_sampled_trace_header_is_a_link_not_the_parent() -> None:
    with runtime("xray", "sync", xray_tracing=True) as local:
        span, (trace_id, segment) = invoke(local, {})
    assert span.parent_span_id is None
    assert span.trace_id != trace_id
    assert [(link.trace_id, link.span_id) for link in span.links] == [(trace_id, segment)]


def test_an_unsampled_trace_header_is_not_linked() -> None:
    with runtime("xray", "sync", xray_tracing=False) as local:
        span, _ = invoke(local, {})
    assert (span.parent_span_id, span.links) == (None, ())


def test_with_xray_lambda_the_trace_header_is_the_parent() -> None:
    with runtime("xray", "sync", xray_tracing=True, env=XRAY_LAMBDA) as local:
        span, (trace_id, segment) = invoke(local, {})
    assert (span.trace_id, span.parent_span_id) == (trace_id, segment)
    assert span.links == ()  # not linked as well


def test_with_xray_lambda_a_w3c_parent_is_never_replaced() -> None:
    for sampled in (False, True):
        with runtime("xray", "sync", xray_tracing=sampled, env=XRAY_LAMBDA) as local:
            span, (trace_id, segment) = invoke(local, HTTP_EVENT)
        assert (span.trace_id, span.parent_span_id) == (TRACE, PARENT)
        assert [(link.trace_id, link.span_id) for link in span.links] == ([(trace_id, segment)] if sampled else [])
