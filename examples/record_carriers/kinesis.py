"""A Kinesis consumer whose producers put the trace context in the record's data.

Kinesis records have no attributes: the producer writes ``{"trace": {"traceparent": ...}, ...}`` as
the data. One registration tells lambda-otel-lite where to look; each record's span then links its
producer, and so does the batch span.

Run it locally:
``lambda-otel-lite invoke examples/record_carriers/kinesis.py:handler --event examples/record_carriers/kinesis.json``
"""

from __future__ import annotations

import json
from typing import Any

from lambda_otel_lite import instrumented, json_record_carrier, process_records, register_record_carrier_extractor
from lambda_otel_lite.events import KinesisStreamEvent, KinesisStreamRecord

# --8<-- [start:register]
register_record_carrier_extractor("kinesis", json_record_carrier("trace"))
# --8<-- [end:register]


def save_reading(record: KinesisStreamRecord) -> None:
    reading = json.loads(record.kinesis.decoded_text)
    print(f"sensor {reading['sensor']}: {reading['value']}")


@instrumented
def handler(event: KinesisStreamEvent, context: Any) -> dict[str, Any]:
    return process_records(event, save_reading)
