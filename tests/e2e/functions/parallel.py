"""For the Managed Instances tests: ``{"children": N}`` spans of ``{"kib": K}`` KiB of random text; ``{"hold": s}``.

Big records (hundreds of KB, several per flush) from several processes at once are what can
interleave on a shared stdout. ``{"unlocked": true}`` turns the inter-process stdout lock off in
this process: the negative control of the tests.
"""

from __future__ import annotations

import os
import time
from typing import Any

from lambda_otel_lite import init_telemetry, instrumented

tracer, provider = init_telemetry("e2e")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("unlocked"):
        exporter: Any = provider._active_span_processor._span_processors[0].exporter  # type: ignore[attr-defined]
        exporter._stdout_lock = None
    for index in range(int(event.get("children", 0))):
        with tracer.start_as_current_span("child") as span:
            span.set_attribute("child.index", index)
            span.set_attribute("payload", os.urandom(int(event.get("kib", 0)) * 512).hex())
    time.sleep(float(event.get("hold", 0)))  # work that keeps this process busy: the next request goes elsewhere
    return {"statusCode": 200, "pid": os.getpid()}
