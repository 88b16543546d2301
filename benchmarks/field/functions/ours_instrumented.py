"""lambda-otel-lite (this project), the decorator on an untyped (dict) event."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from workload import RESPONSE, children, make_children

from lambda_otel_lite import instrumented


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    make_children(tracer, children(event))
    return RESPONSE


tracer = trace.get_tracer("orders-api")  # after the decorator ran init_telemetry()
