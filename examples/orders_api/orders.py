"""An HTTP API (payload 2.0) handler traced with the decorator and a typed event.

Run it locally: ``lambda-otel-lite invoke examples/orders_api/orders.py:handler --event examples/orders_api/event.json``
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import trace

from lambda_otel_lite import instrumented
from lambda_otel_lite.events import APIGatewayProxyEventV2

tracer = trace.get_tracer("orders")

ORDERS = {"42": {"id": "42", "item": "book", "quantity": 2}}


def load_order(order_id: str) -> dict[str, Any] | None:
    with tracer.start_as_current_span("load_order") as span:
        span.set_attribute("order.id", order_id)
        return ORDERS.get(order_id)


@instrumented
def handler(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
    order_id = (event.path_parameters or {}).get("id", "")
    order = load_order(order_id)
    if order is None:
        return {"statusCode": 404, "body": json.dumps({"error": f"no order {order_id}"})}
    return {"statusCode": 200, "body": json.dumps(order)}
