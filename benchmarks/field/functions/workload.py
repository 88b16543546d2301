"""The work every traced subject does per invocation: N child spans with 5 attributes each."""

from __future__ import annotations

from typing import Any


def children(event: dict[str, Any]) -> int:
    """N, from the request's query string (``?children=N``)."""
    return int((event.get("queryStringParameters") or {}).get("children", "0"))


def make_children(tracer: Any, count: int) -> None:
    for index in range(count):
        with tracer.start_as_current_span("load_item") as span:
            span.set_attribute("item.index", index)
            span.set_attribute("item.sku", "SKU-0042")
            span.set_attribute("item.quantity", 2)
            span.set_attribute("item.price", 19.99)
            span.set_attribute("item.in_stock", True)


RESPONSE = {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": '{"ok": true}'}
