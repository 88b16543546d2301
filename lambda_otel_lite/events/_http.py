"""The HTTP API payload v2 shape, shared by HTTP APIs and Lambda Function URLs, and the HTTP API event.

``APIGatewayProxyEventV2`` is defined here rather than beside the REST API models in
:mod:`lambda_otel_lite.events.apigateway` (which re-exports it): a handler typed with it then
builds these three classes only, not the three REST API (payload v1) classes as well.
"""

from __future__ import annotations

from typing import Any, ClassVar

from lambda_otel_lite.events._base import EventModel, Headers


class RequestContextHttp(EventModel):
    """``requestContext.http``: the HTTP request as the endpoint received it."""

    method: str
    """The HTTP method, e.g. ``GET``."""
    path: str
    """The request path, e.g. ``/orders/42``."""
    protocol: str | None = None
    """The protocol, e.g. ``HTTP/1.1``."""
    source_ip: str | None = None
    """The client's IP address (the last proxy's, behind one)."""
    user_agent: str | None = None
    """The client's ``User-Agent``."""


class RequestContextV2(EventModel):
    """``requestContext`` of a payload v2 event."""

    account_id: str | None = None
    """The AWS account that owns the API or function."""
    api_id: str | None = None
    """The API's id (for a Function URL: the URL id)."""
    domain_name: str | None = None
    """The host name the request was sent to."""
    domain_prefix: str | None = None
    """The first label of ``domain_name``."""
    request_id: str | None = None
    """The endpoint's id for the request."""
    route_key: str | None = None
    """The matched route, e.g. ``GET /orders/{id}``, or ``$default``."""
    stage: str | None = None
    """The stage, e.g. ``$default`` or ``prod``."""
    time: str | None = None
    """The request time, as ``10/Mar/2020:05:16:23 +0000``."""
    time_epoch: int | None = None
    """The request time in milliseconds since the epoch."""
    http: RequestContextHttp
    """The HTTP request."""
    authorizer: dict[str, Any] | None = None
    """What the authorizer (JWT, Lambda or IAM) attached to the request."""
    authentication: dict[str, Any] | None = None
    """Mutual TLS client certificate details, when mTLS is on."""


class PayloadV2Event(EventModel):
    """Fields common to HTTP API (payload v2) and Function URL events."""

    version: str
    """The payload format version: ``2.0``."""
    route_key: str
    """The matched route, e.g. ``GET /orders/{id}``, or ``$default``."""
    raw_path: str
    """The request path as sent, e.g. ``/orders/42``."""
    raw_query_string: str = ""
    """The query string as sent, without ``?``."""
    cookies: list[str] | None = None
    """The request's cookies, one ``name=value`` per item."""
    headers: Headers | None = None
    """Request headers (lookups ignore case); repeated headers are comma-joined."""
    query_string_parameters: dict[str, str] | None = None
    """Query parameters; repeated ones are comma-joined."""
    path_parameters: dict[str, str] | None = None
    """Values of the route's path variables."""
    stage_variables: dict[str, str] | None = None
    """The stage's variables."""
    request_context: RequestContextV2
    """The request context."""
    body: str | None = None
    """The request body (base64 when ``is_base64_encoded``)."""
    is_base64_encoded: bool = False
    """Whether ``body`` is base64-encoded."""


class APIGatewayProxyEventV2(PayloadV2Event):
    """An API Gateway HTTP API request (payload format 2.0)."""

    source_key: ClassVar[str] = "apigateway-v2"
