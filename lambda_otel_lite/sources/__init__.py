"""Event sources: how each kind of Lambda event becomes span attributes, a name, a kind, a carrier and links.

One module per trigger, mirroring :mod:`lambda_otel_lite.events`; :func:`detect_source` recognises
a raw event by its shape, and typed models name their source by key (``source_key``). Sources are
stateless functions of the event and of what the caller gives them (the attribute names of the
naming mode, the configuration): they never read the library's global state.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from lambda_otel_lite import _resets
from lambda_otel_lite.sources._base import Attributes, EventSource, header
from lambda_otel_lite.sources.http import AlbSource, FunctionUrlSource, HttpApiV2Source, RestApiV1Source
from lambda_otel_lite.sources.sqs import SqsSource

__all__ = [
    "ALB",
    "FUNCTION_URL",
    "GENERIC",
    "HTTP_API_V2",
    "REST_API_V1",
    "SQS",
    "Attributes",
    "EventSource",
    "detect_source",
    "header",
    "source_for_key",
]

GENERIC = EventSource()
HTTP_API_V2 = HttpApiV2Source()
REST_API_V1 = RestApiV1Source()
ALB = AlbSource()
FUNCTION_URL = FunctionUrlSource()
SQS = SqsSource()

_LOADED: dict[str, EventSource] = {
    source.key: source for source in (GENERIC, HTTP_API_V2, REST_API_V1, ALB, FUNCTION_URL, SQS)
}
_LAZY = {
    "sns": ("sns", "SnsSource"),
    "kinesis": ("kinesis", "KinesisSource"),
    "dynamodb": ("dynamodb", "DynamoDbSource"),
    "s3": ("s3", "S3Source"),
    "eventbridge": ("eventbridge", "EventBridgeSource"),
    "apigateway-authorizer": ("authorizer", "AuthorizerSource"),
}
"""Sources whose module is imported at their first event (or typed handler), not at init."""
_EAGER = frozenset(_LOADED)


@_resets.register
def _forget_lazy_sources() -> None:
    """Forget the sources loaded since import (their modules stay imported): as a fresh import has them."""
    for key in [key for key in _LOADED if key not in _EAGER]:
        del _LOADED[key]


KEYS = frozenset(_LOADED) | frozenset(_LAZY)
"""The key of every source; typed event models name theirs in ``source_key``."""


def source_for_key(key: str) -> EventSource | None:
    """The source named *key*, importing its module on first use; None for an unknown key."""
    source = _LOADED.get(key)
    if source is None and key in _LAZY:
        module, name = _LAZY[key]
        source = getattr(importlib.import_module(f"{__name__}.{module}"), name)()
        _LOADED[key] = source
    return source


def detect_source(event: object) -> EventSource:
    """Recognise the source of a raw event by its shape; unknown shapes give the generic source."""
    if type(event) is not dict and not isinstance(event, Mapping):  # a dict first: JSON events are dicts
        return GENERIC
    if event.get("type") in _AUTHORIZER_TYPES and ("methodArn" in event or "routeArn" in event):
        # Before the HTTP checks: a REQUEST authorizer's event describes the request it guards
        # (httpMethod, requestContext.http) without being that request.
        return source_for_key("apigateway-authorizer") or GENERIC
    context = event.get("requestContext")
    if type(context) is dict or isinstance(context, Mapping):
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
    if isinstance(records, list) and records and isinstance(records[0], Mapping):
        first = records[0]
        name = first.get("eventSource") or first.get("EventSource")
        key = _BY_EVENT_SOURCE.get(name) if isinstance(name, str) else None
        return (source_for_key(key) or GENERIC) if key else GENERIC
    if "detail-type" in event and "source" in event and "detail" in event:
        return source_for_key("eventbridge") or GENERIC
    return GENERIC


_AUTHORIZER_TYPES = ("TOKEN", "REQUEST")
"""An API Gateway Lambda authorizer's ``type``; with ``methodArn`` (REST APIs, HTTP API payload 1.0)
or ``routeArn`` (HTTP API payload 2.0), the event is the authorizer's."""

_BY_EVENT_SOURCE: dict[object, str] = {
    "aws:sqs": "sqs",
    "aws:sns": "sns",
    "aws:kinesis": "kinesis",
    "aws:dynamodb": "dynamodb",
    "aws:s3": "s3",
}
"""Batch events by the ``eventSource`` (SNS: ``EventSource``) of their first record."""
