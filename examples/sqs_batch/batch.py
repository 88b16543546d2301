"""An SQS batch consumer: one CONSUMER span per batch, linked to each producer's trace.

Run it locally: ``lambda-otel-lite invoke examples/sqs_batch/batch.py:handler --event examples/sqs_batch/event.json``
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import trace

from lambda_otel_lite import instrumented
from lambda_otel_lite.events import SQSEvent

tracer = trace.get_tracer("orders-worker")


@instrumented
def handler(event: SQSEvent, context: Any) -> dict[str, Any]:
    failures = []
    for record in event.records:
        with tracer.start_as_current_span("process message") as span:
            span.set_attribute("messaging.message.id", record.message_id)
            try:
                json.loads(record.body)
            except ValueError:
                failures.append({"itemIdentifier": record.message_id})
    # Partial batch response: SQS retries only the failed messages.
    return {"batchItemFailures": failures}
