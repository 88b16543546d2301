"""Finalize mode: your own BatchSpanProcessor exports on its own schedule; SIGTERM flushes the rest.

Run it locally (``--shutdown`` ends with Lambda's shutdown phase, which flushes the batch):
``lambda-otel-lite invoke examples/finalize_batch/report.py:handler --event examples/finalize_batch/event.json
--mode finalize --times 2 --shutdown``
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace.export import BatchSpanProcessor
from otlp_stdout_span_exporter import OTLPStdoutSpanExporter

from lambda_otel_lite import init_telemetry, instrumented

# LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE=finalize: lambda-otel-lite exports nothing per invocation;
# the batch processor does, every 5 s or 512 spans, and on the SIGTERM of Lambda's shutdown.
tracer, provider = init_telemetry("report", span_processors=[BatchSpanProcessor(OTLPStdoutSpanExporter())])


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for row in range(int(event.get("rows", 0))):
        with tracer.start_as_current_span("render row") as span:
            span.set_attribute("report.row", row)
    return {"job": event.get("job"), "rows": event.get("rows", 0)}
