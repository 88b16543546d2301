"""HTTP triggers: API Gateway HTTP API (payload v2) and REST API (v1), Function URLs, ALB.

Values follow the current OpenTelemetry conventions whatever the naming mode: the route is the
template without the method (no route for ``$default``), the scheme comes from
``X-Forwarded-Proto`` (API Gateway and Function URLs are HTTPS-only), the target is the path plus
the query string. The values of secret query parameters (``Signature``, ``X-Amz-Credential``...)
are ``REDACTED`` where the attribute is built, in every naming mode (``_config.REDACT_QUERY_KEYS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from opentelemetry.trace import SpanKind

from lambda_otel_lite import semconv
from lambda_otel_lite.sources._base import Attributes, EventSource, header, mapping, text

if TYPE_CHECKING:
    from lambda_otel_lite.semconv import AttributeNames


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
        if query:
            query = redact_query(query, _redacted_keys())
        headers = self.carrier(event)
        scheme = header(headers, "x-forwarded-proto") or self.default_scheme
        host = header(headers, "host") or text(mapping(event.get("requestContext")).get("domainName"))
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
        context = mapping(event.get("requestContext"))
        http = mapping(context.get("http"))
        route_key = text(event.get("routeKey"))
        route = None
        if route_key and route_key != "$default":
            # "GET /items/{id}" -> "/items/{id}"; "ANY /x" likewise.
            route = route_key.partition(" ")[2] or None
        protocol = text(http.get("protocol"))
        return (
            text(http.get("method")),
            route,
            text(event.get("rawPath")) or text(http.get("path")),
            text(event.get("rawQueryString")),
            text(http.get("sourceIp")),
            text(http.get("userAgent")),
            protocol.partition("/")[2] or None if protocol else None,
        )


class RestApiV1Source(_HttpSource):
    """API Gateway REST API (payload v1), and HTTP APIs configured for payload v1."""

    __slots__ = ()
    key = "apigateway-v1"

    def request(
        self, event: Mapping[str, Any]
    ) -> tuple[str | None, str | None, str | None, str | None, str | None, str | None, str | None]:
        context = mapping(event.get("requestContext"))
        identity = mapping(context.get("identity"))
        protocol = text(context.get("protocol"))
        return (
            text(event.get("httpMethod")),
            text(event.get("resource")),
            text(event.get("path")),
            _query_string(event, encode=True),
            text(identity.get("sourceIp")),
            text(identity.get("userAgent")),
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
            text(event.get("httpMethod")),
            None,
            text(event.get("path")),
            _query_string(event, False),
            client,
            None,
            None,
        )


REDACTED = "REDACTED"


def redact_query(query: str, keys: frozenset[str]) -> str:
    """*query* with the values of *keys* (lower-cased) replaced by ``REDACTED``; keys and order kept.

    Keys match ignoring case and percent-encoding (``x-amz-signature``, ``X%2DAmz%2DSignature``): the
    value is a secret whatever the spelling. A parameter without ``=`` or with an empty value is
    left as it is. Never raises.
    """
    if not keys or not query:
        return query
    from urllib.parse import unquote_plus

    parts = query.split("&")
    for index, part in enumerate(parts):
        name, sep, value = part.partition("=")
        key = unquote_plus(name) if "%" in name or "+" in name else name
        if sep and value and key.lower() in keys:
            parts[index] = f"{name}={REDACTED}"
    return "&".join(parts)


def _redacted_keys() -> frozenset[str]:
    from lambda_otel_lite.telemetry import STATE

    return STATE.config.redact_query_keys


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
