"""API Gateway events: REST APIs (payload v1) and HTTP APIs (payload v2).

The HTTP API models are defined with the payload v2 shape they share with Function URLs and
re-exported here on first access, so a handler typed with one kind builds the classes of that kind
only (every model class costs cold-start time).

Example:
    >>> from lambda_otel_lite.events import APIGatewayProxyEventV2
    >>> event = APIGatewayProxyEventV2.model_validate(raw_event)  # doctest: +SKIP
    >>> event.request_context.http.method  # doctest: +SKIP
    'GET'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from lambda_otel_lite._lazy import lazy_getattr
from lambda_otel_lite.events._base import EventModel, Headers, MultiValueHeaders

if TYPE_CHECKING:
    from lambda_otel_lite.events._http import APIGatewayProxyEventV2, RequestContextHttp, RequestContextV2

__all__ = [
    "APIGatewayProxyEvent",
    "APIGatewayProxyEventV2",
    "APIGatewayRequestContext",
    "APIGatewayRequestIdentity",
    "RequestContextHttp",
    "RequestContextV2",
]


class APIGatewayRequestIdentity(EventModel):
    """``requestContext.identity`` of a REST API event: who called."""

    source_ip: str | None = None
    """The client's IP address."""
    user_agent: str | None = None
    """The client's ``User-Agent``."""
    account_id: str | None = None
    """The caller's AWS account, for IAM-authorised requests."""
    caller: str | None = None
    """The caller's principal, for IAM-authorised requests."""
    user: str | None = None
    """The caller's user id, for IAM-authorised requests."""
    user_arn: str | None = None
    """The caller's ARN, for IAM-authorised requests."""
    api_key: str | None = None
    """The API key of the request, when API keys are required."""


class APIGatewayRequestContext(EventModel):
    """``requestContext`` of a REST API (payload v1) event."""

    account_id: str | None = None
    """The AWS account that owns the API."""
    api_id: str | None = None
    """The API's id."""
    stage: str | None = None
    """The deployment stage, e.g. ``prod``."""
    request_id: str | None = None
    """API Gateway's id for the request."""
    extended_request_id: str | None = None
    """API Gateway's extended id for the request."""
    resource_id: str | None = None
    """The id of the matched resource."""
    resource_path: str | None = None
    """The matched resource template, e.g. ``/orders/{id}``."""
    http_method: str | None = None
    """The HTTP method."""
    path: str | None = None
    """The request path including the stage, e.g. ``/prod/orders/42``."""
    protocol: str | None = None
    """The protocol, e.g. ``HTTP/1.1``."""
    domain_name: str | None = None
    """The host name the request was sent to."""
    domain_prefix: str | None = None
    """The first label of ``domain_name``."""
    request_time: str | None = None
    """The request time, as ``09/Apr/2015:12:34:56 +0000``."""
    request_time_epoch: int | None = None
    """The request time in milliseconds since the epoch."""
    identity: APIGatewayRequestIdentity | None = None
    """Who called."""
    authorizer: dict[str, Any] | None = None
    """What the authorizer attached to the request."""


class APIGatewayProxyEvent(EventModel):
    """An API Gateway REST API request, Lambda proxy integration (payload format 1.0)."""

    source_key: ClassVar[str] = "apigateway-v1"

    resource: str
    """The matched resource template, e.g. ``/orders/{id}``."""
    path: str
    """The request path, e.g. ``/orders/42``."""
    http_method: str
    """The HTTP method."""
    headers: Headers | None = None
    """Request headers (lookups ignore case); the last value of a repeated header."""
    multi_value_headers: MultiValueHeaders | None = None
    """Request headers with every value of repeated ones (lookups ignore case)."""
    query_string_parameters: dict[str, str] | None = None
    """Query parameters; the last value of a repeated one."""
    multi_value_query_string_parameters: dict[str, list[str]] | None = None
    """Query parameters with every value of repeated ones."""
    path_parameters: dict[str, str] | None = None
    """Values of the resource's path variables."""
    stage_variables: dict[str, str] | None = None
    """The stage's variables."""
    request_context: APIGatewayRequestContext
    """The request context."""
    body: str | None = None
    """The request body (base64 when ``is_base64_encoded``)."""
    is_base64_encoded: bool = False
    """Whether ``body`` is base64-encoded."""


_HTTP_API = ("APIGatewayProxyEventV2", "RequestContextHttp", "RequestContextV2")
__getattr__ = lazy_getattr(__name__, dict.fromkeys(_HTTP_API, f"{__package__}._http"))
