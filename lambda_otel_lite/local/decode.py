"""Decode the lines ``otlp-stdout-span-exporter`` prints back into spans.

A telemetry line is a JSON object with an ``__otel_otlp_stdout`` key whose ``payload`` is an OTLP
``ExportTraceServiceRequest`` in protobuf, gzip-compressed (when ``content-encoding`` is gzip) and
base64-encoded. Lines copied from CloudWatch Logs carry a prefix (timestamp, request id, level)
before the JSON; it is skipped. Lines that are not telemetry are ignored; a telemetry line that
cannot be decoded raises :class:`TelemetryDecodeError`.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

if TYPE_CHECKING:
    from collections.abc import Iterable

    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

MARKER = '"__otel_otlp_stdout"'


class TelemetryDecodeError(ValueError):
    """A line is an otlp-stdout record but its payload cannot be decoded."""


@dataclass(frozen=True, slots=True)
class DecodedLink:
    trace_id: str
    span_id: str
    attributes: dict[str, Any] = field(default_factory=dict[str, Any])


@dataclass(frozen=True, slots=True)
class DecodedEvent:
    name: str
    attributes: dict[str, Any] = field(default_factory=dict[str, Any])


@dataclass(frozen=True, slots=True)
class DecodedSpan:
    """One span as decoded from stdout, with plain Python values."""

    name: str
    kind: str
    """SERVER, CLIENT, INTERNAL, PRODUCER or CONSUMER."""
    trace_id: str
    span_id: str
    parent_span_id: str | None
    status: str
    """UNSET, OK or ERROR."""
    status_message: str
    attributes: dict[str, Any]
    events: tuple[DecodedEvent, ...]
    links: tuple[DecodedLink, ...]
    start_time_unix_nano: int
    end_time_unix_nano: int
    resource: dict[str, Any]
    scope: str

    @property
    def duration_ms(self) -> float:
        return (self.end_time_unix_nano - self.start_time_unix_nano) / 1e6


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return getattr(value, which)


def _attributes(items: Iterable[KeyValue]) -> dict[str, Any]:
    return {item.key: _value(item.value) for item in items}


_KINDS = {
    Span.SPAN_KIND_UNSPECIFIED: "UNSPECIFIED",
    Span.SPAN_KIND_INTERNAL: "INTERNAL",
    Span.SPAN_KIND_SERVER: "SERVER",
    Span.SPAN_KIND_CLIENT: "CLIENT",
    Span.SPAN_KIND_PRODUCER: "PRODUCER",
    Span.SPAN_KIND_CONSUMER: "CONSUMER",
}
_STATUSES = {Status.STATUS_CODE_UNSET: "UNSET", Status.STATUS_CODE_OK: "OK", Status.STATUS_CODE_ERROR: "ERROR"}


def decode_request(request: ExportTraceServiceRequest) -> list[DecodedSpan]:
    """Flatten an OTLP export request into spans."""
    spans: list[DecodedSpan] = []
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    DecodedSpan(
                        name=span.name,
                        kind=_KINDS.get(span.kind, str(span.kind)),
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex() or None,
                        status=_STATUSES.get(span.status.code, str(span.status.code)),
                        status_message=span.status.message,
                        attributes=_attributes(span.attributes),
                        events=tuple(DecodedEvent(e.name, _attributes(e.attributes)) for e in span.events),
                        links=tuple(
                            DecodedLink(link.trace_id.hex(), link.span_id.hex(), _attributes(link.attributes))
                            for link in span.links
                        ),
                        start_time_unix_nano=span.start_time_unix_nano,
                        end_time_unix_nano=span.end_time_unix_nano,
                        resource=resource,
                        scope=scope_spans.scope.name,
                    )
                )
    return spans


def is_telemetry_line(line: str) -> bool:
    """True if *line* looks like an otlp-stdout record (possibly behind a CloudWatch prefix)."""
    return MARKER in line


def record_of_line(line: str) -> tuple[dict[str, Any], bytes] | None:
    """The otlp-stdout record of one output line and its payload as sent (still compressed); None if not telemetry.

    Raises:
        TelemetryDecodeError: the line is telemetry but its JSON or base64 is corrupt.
    """
    marker = line.find(MARKER)
    if marker < 0:
        return None
    start = line.rfind("{", 0, marker)
    if start < 0:
        raise TelemetryDecodeError("no JSON object around the __otel_otlp_stdout marker")
    try:
        record = json.loads(line[start:].strip())
    except json.JSONDecodeError as exc:
        raise TelemetryDecodeError(f"invalid JSON: {exc}") from exc
    if not isinstance(record, dict):
        raise TelemetryDecodeError("the record is not a JSON object")
    payload = record.get("payload")
    if not isinstance(payload, str):
        raise TelemetryDecodeError("the record has no string 'payload'")
    try:
        data = base64.b64decode(payload, validate=True) if record.get("base64", True) else payload.encode()
    except (binascii.Error, ValueError) as exc:
        raise TelemetryDecodeError(f"payload is not valid base64: {exc}") from exc
    return record, data


def _request_of_line(line: str) -> ExportTraceServiceRequest | None:
    found = record_of_line(line)
    if found is None:
        return None
    record, data = found
    if record.get("content-encoding") == "gzip":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise TelemetryDecodeError(f"payload is not valid gzip: {exc}") from exc
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(data)
    except DecodeError as exc:
        raise TelemetryDecodeError(f"payload is not an OTLP ExportTraceServiceRequest: {exc}") from exc
    return request


def decode_line(line: str) -> list[DecodedSpan] | None:
    """The spans of one output line; None if the line is not telemetry.

    Raises:
        TelemetryDecodeError: the line is telemetry but corrupt (bad JSON, base64, gzip or protobuf).
    """
    request = _request_of_line(line)
    return None if request is None else decode_request(request)


def otlp_json(line: str) -> dict[str, Any] | None:
    """The OTLP/JSON form of one output line's payload (hex ids, as OTLP/HTTP JSON); None if not telemetry.

    Raises:
        TelemetryDecodeError: the line is telemetry but corrupt.
    """
    from google.protobuf import json_format

    request = _request_of_line(line)
    if request is None:
        return None
    document: dict[str, Any] = json_format.MessageToDict(request)
    for resource_spans in document.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                _hex_ids(span)
                for link in span.get("links", []):
                    _hex_ids(link)
    return document


def _hex_ids(item: dict[str, Any]) -> None:
    # protobuf's JSON mapping writes bytes as base64; OTLP/JSON wants ids as hex.
    for key in ("traceId", "spanId", "parentSpanId"):
        if key in item:
            item[key] = base64.b64decode(item[key]).hex()


def decode_lines(lines: Iterable[str]) -> tuple[list[DecodedSpan], list[tuple[int, str]]]:
    """Decode every telemetry line; return the spans and ``(line number, error)`` for corrupt ones."""
    spans: list[DecodedSpan] = []
    errors: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        try:
            decoded = decode_line(line)
        except TelemetryDecodeError as exc:
            errors.append((number, str(exc)))
            continue
        if decoded:
            spans.extend(decoded)
    return spans, errors
