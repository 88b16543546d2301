"""A function for the X-Ray tests: prints the trace header the runtime set for the invocation."""

from __future__ import annotations

import os
from typing import Any

from lambda_otel_lite import init_telemetry, instrumented

tracer, provider = init_telemetry("e2e")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    print("X-RAY", os.environ.get("_X_AMZN_TRACE_ID"), flush=True)
    return {"statusCode": 200}
