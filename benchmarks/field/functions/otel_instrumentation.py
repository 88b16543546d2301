"""opentelemetry-instrumentation-aws-lambda with a BatchSpanProcessor and the OTLP stdout exporter.

The instrumentor wraps the function named by ORIG_HANDLER (this module's ``handler``) and force-
flushes the provider at the end of every invocation.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.aws_lambda import AwsLambdaInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from otlp_stdout_span_exporter import OTLPStdoutSpanExporter
from workload import RESPONSE, children, make_children

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(OTLPStdoutSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("orders-api")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    make_children(tracer, children(event))
    return RESPONSE


AwsLambdaInstrumentor().instrument(tracer_provider=provider)
