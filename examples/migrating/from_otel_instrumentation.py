"""Before: opentelemetry-instrumentation-aws-lambda with the OTLP stdout exporter (for comparison).

This file shows the setup that ``examples/orders_api/orders.py`` replaces; it needs
``opentelemetry-instrumentation-aws-lambda``, which lambda-otel-lite does not depend on.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.aws_lambda import AwsLambdaInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from otlp_stdout_span_exporter import OTLPStdoutSpanExporter

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(OTLPStdoutSpanExporter()))
trace.set_tracer_provider(provider)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200}


# Wraps the function named by _HANDLER (or ORIG_HANDLER) and force-flushes after every invocation.
AwsLambdaInstrumentor().instrument(tracer_provider=provider)
