"""The two faces of the library: ``traced_handler`` (a context manager) and ``@instrumented``.

Both run the same core (:mod:`lambda_otel_lite._invocation`).
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import logging
import sys
import typing
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from lambda_otel_lite._invocation import (
    Invocation,
    finish_invocation,
    record_exception,
    record_response,
    start_invocation,
)
from lambda_otel_lite._state import STATE
from lambda_otel_lite.exceptions import EventValidationError
from lambda_otel_lite.propagation import registered_extractor
from lambda_otel_lite.sources import source_for_key
from lambda_otel_lite.telemetry import init_telemetry

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from types import TracebackType

    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Link, SpanContext, Status, StatusCode
    from opentelemetry.util import types

    from lambda_otel_lite.propagation import CarrierFunction

logger = logging.getLogger(__name__)


class InvocationSpan(trace.Span):
    """The invocation span, as yielded by ``traced_handler``: a span plus :meth:`set_response`.

    Every span method (``set_attribute``, ``add_event``, ``record_exception``...) acts on the
    invocation span. A ``with`` block cannot see the handler's ``return``, so call
    :meth:`set_response` with the response to record its status code (5xx sets status ERROR).

    Example:
        >>> with traced_handler(tracer, provider, "GET /items", event, context) as span:
        ...     span.set_attribute("items.count", 3)
        ...     response = {"statusCode": 200}
        ...     span.set_response(response)
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

    ``with traced_handler(...) as span`` gives the :class:`InvocationSpan`; call
    ``span.set_response(response)`` to record an HTTP status code.

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
        try:
            if exc is not None:
                record_exception(self._invocation, exc)
        finally:
            finish_invocation(self._invocation)


# --- @instrumented ------------------------------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")

_RAW_ORIGINS: tuple[object, ...] = (dict, list, str, int, float, bool, bytes, type(None), object, Any)
_RAW_ORIGINS += (collections.abc.Mapping, collections.abc.MutableMapping, collections.abc.Sequence)


def _qualname(func: object) -> str:
    return getattr(func, "__qualname__", None) or repr(func)


def _event_model(func: Callable[..., Any], parameter: inspect.Parameter) -> type | None:
    """The pydantic model the event parameter asks for, or None for a raw event.

    Only the event parameter's own annotation is resolved, so a ``context`` annotated with a type
    imported under ``if TYPE_CHECKING:`` is fine. An event annotation that cannot be resolved is a
    ``TypeError`` now: passing the raw dict instead would fail later, inside the handler.
    """
    annotation: Any = parameter.annotation
    if annotation is inspect.Parameter.empty:
        return None
    if isinstance(annotation, str):
        namespace = getattr(inspect.unwrap(func), "__globals__", {})
        try:
            annotation = eval(annotation, namespace)  # the same evaluation typing.get_type_hints does
        except Exception as exc:
            raise TypeError(
                f"@instrumented {_qualname(func)}: the annotation {parameter.annotation!r} of the event parameter "
                f"{parameter.name!r} cannot be resolved ({type(exc).__name__}: {exc}); @instrumented reads it at "
                "import time to validate the event, so import the model at module level, not under "
                "'if TYPE_CHECKING:'"
            ) from exc
    if annotation is None:
        return None
    origin = typing.get_origin(annotation) or annotation
    if origin in _RAW_ORIGINS or typing.is_typeddict(annotation) or not isinstance(origin, type):
        return None
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and issubclass(origin, pydantic.BaseModel):
        return origin
    raise TypeError(
        f"@instrumented {_qualname(func)}: the event parameter {parameter.name!r} is annotated {annotation!r}, "
        "which cannot be built from a Lambda event; annotate it with a pydantic model (such as one from "
        "lambda_otel_lite.events), dict, or nothing"
    )


def _location(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(event)"


def _validate(model: Any, event: object) -> tuple[object, EventValidationError | None]:
    from pydantic import ValidationError

    try:
        return model.model_validate(event), None
    except ValidationError as exc:
        errors = [
            (_location(e["loc"]), EventValidationError.MISSING if e["type"] == "missing" else e.get("input"), e["msg"])
            for e in exc.errors(include_url=False)
        ]
        # Not chained to pydantic's error: its text (the event's values, as long as pydantic's version
        # prints them) would reach the span's stack trace; it stays on the error as validation_error.
        return event, EventValidationError(model.__name__, errors, exc)


@overload
def instrumented[**P, R](name: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def instrumented(
    name: str | None = None,
    *,
    kind: SpanKind | None = None,
    attributes: types.Attributes = None,
    get_carrier: CarrierFunction | None = None,
    tracer: trace.Tracer | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def instrumented(
    name: Any = None,
    *,
    kind: SpanKind | None = None,
    attributes: types.Attributes = None,
    get_carrier: CarrierFunction | None = None,
    tracer: trace.Tracer | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Any:
    """Trace a Lambda handler: ``@instrumented`` or ``@instrumented("name", kind=..., ...)``.

    The annotation of the handler's first parameter decides what it receives: a pydantic model
    (one of :mod:`lambda_otel_lite.events`, or your own) is validated from the raw event before the
    handler runs; ``dict`` or no annotation passes the raw event, whose source is recognised by its
    shape. The event type drives the span name (``GET /items/{id}``, ``orders process``, else the
    function's name), its kind (SERVER for HTTP, CONSUMER for SQS), its attributes and where the
    parent context comes from. The returned ``statusCode`` becomes the status-code attribute (5xx:
    status ERROR). An exception is recorded and re-raised unchanged; an event that does not match
    the model raises :class:`~lambda_otel_lite.EventValidationError`. Spans are exported per the
    processing mode in every case.

    Everything derivable from the signature is computed here, once; misuse raises ``TypeError``
    now rather than at the first invocation. Without ``tracer``/``tracer_provider`` the handler uses
    those of the last :func:`~lambda_otel_lite.init_telemetry`, which is called with defaults if it
    has not been yet.

    Args:
        name: The span name, instead of the one derived from the event.
        kind: The span kind, instead of the one derived from the event.
        attributes: Static attributes added to every invocation span.
        get_carrier: A function from the event (as the handler receives it) to the carrier mapping;
            wins over registered extractors and the built-in extraction.
        tracer: The tracer to use.
        tracer_provider: The provider to flush in sync mode.

    Example:
        >>> from lambda_otel_lite.events import APIGatewayProxyEventV2
        >>> @instrumented
        ... def handler(event: APIGatewayProxyEventV2, context) -> dict:
        ...     return {"statusCode": 200, "body": event.raw_path}
    """
    if callable(name):
        return _decorate(name, None, kind, attributes, get_carrier, tracer, tracer_provider)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"instrumented(name=...) must be a string, got {type(name).__name__}: {name!r}")
    if kind is not None and not isinstance(kind, SpanKind):
        raise TypeError(f"instrumented(kind=...) must be an opentelemetry SpanKind, got {kind!r}")
    if attributes is not None and not isinstance(attributes, collections.abc.Mapping):
        raise TypeError(f"instrumented(attributes=...) must be a mapping, got {type(attributes).__name__}")
    if get_carrier is not None and not callable(get_carrier):
        raise TypeError(f"instrumented(get_carrier=...) must be callable, got {get_carrier!r}")
    if tracer is not None and not isinstance(tracer, trace.Tracer):
        raise TypeError(f"instrumented(tracer=...) must be an opentelemetry Tracer, got {tracer!r}")

    def decorator(func: Callable[P, R]) -> Callable[P, R]:
        return _decorate(func, name, kind, attributes, get_carrier, tracer, tracer_provider)

    return decorator


def _decorate[**P, R](
    func: Callable[P, R],
    name: str | None,
    kind: SpanKind | None,
    attributes: types.Attributes,
    get_carrier: CarrierFunction | None,
    tracer: trace.Tracer | None,
    tracer_provider: TracerProvider | None,
) -> Callable[P, R]:
    if inspect.iscoroutinefunction(func):
        raise TypeError(
            f"@instrumented {_qualname(func)}: Lambda's Python runtime does not await handlers; "
            "make the handler synchronous and run your coroutine with asyncio.run()"
        )
    try:
        parameters = [
            p
            for p in inspect.signature(func).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError) as exc:
        raise TypeError(f"@instrumented needs a function, got {func!r}") from exc
    if not parameters:
        raise TypeError(
            f"@instrumented {_qualname(func)}: a Lambda handler takes the event as its first parameter "
            "(handler(event, context)); this function has no positional parameter"
        )
    model = _event_model(func, parameters[0])
    if model is not None:
        model.model_rebuild()  # type: ignore[attr-defined]  # build the deferred validator now, in the init phase
    event_type: type = model if model is not None else dict
    source = source_for_key(getattr(model, "source_key", "")) if model is not None else None
    if tracer is None and STATE.tracer is None:
        init_telemetry()
    fixed_tracer = tracer
    provider = tracer_provider
    static_attributes = dict(attributes) if attributes else None
    fallback_name = getattr(func, "__name__", "handler")
    # handler(event, context=ctx) and handler(event=e, context=ctx) are calls of the handler too
    event_name = parameters[0].name if parameters[0].kind is not inspect.Parameter.POSITIONAL_ONLY else None
    context_name = (
        parameters[1].name
        if len(parameters) > 1 and parameters[1].kind is not inspect.Parameter.POSITIONAL_ONLY
        else None
    )

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if args:
            event: object = args[0]
            rest: tuple[object, ...] = args[1:]
        else:
            event = kwargs.pop(event_name, None) if event_name is not None and kwargs else None
            rest = ()
        lambda_context = rest[0] if rest else kwargs.get(context_name) if context_name is not None and kwargs else None
        handler_event, error = event, None
        if model is not None:
            if isinstance(event, model):
                event = typing.cast("Any", event).model_dump(by_alias=True)  # called with a model (tests)
            else:
                handler_event, error = _validate(model, event)
        invocation = start_invocation(
            fixed_tracer or STATE.tracer or trace.get_tracer("lambda_otel_lite"),
            name,
            event,
            lambda_context,
            kind=kind,
            attributes=static_attributes,
            get_carrier=get_carrier,
            source=source,
            extractor=registered_extractor(event_type),
            fallback_name=fallback_name,
            provider=provider,
            handler_event=handler_event,
        )
        try:
            if error is not None:
                raise error
            result = func(handler_event, *rest, **kwargs)  # type: ignore[arg-type]
        except BaseException as exc:
            try:
                record_exception(invocation, exc)
            finally:
                finish_invocation(invocation)
            raise
        try:
            record_response(invocation, result)
        finally:
            finish_invocation(invocation)
        return result

    return wrapper
