"""lambda-otel-lite (this project), the decorator on a typed HTTP API (v2) event."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from workload import RESPONSE, make_children

from lambda_otel_lite import instrumented
from lambda_otel_lite.events import APIGatewayProxyEventV2


@instrumented
def handler(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
    make_children(tracer, int((event.query_string_parameters or {}).get("children", "0")))
    return RESPONSE


tracer = trace.get_tracer("orders-api")  # after the decorator ran init_telemetry()
