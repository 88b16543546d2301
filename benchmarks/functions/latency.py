"""The functions of benchmarks/response_latency.py; each stamps its return time in the response.

``handler`` (instrumented) makes N child spans; ``plain`` (no telemetry at all) spins for as long as
the event says, the control that shows what the same amount of work before returning costs the
response path on this machine with no telemetry involved.
"""

from __future__ import annotations

import time
from typing import Any

from lambda_otel_lite import init_telemetry, instrumented

tracer, provider = init_telemetry("latency")


def _stamped(started_ns: int) -> dict[str, Any]:
    # CLOCK_MONOTONIC is one clock for every process of the machine: the local runtime compares it
    # with the arrival of the response POST. Whatever runs after this line is measured.
    now = time.monotonic_ns()
    return {"statusCode": 200, "work_ns": now - started_ns, "returned_ns": now}


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started_ns = time.monotonic_ns()
    for index in range(int(event["children"])):
        with tracer.start_as_current_span("child") as span:
            span.set_attribute("child.index", index)
    return _stamped(started_ns)


def plain(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started_ns = time.monotonic_ns()
    until = started_ns + int(event["work_ns"])
    while time.monotonic_ns() < until:
        pass
    return _stamped(started_ns)
