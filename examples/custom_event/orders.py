"""Your own event type: a pydantic model, and a carrier extractor registered for it.

The producer (e.g. a Step Functions task or a custom integration) puts the W3C trace headers in
the event's ``traceHeaders``; the extractor tells lambda-otel-lite where to find them.

Run it locally:
``lambda-otel-lite invoke examples/custom_event/orders.py:handler --event examples/custom_event/event.json``
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from pydantic import BaseModel, Field

from lambda_otel_lite import instrumented, register_carrier_extractor


class OrderItem(BaseModel):
    sku: str
    quantity: int = Field(gt=0)


class OrderEvent(BaseModel):
    order_id: str = Field(alias="orderId")
    items: list[OrderItem]
    trace_headers: dict[str, str] = Field(default_factory=dict, alias="traceHeaders")


@register_carrier_extractor(OrderEvent)
def order_carrier(event: OrderEvent) -> dict[str, str]:
    return event.trace_headers


tracer = trace.get_tracer("orders")


@instrumented("process order")
def handler(event: OrderEvent, context: Any) -> dict[str, Any]:
    for item in event.items:
        with tracer.start_as_current_span("reserve stock") as span:
            span.set_attribute("order.sku", item.sku)
            span.set_attribute("order.quantity", item.quantity)
    return {"orderId": event.order_id, "status": "accepted"}
