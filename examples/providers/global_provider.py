"""The global tracer provider is the provider ``init_telemetry()`` set up.

Integrations written for the OpenTelemetry SDK take ``trace.get_tracer_provider()`` for an SDK
``TracerProvider``: they check its type, read its resource and add their span processors to it.
After ``init_telemetry()`` all of that works, and follows a later ``init_telemetry()``.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.logging import LoggingInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider

from lambda_otel_lite import init_telemetry, instrumented

logger = logging.getLogger(__name__)


class SlowSpanAlert(SpanProcessor):
    """A vendor-style processor: logs each span that took longer than a second."""

    def on_end(self, span: ReadableSpan) -> None:
        if span.start_time is not None and span.end_time is not None and span.end_time - span.start_time > 10**9:
            logger.warning("slow span: %s", span.name)


tracer, provider = init_telemetry()

# --8<-- [start:global]
global_provider = trace.get_tracer_provider()
assert isinstance(global_provider, TracerProvider)  # the SDK's type: integrations that check it accept it
service_name = global_provider.resource.attributes["service.name"]  # the resource init_telemetry() built
global_provider.add_span_processor(SlowSpanAlert())  # joins the active provider, as its own processors do
# --8<-- [end:global]

# --8<-- [start:logging]
# After init_telemetry(), so that the instrumentor reads lambda-otel-lite's resource: every log
# record gets otelServiceName, otelTraceID and otelSpanID for your formatter.
LoggingInstrumentor().instrument(inject_trace_context=True)
# --8<-- [end:logging]


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.info("handling %s", service_name)
    return {"statusCode": 200}
