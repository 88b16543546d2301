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
from lambda_otel_lite._mapping import find_key
from lambda_otel_lite.sources._base import Attributes, EventSource, header, mapping, text

if TYPE_CHECKING:
    from lambda_otel_lite._config import Config
    from lambda_otel_lite.semconv import AttributeNames


class _HttpSource(EventSource):
    __slots__ = ()
    trigger = "http"
    kind = SpanKind.SERVER
    http = True

    def carrier(self, event: Any) -> object:
        """The request's headers; a header sent several times (REST APIs and ALB with multi-value
        headers: ``multiValueHeaders``) as one value, its values joined with ``,``.

        Joined only for ``tracestate`` and ``baggage``, which the W3C specifications allow to arrive
        in several headers to be combined (Trace Context, "tracestate Header"; Baggage, "Header
        Content"); ``headers`` holds only the last of them.
        """
        headers = event.get("headers")
        multi = event.get("multiValueHeaders")
        if not isinstance(multi, Mapping) or not multi:
            return headers
        if not headers:
            headers = multi
        repeated = [key for key, values in multi.items() if isinstance(values, list) and len(values) > 1]
        if not repeated or not isinstance(headers, Mapping):
            return headers
        joined: dict[Any, Any] | None = None
        for key in repeated:
            if isinstance(key, str) and key.lower() in _JOINED_HEADERS:
                if joined is None:
                    joined = dict(headers)  # keys of any type: a raw event is untrusted JSON
                present = find_key(joined, key)
                if present is not None:
                    del joined[present]
                joined[key] = ",".join(value for value in multi[key] if isinstance(value, str))
        return headers if joined is None else joined

    def request(
        self, event: Mapping[str, Any]
    ) -> tuple[str | None, str | None, str | None, str | None, str | None, str | None, str | None]:
        """(method, route, path, query, client address, user agent, protocol) of the event."""
        raise NotImplementedError

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes, config: Config) -> str | None:
        method, route, path, query, client, user_agent, protocol = self.request(event)
        if query:
            query = redact_query(query, config.redact_query_keys)
        headers = _headers(event)
        scheme = header(headers, "x-forwarded-proto") or self.default_scheme
        host, port = split_host(header(headers, "host"))
        if not host:
            host = text(mapping(event.get("requestContext")).get("domainName"))
        if port is None:
            port = self.listening_port or _port(header(headers, "x-forwarded-port")) or _DEFAULT_PORTS.get(scheme)
        user_agent = user_agent or header(headers, "user-agent")
        target = path + "?" + query if path and query else path
        request_method = method
        if method and names.request_method and method not in config.known_methods:
            # docs/http/http-spans.md (v1.44.0): an unknown method is "_OTHER", the original in
            # http.request.method_original, and "{method}" in the span name "MUST be HTTP".
            request_method = OTHER_METHOD
            attributes[semconv.HTTP_REQUEST_METHOD_ORIGINAL] = method
        for key_names, value in (
            (names.method, method),
            (names.request_method, request_method),
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
        if port is not None:
            for name in names.port:
                attributes[name] = port
        if route:
            attributes[semconv.HTTP_ROUTE] = route
        name_method = "HTTP" if request_method == OTHER_METHOD else method
        if name_method and route:
            return f"{name_method} {route}"
        return name_method

    default_scheme: ClassVar[str] = "https"
    listening_port: ClassVar[int | None] = 443
    """The one port the service accepts requests on, when it has one: API Gateway and Function URLs
    are HTTPS-only on 443 (custom domains included); an ALB listener's port is ``X-Forwarded-Port``."""


OTHER_METHOD = "_OTHER"
_DEFAULT_PORTS = {"https": 443, "http": 80}
"""The port a request without an explicit one (``Host``, ``X-Forwarded-Port``) was sent to, by scheme."""
_JOINED_HEADERS = frozenset(("tracestate", "baggage"))


def _headers(event: Mapping[str, Any]) -> object:
    """``headers``, else ``multiValueHeaders`` (an ALB target group with multi-value headers sends only those)."""
    headers = event.get("headers")
    return headers if headers else event.get("multiValueHeaders")


def split_host(value: str | None) -> tuple[str | None, int | None]:
    """``example.com:8443`` → (``example.com``, 8443); ``[::1]:80`` → (``::1``, 80); no port → (host, None).

    ``docs/http/http-spans.md`` (v1.44.0), "Setting server.address and server.port": both are parsed
    from the ``Host`` header.
    """
    if not value:
        return None, None
    if value.startswith("["):  # an IPv6 literal
        address, _, rest = value[1:].partition("]")
        return address or None, _port(rest[1:]) if rest.startswith(":") else None
    address, sep, port = value.rpartition(":")
    if sep and address and ":" not in address:
        parsed = _port(port)
        if parsed is not None:
            return address, parsed
    return value, None


def _port(value: str | None) -> int | None:
    if not value or not value.isdigit() or len(value) > 5:
        return None
    port = int(value)
    return port if 0 < port < 65536 else None


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
    listening_port = None

    def request(
        self, event: Mapping[str, Any]
    ) -> tuple[str | None, str | None, str | None, str | None, str | None, str | None, str | None]:
        forwarded_for = header(_headers(event), "x-forwarded-for")
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
