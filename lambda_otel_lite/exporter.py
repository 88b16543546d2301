"""StdoutSpanExporter: the ``otlp-stdout-span-exporter`` record, from lambda-otel-lite's own encoder.

Each export writes one JSON line per record, the format the OTLP stdout forwarder reads::

    {"__otel_otlp_stdout": "0.16.0", "source": "orders-api", "endpoint": "http://localhost:4318/v1/traces",
     "method": "POST", "content-type": "application/x-protobuf", "content-encoding": "gzip",
     "payload": "<base64 of the gzipped ExportTraceServiceRequest>", "base64": true}

The fields, their order, ``headers`` and ``level`` are those of ``OTLPStdoutSpanExporter``, and the
decompressed payload is byte-identical to its protobuf encoding (see :mod:`lambda_otel_lite._otlp`).
What differs is the cost (no protobuf import, several times faster per span) and what happens at
the edges:

- every record and its newline leave in one ``write()``, so lines other threads print never land
  inside a record;
- a batch whose line would exceed ``LAMBDA_OTEL_LITE_MAX_RECORD_BYTES`` (CloudWatch Logs keeps 256 KB
  per log event, and a cut line cannot be decoded) is written as several records, each under it;
- a single span too large for any record loses its largest attributes, then its last events (both
  counted in the span's dropped counts), or is dropped whole; :attr:`StdoutSpanExporter.trimmed_spans`
  and :attr:`StdoutSpanExporter.dropped_spans` count them and each export that had to do it logs one
  warning;
- text that is not valid Unicode and integers beyond int64 are repaired instead of losing the batch
  or the attribute (one warning per kind of repair per process).

The export path is this module (the record and its output: stdout, whole lines under the lock of
Managed Instances, or the named pipe) and ``_otlp`` (the encoding). The ``otlp-stdout-span-exporter``
package's own exporter, when chosen instead, is adapted in ``_package_exporter``.
"""

from __future__ import annotations

import binascii
import json
import logging
import os
import re
import sys
import zlib
from typing import TYPE_CHECKING, Literal

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from lambda_otel_lite import _config, _otlp
from lambda_otel_lite._log import OnceLogger
from lambda_otel_lite.exceptions import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from opentelemetry.sdk.trace import ReadableSpan

    from lambda_otel_lite._interprocess import StdoutLock

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)

ENDPOINT = "http://localhost:4318/v1/traces"
PIPE_PATH = "/tmp/otlp-stdout-span-exporter.pipe"
RECORD_VERSION = "0.16.0"
"""The ``__otel_otlp_stdout`` value when the installed ``otlp-stdout-span-exporter`` cannot tell its own."""

_REPAIR_MESSAGES = {
    "surrogates": "A span carried text that is not valid Unicode (a lone surrogate); each one was written as U+FFFD.",
    "big_ints": "A span carried an integer beyond int64, which OTLP cannot hold; it was written as its decimal string.",
    "unsupported_values": "A span carried an attribute value of a type OTLP cannot hold; it was left out and counted "
    "in the span's dropped_attributes_count.",
}


def record_version() -> str:
    """The installed ``otlp-stdout-span-exporter``'s version, read from its ``version.py`` without importing
    the package (that imports protobuf) or ``importlib.metadata`` (that costs more than the whole export)."""
    for entry in sys.path:
        try:
            with open(os.path.join(entry or ".", "otlp_stdout_span_exporter", "version.py"), encoding="utf-8") as file:
                text = file.read()
        except OSError:
            continue
        found = re.search(r"^(?:__version__\s*=\s*)?VERSION\s*=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
        if found:
            return found.group(1)
    return RECORD_VERSION


class StdoutSpanExporter(SpanExporter):
    """Writes spans to stdout (or the named pipe) as ``otlp-stdout-span-exporter`` records.

    A drop-in for ``otlp_stdout_span_exporter.OTLPStdoutSpanExporter``: the same arguments, the same
    environment variables with the same precedence (they override the arguments), the same record.

    Args:
        gzip_level: Gzip level 0-9 of the payload. Defaults to 6.
        log_level: ``"DEBUG"``, ``"INFO"``, ``"WARN"`` or ``"ERROR"`` (or that package's ``LogLevel``):
            adds a ``level`` field to every record.
        output_type: ``"stdout"`` (default) or ``"pipe"``.
        max_record_bytes: The longest line written, newline included. Defaults to
            ``LAMBDA_OTEL_LITE_MAX_RECORD_BYTES``, else 262144.
        pipe_path: The named pipe of ``output_type="pipe"``. Defaults to the package's
            ``/tmp/otlp-stdout-span-exporter.pipe``.

    Env vars: ``OTLP_STDOUT_SPAN_EXPORTER_COMPRESSION_LEVEL``, ``OTLP_STDOUT_SPAN_EXPORTER_LOG_LEVEL``,
    ``OTLP_STDOUT_SPAN_EXPORTER_OUTPUT_TYPE``, ``OTEL_EXPORTER_OTLP_HEADERS``,
    ``OTEL_EXPORTER_OTLP_TRACES_HEADERS``, ``OTEL_SERVICE_NAME`` / ``AWS_LAMBDA_FUNCTION_NAME`` (the
    record's ``source``), ``LAMBDA_OTEL_LITE_MAX_RECORD_BYTES``; read once, here.

    Thread rules: ``export`` is not reentrant; ``LambdaSpanProcessor`` serialises its calls.

    Example:
        >>> from lambda_otel_lite import LambdaSpanProcessor
        >>> processor = LambdaSpanProcessor(StdoutSpanExporter(gzip_level=1))
    """

    def __init__(
        self,
        *,
        gzip_level: int | None = None,
        log_level: str | None = None,
        output_type: Literal["stdout", "pipe"] | str | None = None,
        max_record_bytes: int | None = None,
        pipe_path: str | None = None,
    ) -> None:
        if gzip_level is not None and (isinstance(gzip_level, bool) or gzip_level not in range(10)):
            raise ConfigurationError(f"gzip_level must be an integer from 0 to 9, got {gzip_level!r}")
        if log_level is not None:
            parsed = _config.parse_log_level(str(getattr(log_level, "value", log_level)))
            if parsed is None:
                raise ConfigurationError(f"log_level must be one of DEBUG, INFO, WARN, ERROR, got {log_level!r}")
            log_level = parsed
        output = getattr(output_type, "value", output_type)
        if output not in (None, *_config.OutputType):
            raise ConfigurationError(f"output_type must be 'stdout' or 'pipe', got {output_type!r}")
        minimum = _config.MIN_MAX_RECORD_BYTES
        if max_record_bytes is not None and (type(max_record_bytes) is not int or max_record_bytes < minimum):
            raise ConfigurationError(f"max_record_bytes must be an integer >= {minimum}, got {max_record_bytes!r}")
        settings = _config.exporter_settings(gzip_level, log_level, output == _config.OutputType.PIPE, max_record_bytes)
        self._gzip_level = settings.gzip_level
        self._max_record_bytes = settings.max_record_bytes
        self._pipe: str | None = None
        self._stdout_lock = _shared_stdout_lock()
        if settings.pipe:
            path = pipe_path or PIPE_PATH
            if os.path.exists(path):
                self._pipe = path
            else:
                logger.warning("Named pipe %s does not exist; telemetry records go to stdout", path)
        record: dict[str, object] = {
            "__otel_otlp_stdout": record_version(),
            "source": settings.service_name,
            "endpoint": ENDPOINT,
            "method": "POST",
            "content-type": "application/x-protobuf",
            "content-encoding": "gzip",
        }
        # json.dumps of the whole record, written around the payload (base64 needs no escaping).
        self._prefix = json.dumps(record)[:-1] + ', "payload": "'
        suffix = '", "base64": true'
        if settings.headers:
            suffix += ', "headers": ' + json.dumps(settings.headers)
        if settings.log_level is not None:
            suffix += ', "level": ' + json.dumps(settings.log_level)
        self._suffix = suffix + "}\n"
        self.last_error: str | None = None
        """Why the last write failed; None after a successful one."""
        self.trimmed_spans = 0
        """Spans that lost attributes or events to fit into one record."""
        self.dropped_spans = 0
        """Spans too large for any record, even without attributes and events."""
        self._oversized: list[tuple[str, tuple[int, int] | None]] = []  # this export's, for its one warning

    @property
    def max_record_bytes(self) -> int:
        """The longest line this exporter writes, newline included."""
        return self._max_record_bytes

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Encode *spans* into one record (or several, to keep each line under the limit) and write them."""
        if not spans:
            return self._touch_pipe()
        lines = self._records([(span, _otlp.encode_span(span)) for span in spans])
        self._report_oversized()
        self._report_repairs()
        for line in lines:
            if not self._write(line):
                return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Nothing is buffered here: each record is written when exported."""
        return True

    def shutdown(self) -> None:
        """Nothing to release."""

    # --- records --------------------------------------------------------------------------------

    def _line(self, spans: list[tuple[ReadableSpan, bytes]]) -> str:
        payload = _otlp.encode_request(_otlp.group_spans(spans))
        compressed = zlib.compress(payload, self._gzip_level, wbits=31)  # gzip framing, as gzip.compress
        return self._prefix + binascii.b2a_base64(compressed, newline=False).decode("ascii") + self._suffix

    def _records(self, spans: list[tuple[ReadableSpan, bytes]]) -> list[str]:
        line = self._line(spans)
        if len(line) <= self._max_record_bytes:  # ASCII (json.dumps escapes the rest): chars are bytes
            return [line]
        if len(spans) == 1:
            return self._fit(spans[0][0])
        # Split by encoded size into enough parts for each to fit at this batch's compression ratio.
        parts = -(-len(line) // self._max_record_bytes) + 1
        target = sum(len(encoded) for _, encoded in spans) / parts
        chunks: list[list[tuple[ReadableSpan, bytes]]] = [[]]
        size = 0
        for item in spans:
            if chunks[-1] and size + len(item[1]) > target:
                chunks.append([])
                size = 0
            chunks[-1].append(item)
            size += len(item[1])
        return [record for chunk in chunks for record in self._records(chunk)]

    def _fit(self, span: ReadableSpan) -> list[str]:
        """One record for a span that is too large as it is: drop its largest attributes, then its last events."""
        sizes: list[tuple[int, str]] = []
        for key, value in _otlp.attribute_items(span.attributes):
            out: list[bytes] = []
            _otlp.encode_attributes(_otlp.SPAN_ATTRIBUTES, [(key, value)], out)
            sizes.append((sum(map(len, out)), key))
        sizes.sort(reverse=True)
        skipped: set[str] = set()
        for _, key in sizes:
            skipped.add(key)
            line = self._line([(span, _otlp.encode_span(span, frozenset(skipped)))])
            if len(line) <= self._max_record_bytes:
                return self._trimmed(span, line, len(skipped), 0)
        for events in range(1, len(span.events) + 1):
            line = self._line([(span, _otlp.encode_span(span, frozenset(skipped), events))])
            if len(line) <= self._max_record_bytes:
                return self._trimmed(span, line, len(skipped), events)
        self.dropped_spans += 1
        self._oversized.append((span.name, None))
        return []

    def _trimmed(self, span: ReadableSpan, line: str, attributes: int, events: int) -> list[str]:
        self.trimmed_spans += 1
        self._oversized.append((span.name, (attributes, events)))
        return [line]

    def _report_oversized(self) -> None:
        """One warning for every span of this export that had to be trimmed or dropped to fit a record."""
        oversized, self._oversized = self._oversized, []
        if not oversized:
            return
        described = []
        for name, trimmed in oversized[:5]:
            if trimmed is None:
                described.append(f"{name!r} dropped whole")
            else:
                described.append(f"{name!r} without {trimmed[0]} attributes and {trimmed[1]} events")
        more = f" and {len(oversized) - 5} more" if len(oversized) > 5 else ""
        logger.warning(
            "%d spans did not fit into a telemetry record of at most %d bytes (%s): %s%s. What a trimmed span lost "
            "is counted in its own dropped counts; StdoutSpanExporter.trimmed_spans and .dropped_spans count "
            "every such span.",
            len(oversized),
            self._max_record_bytes,
            _config.MAX_RECORD_BYTES.name,
            "; ".join(described),
            more,
        )

    def _report_repairs(self) -> None:
        repairs = _otlp.REPAIRS
        for kind, count in repairs.items():
            if count:
                repairs[kind] = 0
                _once.warning(f"repair-{kind}", _REPAIR_MESSAGES[kind])

    # --- output ---------------------------------------------------------------------------------

    def _write(self, line: str) -> bool:
        if self._pipe is not None:
            try:
                with open(self._pipe, "w") as pipe:
                    pipe.write(line)
                return True
            except OSError as exc:
                _once.warning("pipe-write", "Writing to %s failed (%s); falling back to stdout", self._pipe, exc)
        try:
            if self._stdout_lock is None:
                sys.stdout.write(line)
            else:
                self._stdout_lock.write(line)  # Managed Instances: processes take turns on one stdout
        except Exception as exc:
            self.last_error = f"writing to stdout failed: {type(exc).__name__}: {exc}"
            return False
        self.last_error = None
        return True

    def _touch_pipe(self) -> SpanExportResult:
        """An empty export opens and closes the pipe, as the package does, so its reader sees the flush."""
        if self._pipe is None:
            return SpanExportResult.SUCCESS
        try:
            with open(self._pipe, "w"):
                pass
        except OSError as exc:
            self.last_error = f"touching {self._pipe} failed: {type(exc).__name__}: {exc}"
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS


def _shared_stdout_lock() -> StdoutLock | None:
    if not _config.managed_instances_environment():
        return None  # elsewhere the lock module is not even imported
    from lambda_otel_lite._interprocess import shared_stdout_lock

    return shared_stdout_lock()
