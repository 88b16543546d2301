"""Event sources: how one kind of Lambda event becomes span attributes, a name and a carrier.

Every source reads the *raw* event (the JSON dict Lambda delivers). A typed handler's model only
selects the source up front; the attribute logic is the same code for both faces, and it never
depends on pydantic.

Values follow the current OpenTelemetry conventions whatever the naming mode: the route is the
template without the method (no route for ``$default``), the scheme comes from
``X-Forwarded-Proto`` (API Gateway and Function URLs are HTTPS-only), the target is the path plus
the query string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from opentelemetry.trace import Link, SpanKind, get_current_span

from lambda_otel_lite import semconv

if TYPE_CHECKING:
    from opentelemetry.util.types import AttributeValue

    from lambda_otel_lite.semconv import AttributeNames

Attributes = dict[str, "AttributeValue"]


def header(headers: object, name: str) -> str | None:
    """Read header *name* (lower case) from a header mapping, ignoring the case of its keys.

    Multi-value headers (a list of values) give their first value; anything that is not a mapping
    or not a string gives None.
    """
    if not isinstance(headers, Mapping):
        return None
    value: object = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if isinstance(key, str) and key.lower() == name:
                value = candidate
                break
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


class EventSource:
    """How one kind of event maps onto the invocation span. Stateless; one instance per kind."""

    __slots__ = ()

    key: ClassVar[str] = "other"
    """A short name for the source, used in logs and tests."""
    trigger: ClassVar[str] = "other"
    """The ``faas.trigger`` value."""
    kind: ClassVar[SpanKind] = SpanKind.SERVER
    """The span kind the decorator uses when none is given."""

    def carrier(self, event: Any) -> object:
        """What to extract a parent context from: the event's ``headers``, whatever they are.

        A value that is not a mapping is reported (once) by the extraction, not silently ignored;
        ``None`` means the event has no headers.
        """
        return event.get("headers") if isinstance(event, Mapping) else None

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes) -> str | None:
        """Add this source's attributes to *attributes*; return the span name it suggests, if any."""
        return None

    def links(self, event: Any) -> list[Link]:
        """Span links the event carries (one per traced message of a batch)."""
        return []


class _HttpSource(EventSource):
    __slots__ = ()
    trigger = "http"
    kind = SpanKind.SERVER

    def carrier(self, event: Any) -> object:
        headers = event.get("headers")
        if headers:
            return headers
        multi = event.get("multiValueHeaders")
        return multi if multi else headers

    def request(
        self, event: Mapping[str, Any]
    ) -> tuple[str | None, str | None, str | None, str | None, str | None, str | None, str | None]:
        """(method, route, path, query, client address, user agent, protocol) of the event."""
        raise NotImplementedError

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes) -> str | None:
        method, route, path, query, client, user_agent, protocol = self.request(event)
        headers = self.carrier(event)
        scheme = header(headers, "x-forwarded-proto") or self.default_scheme
        host = header(headers, "host") or _str(_dict(event.get("requestContext")).get("domainName"))
        user_agent = user_agent or header(headers, "user-agent")
        target = path + "?" + query if path and query else path
        for key_names, value in (
            (names.method, method),
            (names.target, target),
            (names.path, path),
            (names.query, query),
            (names.scheme, scheme),
            (names.host, host),
            (names.client_address, client),
            (names.user_agent, user_agent),
            (names.protocol_version, protocol),
        ):
            if value:
                for name in key_names:
                    attributes[name] = value
        if route:
            attributes[semconv.HTTP_ROUTE] = route
        if method and route:
            return f"{method} {route}"
        return method

    default_scheme: ClassVar[str] = "https"


class HttpApiV2Source(_HttpSource):
    """API Gateway HTTP API (payload v2) and Lambda Function URLs."""

    __slots__ = ()
    key = "apigateway-v2"

    def request(
        self, event: Mapping[str, Any]
    ) -> tuple[str | None, str | None, str | None, str | None, str | None, str | None, str | None]:
        context = _dict(event.get("requestContext"))
        http = _dict(context.get("http"))
        route_key = _str(event.get("routeKey"))
        route = None
        if route_key and route_key != "$default":
            # "GET /items/{id}" -> "/items/{id}"; "ANY /x" likewise.
            route = route_key.partition(" ")[2] or None
        protocol = _str(http.get("protocol"))
        return (
            _str(http.get("method")),
            route,
            _str(event.get("rawPath")) or _str(http.get("path")),
            _str(event.get("rawQueryString")),
            _str(http.get("sourceIp")),
            _str(http.get("userAgent")),
            protocol.partition("/")[2] or None if protocol else None,
        )


class RestApiV1Source(_HttpSource):
    """API Gateway REST API (payload v1), and HTTP APIs configured for payload v1."""

    __slots__ = ()
    key = "apigateway-v1"

    def request(
        self, event: Mapping[str, Any]
    ) -> tuple[str | None, str | None, str | None, str | None, str | None, str | None, str | None]:
        context = _dict(event.get("requestContext"))
        identity = _dict(context.get("identity"))
        protocol = _str(context.get("protocol"))
        return (
            _str(event.get("httpMethod")),
            _str(event.get("resource")),
            _str(event.get("path")),
            _query_string(event, encode=True),
            _str(identity.get("sourceIp")),
            _str(identity.get("userAgent")),
            protocol.partition("/")[2] or None if protocol else None,
        )


class AlbSource(_HttpSource):
    """Application Load Balancer target group requests."""

    __slots__ = ()
    key = "alb"
    default_scheme = "http"

    def request(
        self, event: Mapping[str, Any]
    ) -> tuple[str | None, str | None, str | None, str | None, str | None, str | None, str | None]:
        forwarded_for = header(self.carrier(event), "x-forwarded-for")
        client = forwarded_for.split(",")[0].strip() or None if forwarded_for else None
        # ALB passes query parameters as the client sent them (still percent-encoded).
        return (
            _str(event.get("httpMethod")),
            None,
            _str(event.get("path")),
            _query_string(event, False),
            client,
            None,
            None,
        )


def _query_string(event: Mapping[str, Any], encode: bool) -> str | None:
    params = event.get("multiValueQueryStringParameters") or event.get("queryStringParameters")
    if not isinstance(params, Mapping) or not params:
        return None
    from urllib.parse import quote_plus

    parts: list[str] = []
    for key, values in params.items():
        for value in values if isinstance(values, list) else [values]:
            k, v = str(key), "" if value is None else str(value)
            parts.append(f"{quote_plus(k)}={quote_plus(v)}" if encode else f"{k}={v}")
    return "&".join(parts)


class FunctionUrlSource(HttpApiV2Source):
    """Lambda Function URLs: the HTTP API v2 payload, always on the ``$default`` route."""

    __slots__ = ()
    key = "function-url"


class SqsSource(EventSource):
    """SQS batches: a CONSUMER span per invocation, a new trace, one link per traced message.

    Follows the OpenTelemetry messaging conventions for batch receive: the messages of a batch come
    from many traces, so none is the parent; each message's context (its ``traceparent`` message
    attribute, or its ``AWSTraceHeader`` system attribute when the X-Ray propagator is configured)
    becomes a link.
    """

    __slots__ = ()
    key = "sqs"
    trigger = "pubsub"
    kind = SpanKind.CONSUMER

    def carrier(self, event: Any) -> object:
        return None

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes) -> str | None:
        records = event.get("Records")
        records = records if isinstance(records, list) else []
        first = _dict(records[0]) if records else {}
        arn = _str(first.get("eventSourceARN"))
        queue = arn.rsplit(":", 1)[-1] if arn else None
        attributes[semconv.MESSAGING_SYSTEM] = "aws_sqs"
        for key in names.messaging_operation:
            attributes[key] = "process"
        attributes[semconv.MESSAGING_BATCH_MESSAGE_COUNT] = len(records)
        if queue:
            attributes[semconv.MESSAGING_DESTINATION_NAME] = queue
            return f"{queue} process"
        return "process"

    def links(self, event: Any) -> list[Link]:
        from lambda_otel_lite.propagation import extract_context

        links: list[Link] = []
        records = event.get("Records")
        for record in records if isinstance(records, list) else []:
            record = _dict(record)
            carrier: dict[str, Any] = dict(_dict(record.get("messageAttributes")))
            trace_header = _dict(record.get("attributes")).get("AWSTraceHeader")
            if isinstance(trace_header, str):
                # Read only by the X-Ray propagator, when it is configured.
                carrier["X-Amzn-Trace-Id"] = trace_header
            context = extract_context(carrier, "an SQS message")
            if context is None:
                continue
            span_context = get_current_span(context).get_span_context()
            if span_context.is_valid:
                links.append(Link(span_context))
        return links


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
