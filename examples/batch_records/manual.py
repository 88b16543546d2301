"""The same consumer with ``traced_records``: the handler builds the partial batch response itself,
as Powertools' ``BatchProcessor`` would; the messages it names get status ERROR all the same.

Run it locally:
``lambda-otel-lite invoke examples/batch_records/manual.py:handler --event examples/batch_records/event.json``
"""

from __future__ import annotations

import json
from typing import Any

from lambda_otel_lite import instrumented, traced_records


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record, span in traced_records(event):
        with span:
            try:
                json.loads(record["body"])
            except ValueError:
                failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
