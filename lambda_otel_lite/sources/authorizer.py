"""API Gateway Lambda authorizers: ``TOKEN`` and ``REQUEST`` (REST APIs, HTTP API payloads 1.0 and 2.0).

An authorizer is not the request it guards: API Gateway calls it *before* the route's integration,
with a description of the request (API Gateway Developer Guide, "Input to an API Gateway Lambda
authorizer", ``api-gateway-lambda-authorizer-input.html``; "Control access to HTTP APIs with AWS
Lambda authorizers", ``http-api-lambda-authorizer.html``), and returns a policy, not an HTTP
response. Its span therefore has none of the HTTP span's parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind

from lambda_otel_lite.sources._base import Attributes, EventSource
from lambda_otel_lite.sources.http import RestApiV1Source

if TYPE_CHECKING:
    from lambda_otel_lite._config import Config
    from lambda_otel_lite.semconv import AttributeNames

AUTHORIZER_TYPE = "lambda_otel_lite.authorizer.type"
"""The authorizer's type, ``TOKEN`` or ``REQUEST``: the conventions' registry has no key for it
(semantic conventions v1.44.0), so the key is in the library's own namespace."""

TYPES = ("TOKEN", "REQUEST")
"""The values of an authorizer event's ``type`` (a tuple: ``in`` compares, never hashes, a JSON value)."""

_REQUEST_HEADERS = RestApiV1Source()
"""Reads a ``REQUEST`` authorizer's headers as an HTTP request's are read (``multiValueHeaders`` too)."""


class AuthorizerSource(EventSource):
    """An API Gateway Lambda authorizer's event: ``type`` ``TOKEN`` or ``REQUEST``, with ``methodArn``
    (REST APIs, HTTP API payload 1.0) or ``routeArn`` (HTTP API payload 2.0).

    - ``faas.trigger`` ``other``: the authorizer is called by API Gateway, not by the HTTP request
      itself (``model/faas/registry.yaml``: ``http`` is "to provide an answer to an inbound HTTP
      request"; an authorizer answers API Gateway with a policy).
    - Kind SERVER (``docs/faas/aws-lambda.md``: a SERVER span for all events unless stated otherwise).
    - Named after the function (no ``{method} {route}``: the route belongs to the request's own span).
    - No HTTP attributes, and no HTTP status from the response (:attr:`EventSource.http` is False).
    - ``lambda_otel_lite.authorizer.type``: ``TOKEN`` or ``REQUEST``.
    - Parent: a ``REQUEST`` authorizer receives the caller's headers, whose trace context is the
      parent, as an HTTP request's is; a ``TOKEN`` authorizer receives the token alone, and starts
      a trace of its own.
    """

    __slots__ = ()
    key = "apigateway-authorizer"
    trigger = "other"
    kind = SpanKind.SERVER

    def carrier(self, event: Any) -> object:
        if isinstance(event, Mapping) and event.get("type") == "REQUEST":
            return _REQUEST_HEADERS.carrier(event)
        return None

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes, config: Config) -> str | None:
        kind = event.get("type") if isinstance(event, Mapping) else None
        if kind in TYPES:
            attributes[AUTHORIZER_TYPE] = kind
        return None  # named after the function
