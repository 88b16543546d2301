"""One pipeline with ``opentelemetry-instrument`` or the OpenTelemetry Lambda layer.

Both set the global tracer provider before this module is imported, and the instrumentations they
load (botocore, requests, ...) take their tracers from it. ``init_telemetry(tracer_provider=...)``
adopts that provider: lambda-otel-lite's processor joins it, and the processing mode flushes it
after each invocation, so the instrumentations' client spans and the invocation span are exported
together, in one trace, with the provider's own resource.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

from lambda_otel_lite import init_telemetry, instrumented

# --8<-- [start:adopt]
# Adopt the provider set before; with none set (a local run, a test) this builds lambda-otel-lite's own.
tracer, provider = init_telemetry("inventory", tracer_provider=trace.get_tracer_provider())
# --8<-- [end:adopt]

# A tracer as an instrumentation (botocore, requests, ...) takes one: from the global provider.
client = trace.get_tracer("inventory.client")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with client.start_as_current_span("GET /stock", kind=trace.SpanKind.CLIENT) as span:
        span.set_attribute("http.request.method", "GET")
    return {"statusCode": 200}
