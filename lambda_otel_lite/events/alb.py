"""Application Load Balancer events (a Lambda function as a target group's target)."""

from __future__ import annotations

from typing import ClassVar

from lambda_otel_lite.events._base import EventModel, Headers, MultiValueHeaders

__all__ = ["ALBEvent", "ALBRequestContext", "ALBRequestContextElb"]


class ALBRequestContextElb(EventModel):
    """``requestContext.elb``."""

    target_group_arn: str
    """The ARN of the target group the request was routed to."""


class ALBRequestContext(EventModel):
    """``requestContext`` of an ALB event."""

    elb: ALBRequestContextElb
    """The load balancer's details."""


class ALBEvent(EventModel):
    """A request forwarded by an Application Load Balancer.

    With multi-value headers on, ``multi_value_headers`` and ``multi_value_query_string_parameters``
    are set instead of ``headers`` and ``query_string_parameters``. Query parameters are as the
    client sent them: still percent-encoded.
    """

    source_key: ClassVar[str] = "alb"

    request_context: ALBRequestContext
    """The request context."""
    http_method: str
    """The HTTP method."""
    path: str
    """The request path."""
    query_string_parameters: dict[str, str] | None = None
    """Query parameters (percent-encoded, as sent)."""
    multi_value_query_string_parameters: dict[str, list[str]] | None = None
    """Query parameters with every value, when multi-value headers are on."""
    headers: Headers | None = None
    """Request headers (lookups ignore case)."""
    multi_value_headers: MultiValueHeaders | None = None
    """Request headers with every value, when multi-value headers are on (lookups ignore case)."""
    body: str | None = None
    """The request body (base64 when ``is_base64_encoded``)."""
    is_base64_encoded: bool = False
    """Whether ``body`` is base64-encoded."""
