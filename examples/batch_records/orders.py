"""An SQS consumer with a span per message and a partial batch response, from ``process_records``.

Run it locally:
``lambda-otel-lite invoke examples/batch_records/orders.py:handler --event examples/batch_records/event.json``
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import trace

from lambda_otel_lite import instrumented, process_records
from lambda_otel_lite.events import SQSEvent, SQSRecord

tracer = trace.get_tracer("orders-worker")


def save_order(record: SQSRecord) -> None:
    order = json.loads(record.body)  # a body that is not JSON fails this record only
    with tracer.start_as_current_span("save order") as span:  # a child of the message's span
        span.set_attribute("order.id", str(order["id"]))


@instrumented
def handler(event: SQSEvent, context: Any) -> dict[str, Any]:
    # Each message in its own span, linked to its producer; a failing message is ERROR on its span
    # and named in the response, so SQS retries only that one.
    return process_records(event, save_order)
