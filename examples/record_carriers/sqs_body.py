"""An SQS consumer whose producers put the trace context in the message body, not in its attributes.

Some producers cannot set message attributes (a service that forwards only the body, an
EventBridge Pipes target, a client library without them). A registered extractor reads the body;
the message attributes and ``AWSTraceHeader`` still serve a message whose body carries none.

Run it locally:
``lambda-otel-lite invoke examples/record_carriers/sqs_body.py:handler --event examples/record_carriers/sqs_body.json``
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import baggage

from lambda_otel_lite import instrumented, register_record_carrier_extractor, traced_records


# --8<-- [start:extractor]
@register_record_carrier_extractor("sqs")
def from_body(record: dict[str, Any]) -> dict[str, str] | None:
    """The producer wrote ``{"headers": {"traceparent": ..., "baggage": ...}, "order": {...}}``."""
    try:
        message = json.loads(record["body"])
    except ValueError:
        return None  # not JSON: the message attributes are read instead
    headers = message.get("headers") if isinstance(message, dict) else None
    return headers if isinstance(headers, dict) else None


# --8<-- [end:extractor]


# --8<-- [start:handler]
@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record, span in traced_records(event):
        try:
            with span:  # linked to the producer; its baggage is current here
                order = json.loads(record["body"])["order"]
                print(f"order {order['id']} for tenant {baggage.get_baggage('tenant')}")
        except (ValueError, KeyError):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


# --8<-- [end:handler]
