"""The OTel SDK floor: a TracerProvider whose only processor drops every span (span creation alone)."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind
from workload import RESPONSE, children, make_children


class Drop(SpanProcessor):
    pass


provider = TracerProvider()
provider.add_span_processor(Drop())
tracer = provider.get_tracer("sdk-floor")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with tracer.start_as_current_span("GET /orders/{id}", kind=SpanKind.SERVER):
        make_children(tracer, children(event))
        return RESPONSE
