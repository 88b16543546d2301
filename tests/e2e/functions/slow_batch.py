"""A function for the timeout tests of record spans: one record fails before the watchdog fires, one
runs past it, one starts after it; the handler returns before the deadline."""

from __future__ import annotations

import os
import time
from typing import Any

from lambda_otel_lite import init_telemetry, instrumented, traced_records

tracer, provider = init_telemetry("e2e")
MARGIN_S = int(os.environ["LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS"]) / 1000


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record, span in traced_records(event):
        try:
            with span:
                if record["messageId"] == "before":
                    raise ValueError("failed before the timeout")
                if record["messageId"] == "during":
                    # until 0.2 s past the watchdog's moment (the deadline less the margin), well before the deadline
                    time.sleep(max(context.get_remaining_time_in_millis() / 1000 - MARGIN_S + 0.2, 0.0))
        except ValueError:
            pass
    return {"batchItemFailures": []}
