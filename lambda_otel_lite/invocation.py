"""The per-invocation core shared by ``traced_handler`` and ``@instrumented``.

:func:`start_invocation` turns (event, Lambda context) into a started, current span: FaaS
attributes, the event source's attributes, cold start, the caller's attributes, the parent context.
:func:`finish_invocation` records the response or exception, ends the span and hands the spans to
the processing mode. Both catch their own failures: telemetry never breaks the handler.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from lambda_otel_lite import _config, semconv
from lambda_otel_lite._log import OnceLogger, internal_error
from lambda_otel_lite.propagation import CarrierFunction, carrier_from_function, extract_context
from lambda_otel_lite.sources import EventSource, detect_source
from lambda_otel_lite.telemetry import STATE

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.util.types import Attributes

    from lambda_otel_lite.sources import Attributes as MutableAttributes

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)


_SAME: object = object()


class Invocation:
    """One running invocation: its span, the context token, and where its spans go."""

    __slots__ = ("kind", "provider", "request_id", "span", "token")

    def __init__(
        self, span: trace.Span, token: object, kind: SpanKind, provider: object, request_id: str | None
    ) -> None:
        self.span = span
        self.token = token
        self.kind = kind
        self.provider = provider
        self.request_id = request_id


@functools.lru_cache(maxsize=16)
def _arn_attributes(arn: str, version: str | None) -> tuple[tuple[str, str], ...]:
    # arn:aws:lambda:<region>:<account>:function:<name>[:<alias or version>]
    parts = arn.split(":")
    if len(parts) not in (7, 8) or parts[0] != "arn" or parts[2] != "lambda" or parts[5] != "function":
        _once.warning(
            "invalid-arn",
            "context.invoked_function_arn %r is not a Lambda function ARN; cloud.account.id and cloud.resource_id "
            "are not set",
            arn,
        )
        return ()
    resource_id = ":".join(parts[:7])
    if len(parts) == 8:
        # The invoked ARN may name an alias; the conventions want the resolved version instead.
        resource_id += ":" + (version or parts[7])
    return ((semconv.CLOUD_ACCOUNT_ID, parts[4]), (semconv.CLOUD_RESOURCE_ID, resource_id))


def _context_attributes(lambda_context: object, attributes: MutableAttributes) -> None:
    if lambda_context is None:
        return
    request_id = getattr(lambda_context, "aws_request_id", None)
    if isinstance(request_id, str) and request_id:
        attributes[semconv.FAAS_INVOCATION_ID] = request_id
    arn = getattr(lambda_context, "invoked_function_arn", None)
    if isinstance(arn, str) and arn:
        version = getattr(lambda_context, "function_version", None)
        if not isinstance(version, str) or not version:
            version = os.environ.get(_config.FUNCTION_VERSION.name)
        attributes.update(_arn_attributes(arn, version))


def parent_from_event(
    event: object,
    source: EventSource,
    get_carrier: CarrierFunction | None,
    extractor: CarrierFunction | None = None,
    handler_event: object = None,
) -> Context | None:
    """The parent context carried by *event*: ``get_carrier`` > registered extractor > built-in.

    The carrier functions receive the event as the handler does (*handler_event*: the typed model
    for a typed handler); the built-in extraction reads the raw *event*.
    """
    if get_carrier is not None:
        return extract_context(carrier_from_function(get_carrier, handler_event), "get_carrier")
    if extractor is not None:
        return extract_context(carrier_from_function(extractor, handler_event), "the registered carrier extractor")
    return extract_context(source.carrier(event), "event['headers']")


def start_invocation(
    tracer: trace.Tracer,
    name: str | None,
    event: object,
    lambda_context: object,
    *,
    kind: SpanKind | None = None,
    attributes: Attributes | None = None,
    links: Sequence[Link] | None = None,
    start_time: int | None = None,
    parent_context: Context | None = None,
    get_carrier: CarrierFunction | None = None,
    source: EventSource | None = None,
    extractor: CarrierFunction | None = None,
    fallback_name: str = "handler",
    provider: object = None,
    handler_event: object = _SAME,
) -> Invocation:
    """Start the invocation span and make it current.

    *event* is the raw event; *handler_event* is the event as the handler receives it (a typed
    model), passed to ``get_carrier`` and registered extractors. Explicit arguments (``name``,
    ``kind``, ``attributes``, ``parent_context``) win over what the event source derives.
    """
    span_attributes: MutableAttributes = {}
    parent = parent_context
    suggested: str | None = None
    all_links: list[Link] = list(links) if links else []
    try:
        if source is None or not isinstance(event, Mapping):
            # A typed handler's source applies to events shaped like it; anything else (None, a
            # list: it fails validation) gets the generic source, not an error inside the library.
            source = detect_source(event)
        suggested = source.describe(event, STATE.names, span_attributes)
        span_attributes[semconv.FAAS_TRIGGER] = source.trigger
        _context_attributes(lambda_context, span_attributes)
        if STATE.take_cold_start():
            for key in STATE.names.cold_start:
                span_attributes[key] = True
        if parent is None:
            parent = parent_from_event(
                event, source, get_carrier, extractor, event if handler_event is _SAME else handler_event
            )
        all_links += source.links(event)
        if kind is None:
            kind = source.kind
    except Exception:
        internal_error(_once, "start-invocation", "could not derive the invocation span's attributes")
    if attributes:
        span_attributes.update(attributes)
    span = tracer.start_span(
        name or suggested or fallback_name,
        context=parent,
        kind=kind if kind is not None else SpanKind.SERVER,
        attributes=span_attributes,
        links=all_links,
        start_time=start_time,
    )
    # The parent context also carries baggage: keep it current inside the handler.
    token = context_api.attach(trace.set_span_in_context(span, parent))
    request_id = getattr(lambda_context, "aws_request_id", None)
    STATE.depth += 1
    return Invocation(
        span,
        token,
        kind if kind is not None else SpanKind.SERVER,
        provider,
        request_id if isinstance(request_id, str) else None,
    )


def status_code_of(response: object) -> int | None:
    """The HTTP status code of a handler's response: ``statusCode`` of a dict, or of a model."""
    if isinstance(response, Mapping):
        code: object = response.get("statusCode")
    else:
        code = getattr(response, "status_code", None)
        if code is None:
            code = getattr(response, "statusCode", None)
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.isdigit():
        return int(code)
    return None


def record_response(invocation: Invocation, response: object) -> None:
    """Set the status-code attribute and, for 5xx (or 4xx on a CLIENT span), status ERROR."""
    code = status_code_of(response)
    if code is None:
        return
    span = invocation.span
    for key in STATE.names.status_code:
        span.set_attribute(key, code)
    if code >= 500 or (code >= 400 and invocation.kind is SpanKind.CLIENT):
        span.set_status(Status(StatusCode.ERROR, f"HTTP status code {code}"))


def record_exception(invocation: Invocation, exc: BaseException) -> None:
    """Record a handler exception on the span with status ERROR."""
    span = invocation.span
    span.record_exception(exc, escaped=True)
    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


def finish_invocation(invocation: Invocation) -> None:
    """End the span, restore the context, and hand the spans to the processing mode."""
    try:
        context_api.detach(invocation.token)  # type: ignore[arg-type]
    except Exception:
        internal_error(_once, "detach", "could not restore the context of the invocation")
    invocation.span.end()
    STATE.depth -= 1
    if STATE.depth <= 0:  # a nested traced_handler does not complete the invocation
        STATE.depth = 0
        STATE.complete_invocation(invocation.provider, invocation.request_id)
