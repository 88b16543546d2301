"""The two faces of the library: ``traced_handler`` (a context manager) and ``@instrumented``.

Both run the same core (:mod:`lambda_otel_lite.invocation`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from lambda_otel_lite.invocation import (
    Invocation,
    finish_invocation,
    record_exception,
    record_response,
    start_invocation,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import TracebackType

    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Link, SpanContext, Status, StatusCode
    from opentelemetry.util import types

    from lambda_otel_lite.propagation import CarrierFunction


class InvocationSpan(trace.Span):
    """The invocation span, as yielded by ``traced_handler``: a span plus :meth:`set_response`.

    Every span method (``set_attribute``, ``add_event``, ``record_exception``...) acts on the
    invocation span. A ``with`` block cannot see the handler's ``return``, so call
    :meth:`set_response` with the response to record its status code (5xx sets status ERROR).
    """

    __slots__ = ("_invocation", "_span")

    def __init__(self, invocation: Invocation) -> None:
        self._invocation = invocation
        self._span = invocation.span

    def set_response(self, response: object) -> None:
        """Record the handler's response: ``statusCode`` becomes the status-code attribute."""
        record_response(self._invocation, response)

    # --- the Span interface, delegated ---------------------------------------------------------
    def end(self, end_time: int | None = None) -> None:
        self._span.end(end_time)

    def get_span_context(self) -> SpanContext:
        return self._span.get_span_context()

    def set_attributes(self, attributes: Mapping[str, types.AttributeValue]) -> None:
        self._span.set_attributes(attributes)

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        self._span.set_attribute(key, value)

    def add_event(self, name: str, attributes: types.Attributes = None, timestamp: int | None = None) -> None:
        self._span.add_event(name, attributes, timestamp)

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        self._span.add_link(context, attributes)

    def update_name(self, name: str) -> None:
        self._span.update_name(name)

    def is_recording(self) -> bool:
        return self._span.is_recording()

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        self._span.set_status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        self._span.record_exception(exception, attributes, timestamp, escaped)

    def __getattr__(self, name: str) -> Any:
        # SDK-only members (name, attributes, parent...) of the underlying span.
        return getattr(self._span, name)


class traced_handler:
    """Trace one Lambda invocation: ``with traced_handler(tracer, provider, name, event, context):``.

    On entry it starts the invocation span (FaaS and HTTP attributes, cold start, parent context
    from ``parent_context``, else ``get_carrier(event)``, else ``event["headers"]``) and makes it
    current. On exit it records an exception (status ERROR, then re-raised unchanged), ends the
    span and, in sync mode, flushes ``tracer_provider`` so the spans are on stdout before the
    handler returns.

    Args:
        tracer: From :func:`~lambda_otel_lite.init_telemetry`.
        tracer_provider: From :func:`~lambda_otel_lite.init_telemetry`; flushed in sync mode.
        name: The span name.
        event: The Lambda event; enables HTTP attributes and header propagation.
        context: The Lambda context; enables ``faas.invocation_id`` and the cloud attributes.
        kind: The span kind (default SERVER).
        attributes: Added to the span; they override the automatic ones.
        links: Span links.
        start_time: Start time in nanoseconds since the epoch.
        parent_context: The parent context, overriding any carrier in the event.
        get_carrier: A function from the event to the carrier to extract the parent from.

    Yields:
        :class:`InvocationSpan`; call ``set_response(response)`` to record an HTTP status code.

    Example:
        >>> def handler(event, context):
        ...     with traced_handler(tracer, provider, "my-handler", event, context) as span:
        ...         response = {"statusCode": 200}
        ...         span.set_response(response)
        ...         return response
    """

    __slots__ = ("_args", "_invocation", "_span")

    def __init__(
        self,
        tracer: trace.Tracer,
        tracer_provider: TracerProvider | None,
        name: str,
        event: object = None,
        context: object = None,
        kind: SpanKind = SpanKind.SERVER,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        parent_context: Context | None = None,
        get_carrier: CarrierFunction | None = None,
    ) -> None:
        self._args = (
            tracer,
            tracer_provider,
            name,
            event,
            context,
            kind,
            attributes,
            links,
            start_time,
            parent_context,
            get_carrier,
        )

    def __enter__(self) -> InvocationSpan:
        tracer, provider, name, event, context, kind, attributes, links, start_time, parent_context, get_carrier = (
            self._args
        )
        self._invocation = start_invocation(
            tracer,
            name,
            event,
            context,
            kind=kind,
            attributes=attributes,
            links=links,
            start_time=start_time,
            parent_context=parent_context,
            get_carrier=get_carrier,
            provider=provider,
        )
        self._span = InvocationSpan(self._invocation)
        return self._span

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is not None:
            record_exception(self._invocation, exc)
        finish_invocation(self._invocation)
