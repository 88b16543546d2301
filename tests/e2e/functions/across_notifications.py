"""Function B of the SNS scenario: an SQS consumer of a queue subscribed to the orders topic.

With raw message delivery the message body is the order; without, it is the SNS notification
(JSON) whose ``Message`` is the order.
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import trace

from lambda_otel_lite import instrumented, process_records
from lambda_otel_lite.events import SQSEvent, SQSRecord

tracer = trace.get_tracer("orders-notifications")


def save_order(record: SQSRecord) -> None:
    message = json.loads(record.body)
    if message.get("Type") == "Notification":  # SNS's envelope: no raw message delivery
        message = json.loads(message["Message"])
    with tracer.start_as_current_span("save order") as span:
        span.set_attribute("order.id", str(message["id"]))


@instrumented
def handler(event: SQSEvent, context: Any) -> dict[str, Any]:
    return process_records(event, save_order)
