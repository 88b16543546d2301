"""A function for the end-to-end tests: ``process_records`` over any batch, whose last record fails.

Each record is processed in its span; the last one raises :class:`RecordFailed`. What Lambda gets is
what the trigger needs for a retry: a partial batch response naming that record (SQS, Kinesis,
DynamoDB Streams), or the invocation's error (every other trigger). An event that is not a batch
(EventBridge) makes ``process_records`` raise ``TypeError``.
"""

from __future__ import annotations

from typing import Any

from lambda_otel_lite import init_telemetry, instrumented, process_records

tracer, provider = init_telemetry("e2e-batch")


class RecordFailed(Exception):
    """The function's own exception: Lambda reports its name as the errorType."""


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records")
    last = records[-1] if isinstance(records, list) and records else None

    def handle(record: dict[str, Any]) -> None:
        with tracer.start_as_current_span("handle record"):  # a child of the record's span
            if record is last:
                raise RecordFailed("the last record of the batch cannot be processed")

    return process_records(event, handle)
