"""Function B of the Lambda scenario: invoked by another function with ``{"order": {...}}``.

Lambda ``Invoke`` has no place for a trace context but the payload: the caller's context comes in
the payload's ``headers`` object, which the handler never reads.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

from lambda_otel_lite import instrumented

tracer = trace.get_tracer("orders-worker")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with tracer.start_as_current_span("save order") as span:
        span.set_attribute("order.id", str(event["order"]["id"]))
    return {"saved": event["order"]["id"]}
