"""The function of benchmarks/response_latency.py: N child spans, then it stamps its return time."""

from __future__ import annotations

import time
from typing import Any

from lambda_otel_lite import init_telemetry, instrumented

tracer, provider = init_telemetry("latency")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for index in range(int(event["children"])):
        with tracer.start_as_current_span("child") as span:
            span.set_attribute("child.index", index)
    response: dict[str, Any] = {"statusCode": 200}
    # CLOCK_MONOTONIC is one clock for every process of the machine: the local runtime compares it
    # with the arrival of the response POST. @instrumented's own work after this line is measured.
    response["returned_ns"] = time.monotonic_ns()
    return response
