"""A small HTTP API handler traced with lambda-otel-lite's context manager."""

from __future__ import annotations

import json
from typing import Any

from lambda_otel_lite import init_telemetry, traced_handler

# Module level = the Lambda init phase: set telemetry up once.
tracer, provider = init_telemetry("quickstart")

ORDERS = {"42": {"id": "42", "item": "book", "quantity": 2}}


def load_order(order_id: str) -> dict[str, Any] | None:
    with tracer.start_as_current_span("load_order") as span:
        span.set_attribute("order.id", order_id)
        return ORDERS.get(order_id)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with traced_handler(tracer, provider, "GET /orders/{id}", event, context) as span:
        order_id = (event.get("pathParameters") or {}).get("id", "")
        order = load_order(order_id)
        if order is None:
            response = {"statusCode": 404, "body": json.dumps({"error": f"no order {order_id}"})}
        else:
            response = {"statusCode": 200, "body": json.dumps(order)}
        span.set_response(response)  # records http.status_code (5xx sets status ERROR)
        return response
