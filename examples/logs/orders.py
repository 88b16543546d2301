"""Logs tied to traces: a handler that logs with the standard library, nothing else to set up.

With the function's log format set to JSON (``AWS_LAMBDA_LOG_FORMAT=JSON``), each line the runtime
writes has ``otelTraceID``, ``otelSpanID``, ``otelTraceSampled`` and ``otelServiceName``.
"""

from __future__ import annotations

import logging
from typing import Any

from lambda_otel_lite import init_telemetry, instrumented

tracer, provider = init_telemetry()  # log correlation comes with it (LAMBDA_OTEL_LITE_LOG_CORRELATION)

logger = logging.getLogger("orders")
logger.setLevel(logging.INFO)  # Lambda's JSON format applies its own log level (AWS_LAMBDA_LOG_LEVEL) too


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.info("loading order %s", event.get("order_id"))  # the invocation span's ids
    with tracer.start_as_current_span("load_order"):
        logger.info("cache miss")  # the child span's id, the same trace id
    return {"order_id": event.get("order_id"), "status": "shipped"}
