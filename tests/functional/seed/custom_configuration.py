# The "Custom Configuration" code of the seed README, verbatim (the chained form; psutil swapped for
# os.getloadavg so the test needs no extra dependency).
import os
from lambda_otel_lite import init_telemetry
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

class MetricsProcessor(SpanProcessor):
    def on_start(self, span, parent_context=None):
        # Add metrics when span starts
        span.set_attribute("start_load_average", os.getloadavg()[0])

tracer, provider = init_telemetry(
    "my-lambda-function",
    span_processors=[
        MetricsProcessor(),  # First add metrics
        BatchSpanProcessor(  # Then export spans
            ConsoleSpanExporter()
        )
    ]
)
