"""A function whose only processor is a BatchSpanProcessor that holds spans until shutdown."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace.export import BatchSpanProcessor
from otlp_stdout_span_exporter import OTLPStdoutSpanExporter

from lambda_otel_lite import init_telemetry, instrumented

# A schedule far longer than the test: only the SIGTERM flush can export these spans.
processor = BatchSpanProcessor(OTLPStdoutSpanExporter(), schedule_delay_millis=3_600_000, max_export_batch_size=512)
tracer, provider = init_telemetry("batching", span_processors=[processor])

with tracer.start_as_current_span("init"):  # a span of the init phase, queued before any invocation
    pass


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with tracer.start_as_current_span("child"):
        pass
    return {"statusCode": 200}
