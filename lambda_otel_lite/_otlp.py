"""OTLP protobuf wire encoding of finished spans, without protobuf.

:func:`encode_spans` writes the bytes of an ``ExportTraceServiceRequest`` straight from the SDK's
``ReadableSpan`` objects. For every batch the reference encoder
(``opentelemetry.exporter.otlp.proto.common.trace_encoder.encode_spans(spans).SerializeToString()``)
can encode, the output is byte-identical to it: the same fields, in field-number order, the same
defaults left out, the same grouping (by resource, then by instrumentation scope, in the order the
spans first name them) and the same span flags. The test suite proves this property by property.

Where the reference fails, this encoder keeps the span:

- text that is not valid Unicode (a lone surrogate in a name, key, value or status description)
  makes the reference drop the whole batch or the attribute; here each lone surrogate becomes
  U+FFFD and the span keeps its text;
- an integer outside int64 makes the reference drop the attribute; here it is written as its
  decimal string;
- a value of a type OTLP cannot carry (only possible in a hand-made ``ReadableSpan``) is left out
  and counted in the span's ``dropped_attributes_count``.

Each of these is reported once per process, by :data:`REPAIRS`' caller (the exporter).

Why not protobuf: importing the generated OTLP modules costs about 40 ms of cold start, and
``encode_spans`` builds a Python message object per span, attribute and value before serialising;
writing the wire format directly is several times faster (docs/performance.md has the numbers).

Thread rules: pure functions over immutable spans, except the small bounded caches, which are
safe to race (a lost insert only costs a re-encode).
"""

from __future__ import annotations

import struct
from collections import abc
from typing import TYPE_CHECKING, Any

from opentelemetry.attributes import BoundedAttributes as _BoundedAttributes
from opentelemetry.sdk.trace import ReadableSpan, Span
from opentelemetry.sdk.util import BoundedList as _BoundedList
from opentelemetry.trace import INVALID_SPAN_CONTEXT

from lambda_otel_lite import _resets

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


__all__ = [
    "REPAIRS",
    "SPAN_ATTRIBUTES",
    "SpanGroups",
    "attribute_items",
    "encode_attributes",
    "encode_request",
    "encode_span",
    "encode_spans",
    "group_spans",
]

# Span.kind (field 6) for each opentelemetry.trace.SpanKind value: INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER
_KIND_FIELD = {value: bytes((0x30, value + 1)) for value in range(5)}
_HAS_IS_REMOTE = 0x100  # SpanFlags.SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK
_IS_REMOTE = 0x200  # SpanFlags.SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

_TIMES = struct.Struct("<BQBQ")  # Span.start_time_unix_nano (7) and end_time_unix_nano (8), both fixed64
_FIXED64 = struct.Struct("<BQ")
_FLAGS = b"\x85\x01"  # Span.flags: field 16, fixed32
SPAN_ATTRIBUTES = b"\x4a"
"""The tag of ``Span.attributes`` (field 9, length-delimited): :func:`encode_attributes` of a span's own attributes."""
_DOUBLE = struct.Struct("<Bd")  # AnyValue.double_value: field 4, fixed64
_DOUBLE_BITS = struct.Struct("<d")
_FIXED32 = struct.Struct("<I")

_SDK_SPANS = (ReadableSpan, Span)  # exactly these types: their containers are read directly

_VARINT_1 = [bytes((n,)) for n in range(128)]

REPAIRS: dict[str, int] = {"surrogates": 0, "big_ints": 0, "unsupported_values": 0}
"""What the encoder had to repair since the last time its caller looked (and reset the counts)."""


def _varint(value: int) -> bytes:
    if value < 0x80:
        return _VARINT_1[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _utf8(text: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError:
        REPAIRS["surrogates"] += 1
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text).encode()


def _field(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field: tag, length, payload."""
    size = len(payload)
    return tag + (_VARINT_1[size] if size < 0x80 else _varint(size)) + payload


# --- attributes -----------------------------------------------------------------------------------

_KEY_CACHE: dict[str, bytes] = {}  # attribute key -> KeyValue.key field
_SCALAR_CACHE: dict[tuple[bytes, str, object], bytes] = {}  # (tag, key, str or bool value) -> the whole field
_HEAD_CACHE: dict[tuple[bytes, str, type], bytes] = {}  # (tag, key, float or int) -> all but the value
_CACHE_LIMIT = 4096


class _Unsupported(Exception):
    """A value OTLP's AnyValue cannot carry."""


def _any_value(value: Any) -> bytes:
    """The bytes of an ``AnyValue`` holding *value* (the reference's type order)."""
    if value is None:
        return b""
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, str):
        return _field(b"\x0a", _utf8(value))
    if isinstance(value, int):
        if _INT64_MIN <= value <= _INT64_MAX:
            return b"\x18" + _varint(value & 0xFFFFFFFFFFFFFFFF)
        REPAIRS["big_ints"] += 1
        return _field(b"\x0a", str(value).encode())
    if isinstance(value, float):
        return _DOUBLE.pack(0x21, value)
    if isinstance(value, bytes):
        return _field(b"\x3a", value)
    if isinstance(value, (list, tuple, abc.Sequence)):
        return _field(b"\x2a", b"".join([_field(b"\x0a", _any_value(item)) for item in value]))
    if isinstance(value, abc.Mapping):
        return _field(b"\x32", b"".join([_field(b"\x0a", _key_value(str(k), v)) for k, v in value.items()]))
    raise _Unsupported(type(value).__name__)


def _key_prefix(key: str) -> bytes:
    """``KeyValue.key`` as a field (nothing for an empty key: proto3 leaves it out)."""
    prefix = _KEY_CACHE.get(key)
    if prefix is None:
        prefix = _field(b"\x0a", _utf8(key)) if key else b""
        if len(_KEY_CACHE) < _CACHE_LIMIT:
            _KEY_CACHE[key] = prefix
    return prefix


def _key_value(key: str, value: Any) -> bytes:
    return _key_prefix(key) + _field(b"\x12", _any_value(value))


def _fixed_head(tag: bytes, key: str, kind: type) -> bytes:
    """Everything of a float or small-int attribute field but its value's last bytes."""
    prefix = _key_prefix(key)
    value_head = b"\x12\x09\x21" if kind is float else b"\x12\x02\x18"  # AnyValue of 9 or 2 bytes, its tag
    size = len(prefix) + len(value_head) + (8 if kind is float else 1)
    head = tag + _varint(size) + prefix + value_head
    if len(_HEAD_CACHE) < _CACHE_LIMIT:
        _HEAD_CACHE[tag, key, kind] = head
    return head


def encode_attributes(tag: bytes, items: Iterable[tuple[str, Any]], out: list[bytes]) -> int:
    """Append each attribute to *out* as a length-delimited *tag* field; return how many could not be."""
    unsupported = 0
    scalars = _SCALAR_CACHE
    heads = _HEAD_CACHE
    for key, value in items:
        kind = type(value)
        if (kind is str and len(value) <= 256) or kind is bool:
            cache_key = (tag, key, value)
            encoded = scalars.get(cache_key)
            if encoded is None:
                encoded = _field(tag, _key_value(key, value))
                if len(scalars) < _CACHE_LIMIT:
                    scalars[cache_key] = encoded
            out.append(encoded)
            continue
        if kind is float or (kind is int and 0 <= value < 0x80):
            # A fixed-size value: the field's tag, length, key and value tag are the same every time.
            head = heads.get((tag, key, kind))
            if head is None:
                head = _fixed_head(tag, key, kind)
            out.append(head + (_DOUBLE_BITS.pack(value) if kind is float else _VARINT_1[value]))
            continue
        try:
            body = _key_prefix(key) + _field(b"\x12", _any_value(value))
        except _Unsupported:
            unsupported += 1
            continue
        size = len(body)
        out.append(tag + (_VARINT_1[size] if size < 0x80 else _varint(size)) + body)
    if unsupported:
        REPAIRS["unsupported_values"] += unsupported
    return unsupported


def attribute_items(attributes: Any) -> Iterable[tuple[str, Any]]:
    """The (key, value) pairs of an attribute mapping; BoundedAttributes' own dict when it is one."""
    if not attributes:
        return ()
    if type(attributes) is _BoundedAttributes:
        attributes = attributes._dict
    items: Iterable[tuple[str, Any]] = attributes.items()
    return items


# --- spans ------------------------------------------------------------------------------------------


_LOCAL_BITS = _FIXED32.pack(_HAS_IS_REMOTE)
_REMOTE_BITS = _FIXED32.pack(_HAS_IS_REMOTE | _IS_REMOTE)


def _flags(context: Any) -> bytes:
    """The flags' bits for a span whose parent (or a link whose target) is *context*, as the reference sets them."""
    return _REMOTE_BITS if context is not None and context.is_remote else _LOCAL_BITS


_TRACE_ID: dict[int, bytes] = {}  # trace id -> Span.trace_id field and the span_id tag after it
_NAMES: dict[str, bytes] = {}  # span name -> Span.name field

_LOCAL_FLAGS = _FLAGS + _LOCAL_BITS
_REMOTE_FLAGS = _FLAGS + _REMOTE_BITS


def encode_span(span: ReadableSpan, skip_attributes: frozenset[str] = frozenset(), skip_events: int = 0) -> bytes:
    """The bytes of one OTLP ``Span`` message (without its own tag and length).

    Args:
        span: A finished span.
        skip_attributes: Keys of span attributes to leave out; they are counted in the span's
            ``dropped_attributes_count`` (used to fit an oversized span into one record).
        skip_events: How many of the span's events to leave out, from the last; counted in
            ``dropped_events_count``.
    """
    if type(span) in _SDK_SPANS:  # read the SDK's own fields, not their (copying) properties
        context, parent, name, kind = span._context, span._parent, span._name, span._kind
        start, end = span._start_time, span._end_time
        attributes: Any = span._attributes
        events: Sequence[Any] = span._events
        links: Sequence[Any] = span._links
        status = span._status
        dropped_attributes = attributes.dropped if type(attributes) is _BoundedAttributes else 0
        dropped_events = events.dropped if type(events) is _BoundedList else 0
        dropped_links = links.dropped if type(links) is _BoundedList else 0
    else:
        context, parent, name, kind = span.context, span.parent, span.name, span.kind
        start, end = span.start_time, span.end_time
        attributes, events, links, status = span.attributes, span.events, span.links, span.status
        dropped_attributes, dropped_events, dropped_links = (
            span.dropped_attributes,
            span.dropped_events,
            span.dropped_links,
        )
    if context is None:  # only a hand-made span has none; the reference fails the batch, ours keeps the span
        context = INVALID_SPAN_CONTEXT
    trace_id = context.trace_id
    trace_field = _TRACE_ID.get(trace_id)  # the spans of a batch mostly share their trace
    if trace_field is None:
        if len(_TRACE_ID) >= 16:
            _TRACE_ID.clear()
        trace_field = _TRACE_ID[trace_id] = b"\x0a\x10" + trace_id.to_bytes(16, "big") + b"\x12\x08"
    parts: list[bytes] = [trace_field, context.span_id.to_bytes(8, "big")]
    trace_state = context.trace_state
    if trace_state:
        parts.append(_field(b"\x1a", _utf8(",".join([f"{k}={v}" for k, v in trace_state.items()]))))
    if parent is not None:
        parts.append(b"\x22\x08" + parent.span_id.to_bytes(8, "big"))
    if name:
        name_field = _NAMES.get(name)
        if name_field is None:
            name_field = _field(b"\x2a", _utf8(name))
            if len(_NAMES) < _CACHE_LIMIT:
                _NAMES[name] = name_field
        parts.append(name_field)
    parts.append(_KIND_FIELD[kind._value_])
    if start and end:
        parts.append(_TIMES.pack(0x39, start, 0x41, end))
    elif start:
        parts.append(_FIXED64.pack(0x39, start))
    elif end:
        parts.append(_FIXED64.pack(0x41, end))

    items = attribute_items(attributes)
    if skip_attributes:
        items = [(k, v) for k, v in items if k not in skip_attributes]
    unsupported = encode_attributes(b"\x4a", items, parts)  # SPAN_ATTRIBUTES, as a constant here
    dropped = dropped_attributes + unsupported + len(skip_attributes)
    if dropped:
        parts.append(b"\x50" + _varint(dropped))

    if events:
        if skip_events:
            events = list(events)[: len(events) - skip_events]
        for event in events:
            event_parts: list[bytes] = []
            if event.timestamp:
                event_parts.append(_FIXED64.pack(0x09, event.timestamp))
            if event.name:
                event_parts.append(_field(b"\x12", _utf8(event.name)))
            unsupported = encode_attributes(b"\x1a", attribute_items(event.attributes), event_parts)
            dropped = event.dropped_attributes + unsupported
            if dropped:
                event_parts.append(b"\x20" + _varint(dropped))
            parts.append(_field(b"\x5a", b"".join(event_parts)))
        dropped = dropped_events + skip_events
        if dropped:
            parts.append(b"\x60" + _varint(dropped))
    elif dropped_events:
        parts.append(b"\x60" + _varint(dropped_events))

    if links:
        for link in links:
            link_context = link.context
            link_parts = [
                b"\x0a\x10",
                link_context.trace_id.to_bytes(16, "big"),
                b"\x12\x08",
                link_context.span_id.to_bytes(8, "big"),
            ]
            unsupported = encode_attributes(b"\x22", attribute_items(link.attributes), link_parts)
            dropped = link.dropped_attributes + unsupported
            if dropped:
                link_parts.append(b"\x28" + _varint(dropped))
            link_parts.append(b"\x35" + _flags(link_context))
            parts.append(_field(b"\x6a", b"".join(link_parts)))
    if dropped_links:
        parts.append(b"\x70" + _varint(dropped_links))

    if status is not None:
        code = status.status_code._value_
        description = status.description
        if description:
            body = _field(b"\x12", _utf8(description))
            parts.append(_field(b"\x7a", body + b"\x18" + _VARINT_1[code] if code else body))
        else:
            parts.append(b"\x7a\x02\x18" + _VARINT_1[code] if code else b"\x7a\x00")
    parts.append(_REMOTE_FLAGS if parent is not None and parent.is_remote else _LOCAL_FLAGS)
    return b"".join(parts)


# --- grouping and the request -------------------------------------------------------------------------

SpanGroups = list[tuple[Any, list[tuple[Any, list[bytes]]]]]
"""``[(resource, [(scope, [span bytes, ...]), ...]), ...]``, in first-seen order."""


def group_spans(spans: Iterable[tuple[ReadableSpan, bytes]]) -> SpanGroups:
    """Group encoded spans by resource, then by scope, as the reference does (by equality, in order)."""
    resources: dict[Any, dict[Any, list[bytes]]] = {}
    seen: dict[tuple[int, int], list[bytes]] = {}  # (id(resource), id(scope)) -> its span list
    for span, encoded in spans:
        resource = span.resource
        scope = span.instrumentation_scope or None
        key = (id(resource), id(scope))
        bucket = seen.get(key)
        if bucket is None:
            scopes = resources.get(resource)
            if scopes is None:
                scopes = resources[resource] = {}
            bucket = scopes.get(scope)
            if bucket is None:
                bucket = scopes[scope] = []
            seen[key] = bucket
        bucket.append(encoded)
    return [(resource, list(scopes.items())) for resource, scopes in resources.items()]


_RESOURCE_CACHE: dict[int, tuple[Any, bytes]] = {}  # id(resource) -> (resource, Resource message field)
_SCOPE_CACHE: dict[int, tuple[Any, bytes]] = {}  # id(scope) -> (scope, InstrumentationScope message field)


@_resets.register
def _reset() -> None:
    """Empty the caches and zero the repair counts, as in a fresh process. Tests only."""
    for cache in (_KEY_CACHE, _SCALAR_CACHE, _HEAD_CACHE, _TRACE_ID, _NAMES, _RESOURCE_CACHE, _SCOPE_CACHE):
        cache.clear()
    for name in REPAIRS:
        REPAIRS[name] = 0


def _cached(cache: dict[int, tuple[Any, bytes]], value: Any, encode: Any) -> bytes:
    entry = cache.get(id(value))
    if entry is not None and entry[0] is value:
        return entry[1]
    encoded: bytes = encode(value)
    if len(cache) >= 64:
        cache.clear()
    cache[id(value)] = (value, encoded)  # the reference keeps the id from being reused
    return encoded


def _resource(resource: Any) -> bytes:
    encoded: list[bytes] = []
    encode_attributes(b"\x0a", attribute_items(resource.attributes), encoded)
    return _field(b"\x0a", b"".join(encoded))


def _scope(scope: Any) -> bytes:
    if scope is None:
        return b"\x0a\x00"
    parts: list[bytes] = []
    if scope.name:
        parts.append(_field(b"\x0a", _utf8(scope.name)))
    if scope.version:
        parts.append(_field(b"\x12", _utf8(scope.version)))
    encode_attributes(b"\x1a", attribute_items(scope.attributes), parts)
    return _field(b"\x0a", b"".join(parts))


def encode_request(groups: SpanGroups) -> bytes:
    """The bytes of an ``ExportTraceServiceRequest`` holding *groups*."""
    request: list[bytes] = []
    for resource, scopes in groups:
        resource_parts = [_cached(_RESOURCE_CACHE, resource, _resource)]
        for scope, spans in scopes:
            scope_parts = [_cached(_SCOPE_CACHE, scope, _scope)]
            scope_parts += [_field(b"\x12", span) for span in spans]
            schema_url = scope.schema_url if scope is not None else None
            if schema_url:
                scope_parts.append(_field(b"\x1a", _utf8(schema_url)))
            resource_parts.append(_field(b"\x12", b"".join(scope_parts)))
        if resource.schema_url:
            resource_parts.append(_field(b"\x1a", _utf8(resource.schema_url)))
        request.append(_field(b"\x0a", b"".join(resource_parts)))
    return b"".join(request)


def encode_spans(spans: Sequence[ReadableSpan]) -> bytes:
    """The serialised ``ExportTraceServiceRequest`` of *spans*, as the reference encoder writes it.

    Example:
        >>> encode_spans([])
        b''
    """
    return encode_request(group_spans([(span, encode_span(span)) for span in spans]))
