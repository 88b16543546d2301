"""lambda-otel-lite (this project), the seed's context-manager form."""

from __future__ import annotations

from typing import Any

from workload import RESPONSE, children, make_children

from lambda_otel_lite import init_telemetry, traced_handler

tracer, provider = init_telemetry("orders-api")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with traced_handler(tracer, provider, "GET /orders/{id}", event, context) as span:
        make_children(tracer, children(event))
        span.set_response(RESPONSE)
        return RESPONSE
