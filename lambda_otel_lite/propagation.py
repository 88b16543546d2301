"""Carrier extraction: from an event to the parent context of the invocation span.

Precedence: an explicit ``parent_context`` > the handler's ``get_carrier(event)`` > an extractor
registered for the event's type > the event source's built-in carrier (HTTP headers) > none.

The carrier is read with the globally configured propagators (W3C tracecontext and baggage by
default, ``OTEL_PROPAGATORS`` honoured) through a getter that ignores the case of header names,
reads multi-value headers, and unwraps SQS/SNS message attributes (``{"stringValue": ...}``).

A carrier function that raises, or a carrier that is not a mapping, gives a root span and one
warning; extraction never raises into a handler.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

from opentelemetry import propagate
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanContext, TraceFlags, get_current_span

from lambda_otel_lite import _config
from lambda_otel_lite._log import OnceLogger
from lambda_otel_lite._mapping import find_key

if TYPE_CHECKING:
    from opentelemetry.context import Context

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)

CarrierFunction = Callable[[Any], Mapping[str, Any] | None]
"""A function from an event to the carrier (a mapping of propagation fields) it holds."""

E = TypeVar("E")
_EXTRACTORS: dict[type, Callable[[Any], Mapping[str, Any] | None]] = {}


@overload
def register_carrier_extractor[E](
    event_type: type[E], extractor: Callable[[E], Mapping[str, Any] | None]
) -> Callable[[E], Mapping[str, Any] | None]: ...


@overload
def register_carrier_extractor[E](
    event_type: type[E], extractor: None = None
) -> Callable[[Callable[[E], Mapping[str, Any] | None]], Callable[[E], Mapping[str, Any] | None]]: ...


def register_carrier_extractor[E](
    event_type: type[E], extractor: Callable[[E], Mapping[str, Any] | None] | None = None
) -> Any:
    """Register the function that finds the trace carrier in events of *event_type*.

    *event_type* is the annotation of a handler's event parameter: your own pydantic model, one of
    :mod:`lambda_otel_lite.events` (overriding the built-in extraction), or ``dict`` for untyped
    handlers. The extractor receives the event as the handler does and returns a mapping of
    propagation fields (``{"traceparent": ...}``) or None. A later registration for the same type
    replaces the earlier one.

    Precedence: the handler's ``get_carrier`` > the extractor registered for its event type > the
    built-in extraction of the event source > none.

    Example:
        >>> @register_carrier_extractor(dict)
        ... def from_metadata(event):
        ...     return event.get("metadata")
    """
    if not isinstance(event_type, type):
        raise TypeError(f"register_carrier_extractor: event_type must be a class, got {event_type!r}")

    def register(function: Callable[[E], Mapping[str, Any] | None]) -> Callable[[E], Mapping[str, Any] | None]:
        if not callable(function):
            raise TypeError(f"register_carrier_extractor: the extractor must be callable, got {function!r}")
        _EXTRACTORS[event_type] = function
        return function

    return register if extractor is None else register(extractor)


def registered_extractor(event_type: type) -> CarrierFunction | None:
    """The extractor registered for *event_type*, if any."""
    return _EXTRACTORS.get(event_type)


def _reset_extractors_for_tests() -> None:
    _EXTRACTORS.clear()


def _carrier_value(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        strings = [v for v in value if isinstance(v, str)]
        return strings or None
    if isinstance(value, Mapping):
        # SQS/SNS message attribute: {"stringValue": "...", "dataType": "String"} (SNS: "Value").
        for key in ("stringValue", "StringValue", "Value"):
            inner = value.get(key)
            if isinstance(inner, str):
                return [inner]
    return None


class CarrierGetter(Getter[Mapping[Any, Any]]):
    """Reads propagation fields from event carriers, ignoring the case of keys."""

    def get(self, carrier: Mapping[Any, Any], key: str) -> list[str] | None:
        name = find_key(carrier, key)
        return _carrier_value(carrier[name]) if name is not None else None

    def keys(self, carrier: Mapping[Any, Any]) -> list[str]:
        return [key for key in carrier if isinstance(key, str)]


GETTER = CarrierGetter()


def extract_context(carrier: object, source: str) -> Context | None:
    """The context propagated in *carrier*, or None when there is none (a root span follows).

    *source* names where the carrier came from, for the warning given when it is not a mapping.
    """
    if carrier is None:
        return None
    if not isinstance(carrier, Mapping):
        _once.warning(
            "carrier-not-mapping:" + source,
            "Ignoring the trace carrier from %s: expected a mapping, got %s; the invocation span starts a new trace",
            source,
            type(carrier).__name__,
        )
        return None
    if not carrier:
        return None
    try:
        context = propagate.extract(carrier, getter=GETTER)
    except Exception:
        _once.warning(
            "propagator-raised",
            "A propagator raised while extracting the trace context from %s; starting a new trace",
            source,
            exc_info=True,
        )
        return None
    if not get_current_span(context).get_span_context().is_valid:
        _warn_if_malformed(carrier, source)
    return context


def _warn_if_malformed(carrier: Mapping[Any, Any], source: str) -> None:
    """One warning per place (*source*) whose ``traceparent`` the propagators could not read.

    A malformed W3C context gives no parent and no link, as the W3C Trace Context specification
    asks ("Processing model": an invalid ``traceparent`` is ignored), but never silently.
    """
    key = find_key(carrier, "traceparent")
    if key is None or "traceparent" not in propagate.get_global_textmap().fields:
        return
    values = _carrier_value(carrier[key])
    _once.warning(
        "traceparent-malformed:" + source,
        "Ignoring the malformed traceparent of %s (%r): expected 00-<32 hex>-<16 hex>-<2 hex>, not all zeros",
        source,
        values[0][:200] if values else type(carrier[key]).__name__,
    )


def carrier_from_function(get_carrier: CarrierFunction, event: object) -> object:
    """Call a user's carrier function; a raising one is logged once and gives no carrier."""
    try:
        return get_carrier(event)
    except Exception:
        _once.warning(
            "get-carrier-raised",
            "get_carrier %r raised; the invocation span starts a new trace",
            getattr(get_carrier, "__qualname__", get_carrier),
            exc_info=True,
        )
        return None


# --- AWS X-Ray trace headers ------------------------------------------------------------------

XRAY_ENV = _config.XRAY_TRACE_HEADER
"""The X-Ray trace header of the current invocation, set by the runtime from ``Lambda-Runtime-Trace-Id``."""


def xray_span_context(value: object, source: str) -> SpanContext | None:
    """The span context of an X-Ray trace header (``Root=1-...;Parent=...;Sampled=1``), or None.

    The format is fixed, so no propagator is needed to read it. A header without ``Parent`` names
    no span (None, silently); a malformed one gives None and one warning naming *source*.
    """
    if not isinstance(value, str) or not value:
        return None
    fields: dict[str, str] = {}
    for part in value.split(";"):
        key, _, item = part.strip().partition("=")
        fields[key] = item
    root, parent = fields.get("Root"), fields.get("Parent")
    if parent is None and root is not None and _XRAY_ROOT.fullmatch(root):
        return None  # a trace without a parent segment: nothing to link to
    if root is None or parent is None or not _XRAY_ROOT.fullmatch(root) or not _XRAY_PARENT.fullmatch(parent):
        _once.warning(
            "xray-malformed:" + source,
            "Ignoring the malformed X-Ray trace header of %s (%r): expected Root=1-<8 hex>-<24 hex>;Parent=<16 hex>",
            source,
            value[:200],
        )
        return None
    trace_id = int(root[2:10] + root[11:], 16)
    span_id = int(parent, 16)
    if not trace_id or not span_id:
        return None
    flags = TraceFlags(TraceFlags.SAMPLED if fields.get("Sampled") == "1" else TraceFlags.DEFAULT)
    return SpanContext(trace_id, span_id, is_remote=True, trace_flags=flags)


def sampled_xray_context(value: object, source: str) -> SpanContext | None:
    """The span context of a *sampled* X-Ray trace header (``Sampled=1``), or None.

    The one rule for X-Ray headers, wherever they come from (the environment's ``_X_AMZN_TRACE_ID``,
    an SQS message's ``AWSTraceHeader``): only a segment X-Ray recorded is worth a link. An unsampled
    header (``Sampled=0``, or a decision deferred with ``Sampled=?``) names a segment that was
    recorded nowhere, and Lambda sets one for every invocation whether tracing is on or off.
    """
    span_context = xray_span_context(value, source)  # a malformed header is reported whether sampled or not
    return span_context if span_context is not None and span_context.trace_flags.sampled else None


_XRAY_ROOT = re.compile(r"1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24}")
_XRAY_PARENT = re.compile(r"[0-9a-fA-F]{16}")
