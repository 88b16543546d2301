"""A function for the timeout tests: a step that ends, then one that runs for ``{"seconds": s}``."""

from __future__ import annotations

import time
from typing import Any

from lambda_otel_lite import init_telemetry, instrumented

tracer, provider = init_telemetry("e2e")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with tracer.start_as_current_span("quick-step"):
        pass
    with tracer.start_as_current_span("slow-step"):
        time.sleep(float(event.get("seconds", 0)))  # the work that overruns the function's timeout
    return {"statusCode": 200}
