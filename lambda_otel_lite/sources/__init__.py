"""Event sources: how each kind of Lambda event becomes span attributes, a name, a kind, a carrier and links.

One module per trigger, mirroring :mod:`lambda_otel_lite.events`; :func:`detect_source` recognises
a raw event by its shape, and typed models name their source by key (``source_key``).
"""

from __future__ import annotations

from collections.abc import Mapping

from lambda_otel_lite.sources._base import Attributes, EventSource, header
from lambda_otel_lite.sources.http import AlbSource, FunctionUrlSource, HttpApiV2Source, RestApiV1Source
from lambda_otel_lite.sources.sqs import SqsSource

__all__ = [
    "ALB",
    "BY_KEY",
    "FUNCTION_URL",
    "GENERIC",
    "HTTP_API_V2",
    "REST_API_V1",
    "SQS",
    "Attributes",
    "EventSource",
    "detect_source",
    "header",
]

GENERIC = EventSource()
HTTP_API_V2 = HttpApiV2Source()
REST_API_V1 = RestApiV1Source()
ALB = AlbSource()
FUNCTION_URL = FunctionUrlSource()
SQS = SqsSource()

BY_KEY: dict[str, EventSource] = {
    source.key: source for source in (GENERIC, HTTP_API_V2, REST_API_V1, ALB, FUNCTION_URL, SQS)
}
"""Every source by its key; typed event models name theirs in ``event_source``."""


def detect_source(event: object) -> EventSource:
    """Recognise the source of a raw event by its shape; unknown shapes give the generic source."""
    if not isinstance(event, Mapping):
        return GENERIC
    context = event.get("requestContext")
    if isinstance(context, Mapping):
        if "http" in context and event.get("version") == "2.0":
            domain = context.get("domainName")
            if isinstance(domain, str) and ".lambda-url." in domain:
                return FUNCTION_URL
            return HTTP_API_V2
        if "elb" in context:
            return ALB
        if "httpMethod" in event:
            return REST_API_V1
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], Mapping):  # noqa: SIM102 - reads better
        if records[0].get("eventSource") == "aws:sqs":
            return SQS
    return GENERIC
