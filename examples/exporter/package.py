"""otlp-stdout-span-exporter's own exporter behind the LambdaSpanProcessor (protobuf encoding).

Run it locally: ``lambda-otel-lite invoke examples/exporter/package.py:handler --event examples/exporter/event.json``
"""

from __future__ import annotations

from typing import Any

from otlp_stdout_span_exporter import OTLPStdoutSpanExporter

from lambda_otel_lite import LambdaSpanProcessor, init_telemetry, instrumented

# The same record as the default StdoutSpanExporter; LambdaSpanProcessor still writes each one as
# a whole line. LAMBDA_OTEL_LITE_EXPORTER=otlp-stdout-span-exporter does the same without code.
tracer, provider = init_telemetry("orders-api", span_processors=[LambdaSpanProcessor(OTLPStdoutSpanExporter())])


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with tracer.start_as_current_span("price order") as span:
        span.set_attribute("order.items", len(event.get("items", [])))
    return {"statusCode": 200, "body": "priced"}
