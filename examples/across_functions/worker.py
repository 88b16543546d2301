"""The orders worker: an SQS consumer, one span per message, each linked to the API's ``send orders`` span.

The invocation span stands for the batch, in a trace of its own, with a link to the producer span
of each message that carries a context (its ``traceparent`` message attribute). ``process_records``
gives each message a span of its own, a child of the batch span with the same link, and names the
messages that failed in a partial batch response.

Run it with the API against moto: see README.md.
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import trace

from lambda_otel_lite import instrumented, process_records
from lambda_otel_lite.events import SQSEvent, SQSRecord

tracer = trace.get_tracer("orders-worker")


def save_order(record: SQSRecord) -> None:
    order = json.loads(record.body)
    with tracer.start_as_current_span("save order") as span:  # a child of the message's span
        span.set_attribute("order.id", str(order["id"]))


@instrumented
def handler(event: SQSEvent, context: Any) -> dict[str, Any]:
    return process_records(event, save_order)
