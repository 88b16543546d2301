"""The default exporter, configured in code: a faster gzip level and a ``level`` field for log filters.

Run it locally: ``lambda-otel-lite invoke examples/exporter/tuned.py:handler --event examples/exporter/event.json``
"""

from __future__ import annotations

from typing import Any

from lambda_otel_lite import LambdaSpanProcessor, StdoutSpanExporter, init_telemetry, instrumented

# The same arguments as otlp-stdout-span-exporter's OTLPStdoutSpanExporter; its environment
# variables (OTLP_STDOUT_SPAN_EXPORTER_*) still override them, as in that package.
exporter = StdoutSpanExporter(gzip_level=1, log_level="INFO")
tracer, provider = init_telemetry("orders-api", span_processors=[LambdaSpanProcessor(exporter)])


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with tracer.start_as_current_span("price order") as span:
        span.set_attribute("order.items", len(event.get("items", [])))
    return {"statusCode": 200, "body": "priced"}
