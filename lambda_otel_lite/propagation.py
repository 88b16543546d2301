"""Carrier extraction: from an event to the parent context of the invocation span, and from each
record of a batch to the context of its producer.

Precedence: an explicit ``parent_context`` > the handler's ``get_carrier(event)`` > an extractor
registered for the event's type > the event source's built-in carrier (HTTP headers) > none.

For the records of a batch: ``traced_records(event, get_carrier=...)`` (record spans only) > the
record carrier extractor registered for the trigger (:func:`register_record_carrier_extractor`) >
the source's built-in record carrier (SQS and SNS message attributes, a sampled ``AWSTraceHeader``)
> none. The first carrier that holds a valid span context wins, with the baggage it carries.

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
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args, overload

from opentelemetry import propagate
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanContext, TraceFlags, get_current_span

from lambda_otel_lite import _config, _resets
from lambda_otel_lite._log import InternalErrors, OnceLogger
from lambda_otel_lite._mapping import find_key
from lambda_otel_lite.exceptions import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.context import Context

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)
_EXTRACT = InternalErrors(
    _once, "propagator-raised", "a propagator raised while extracting the trace context; starting a new trace"
)

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


@_resets.register
def _reset_extractors_for_tests() -> None:
    _EXTRACTORS.clear()
    _RECORD_EXTRACTORS.clear()


# --- carriers of records ------------------------------------------------------------------------

RecordTrigger = Literal["sqs", "sns", "kinesis", "dynamodb", "s3"]
"""The source key of a trigger that delivers records (``lambda_otel_lite.sources``)."""
RECORD_TRIGGERS: tuple[str, ...] = get_args(RecordTrigger)
"""The values of :data:`RecordTrigger`, for the check of a registration."""

RecordCarrierFunction = Callable[[dict[str, Any]], Mapping[str, Any] | None]
"""A function from a raw record (as Lambda delivers it) to the carrier it holds, or None."""

_RECORD_EXTRACTORS: dict[str, RecordCarrierFunction] = {}


@overload
def register_record_carrier_extractor[F: RecordCarrierFunction](trigger: RecordTrigger, extractor: F) -> F: ...


@overload
def register_record_carrier_extractor[F: RecordCarrierFunction](
    trigger: RecordTrigger, extractor: None = None
) -> Callable[[F], F]: ...


def register_record_carrier_extractor[F: RecordCarrierFunction](
    trigger: RecordTrigger, extractor: F | None = None
) -> Any:
    """Register the function that finds the trace carrier in each record of a *trigger*'s batches.

    *trigger* is the source key: ``"sqs"``, ``"sns"``, ``"kinesis"``, ``"dynamodb"`` or ``"s3"``. The
    extractor receives each record as Lambda delivers it (the raw dict, for typed and untyped
    handlers alike: ``record["kinesis"]["data"]``, ``record["body"]``) and returns a mapping of
    propagation fields (``{"traceparent": ..., "baggage": ...}``) or None. It serves the record
    spans (``traced_records``, ``process_records``) and the links of the batch (invocation) span, and
    is called once per record per invocation; nothing is cached. A later registration for the same
    trigger replaces the earlier one.

    Precedence, per record: ``traced_records(event, get_carrier=...)`` (record spans only) > this
    extractor > the built-in record carrier (SQS and SNS message attributes, a sampled
    ``AWSTraceHeader``) > none. The first carrier holding a valid span context wins; a record whose
    extractor returns None, or a carrier without a valid context, gets the built-in one. An extractor
    that raises, or returns something that is not a mapping, is logged once and the built-in carrier
    is read: never an exception in the handler.

    For a JSON payload with the carrier under a key, :func:`json_record_carrier` is the extractor.

    Raises:
        ConfigurationError: *trigger* is not one of the triggers that deliver records.
        TypeError: *extractor* is not callable.

    Example:
        >>> @register_record_carrier_extractor("dynamodb")  # the writer stored its traceparent in the item
        ... def from_item(record):
        ...     image = record["dynamodb"].get("NewImage", {})
        ...     return {"traceparent": image.get("traceparent", {}).get("S")} if "traceparent" in image else None
        >>> register_record_carrier_extractor("kinesis", json_record_carrier("trace"))  # data: {"trace": {...}}
        <function json_record_carrier('trace') at ...>
    """
    if trigger not in RECORD_TRIGGERS:  # a tuple: an unhashable argument is reported as well
        raise ConfigurationError(
            f"register_record_carrier_extractor: trigger must be one of {', '.join(RECORD_TRIGGERS)} "
            f"(the triggers that deliver records), got {trigger!r}"
        )

    def register(function: F) -> F:
        if not callable(function):
            raise TypeError(f"register_record_carrier_extractor: the extractor must be callable, got {function!r}")
        _RECORD_EXTRACTORS[trigger] = function
        return function

    return register if extractor is None else register(extractor)


def record_extractor(trigger: str) -> RecordCarrierFunction | None:
    """The record carrier extractor registered for *trigger*, if any (one dict lookup)."""
    return _RECORD_EXTRACTORS.get(trigger)


def describe_extractor(function: object, what: str) -> str:
    """How the warnings name a carrier function: *what* and its qualified name."""
    return f"{what} {getattr(function, '__qualname__', function)!r}"


def record_carrier(extractor: RecordCarrierFunction, record: object, label: str) -> Mapping[str, Any] | None:
    """The carrier *extractor* finds in the raw *record*, or None.

    An extractor that raises, or returns something that is not a mapping, is logged once (*label*
    names it) and gives None: the record's built-in carrier is read instead.
    """
    if not isinstance(record, dict):
        return None
    try:
        carrier: object = extractor(record)  # whatever its annotation says
    except Exception:
        _once.warning(
            "record-carrier-raised:" + label,
            "%s raised; the records' built-in carriers are read instead",
            label,
            exc_info=True,
        )
        return None
    if carrier is None or isinstance(carrier, Mapping):
        return carrier
    _once.warning(
        "record-carrier-not-mapping:" + label,
        "%s returned a %s, not a mapping of propagation fields; the records' built-in carriers are read instead",
        label,
        type(carrier).__name__,
    )
    return None


def json_record_carrier(key: str | None = None) -> RecordCarrierFunction:
    """A record carrier extractor for records whose payload is JSON, with the carrier under *key*.

    The payload is an SQS message's ``body``, a Kinesis record's ``data`` (base64-decoded) or an SNS
    notification's ``Message``; the carrier is the JSON object's *key* member (``{"order": ...,
    "trace": {"traceparent": ...}}`` with ``key="trace"``), or the object itself when *key* is None
    (``{"traceparent": ..., "order": ...}``). A record whose payload is not JSON, or has no such
    member, gives None (its built-in carrier is read). Each payload is parsed once more than your
    handler parses it: the cost of a context inside the payload.

    Example:
        >>> extractor = json_record_carrier("trace")
        >>> extractor({"body": '{"trace": {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}'})
        {'traceparent': '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'}
        >>> extractor({"body": "not JSON"}) is None
        True
    """
    if key is not None and not isinstance(key, str):
        raise TypeError(f"json_record_carrier: key must be a string or None, got {key!r}")
    marker = f'"{key}"' if key is not None else "{"

    def extract(record: dict[str, Any]) -> Mapping[str, Any] | None:
        payload = _json_payload(record)
        if payload is None or marker not in payload:  # most payloads without the key are skipped unparsed
            return None
        import json

        try:
            document = json.loads(payload)
        except ValueError:
            return None
        carrier = document.get(key) if key is not None and isinstance(document, dict) else document
        return carrier if isinstance(carrier, dict) else None

    extract.__qualname__ = f"json_record_carrier({key!r})"
    return extract


def _json_payload(record: Mapping[str, Any]) -> str | None:
    """The payload of a raw record as text: an SQS body, Kinesis data (base64), an SNS Message."""
    body = record.get("body")
    if isinstance(body, str):
        return body
    kinesis = record.get("kinesis")
    if isinstance(kinesis, Mapping):
        data = kinesis.get("data")
        if not isinstance(data, str):
            return None
        import base64
        import binascii

        try:
            return base64.b64decode(data, validate=True).decode()
        except (binascii.Error, ValueError):  # not base64, or not UTF-8 (UnicodeDecodeError)
            return None
    sns = record.get("Sns")
    message = sns.get("Message") if isinstance(sns, Mapping) else None
    return message if isinstance(message, str) else None


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
    try:  # the one guard in its except form: every invocation with a carrier comes here
        context = propagate.extract(carrier, getter=GETTER)
    except Exception:
        _EXTRACT.caught()
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

XRAY_ENV = _config.TRACE_HEADER.name
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
