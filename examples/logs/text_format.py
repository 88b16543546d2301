"""Logs tied to traces with Lambda's text log format: the trace and span ids added to the format.

awslambdaric's text format names only its own fields, so the ids are on each record but not in the
line. One formatter on the root logger's handler (awslambdaric's) puts them there.
"""

from __future__ import annotations

import logging
from typing import Any

from lambda_otel_lite import init_telemetry, instrumented

tracer, provider = init_telemetry()

# --8<-- [start:formatter]
# awslambdaric's text format, with the trace and span ids before the message. The defaults keep
# the format working for records made without them (LAMBDA_OTEL_LITE_LOG_CORRELATION=false).
LAMBDA_TEXT_WITH_IDS = logging.Formatter(
    "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t"
    "trace_id=%(otelTraceID)s span_id=%(otelSpanID)s\t%(message)s\n",
    "%Y-%m-%dT%H:%M:%S",
    defaults={"aws_request_id": "", "otelTraceID": "0", "otelSpanID": "0"},
)
for log_handler in logging.getLogger().handlers:  # in Lambda: the runtime's one handler
    log_handler.setFormatter(LAMBDA_TEXT_WITH_IDS)
# --8<-- [end:formatter]

logger = logging.getLogger("orders")
logger.setLevel(logging.INFO)


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.info("loading order %s", event.get("order_id"))
    return {"order_id": event.get("order_id"), "status": "shipped"}
