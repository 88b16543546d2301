"""LambdaSpanProcessor: buffer finished spans, export them when the invocation says so.

A Lambda environment runs one invocation at a time and may be frozen as soon as it is done, so a
timer-driven processor (``BatchSpanProcessor``) either exports while the handler runs or sits frozen
with spans in memory. This processor never exports on its own: spans wait in a bounded queue until
``force_flush()`` is called, by the handler wrapper (sync mode), by the internal extension thread
after the response is sent (async mode), or by the SIGTERM handler: :class:`ProcessorMode` names
the three.

``ProcessorMode`` is declared in ``_config``, the bottom layer, and re-exported here: the
configuration parses ``LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE`` into it (the variable's default, its
parser and ``Config.mode`` need the enum when ``_config`` loads), and this module reads ``_config``.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import TYPE_CHECKING

from opentelemetry import context as context_api
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from lambda_otel_lite import _config
from lambda_otel_lite._config import ProcessorMode as ProcessorMode  # re-exported: see the module docstring
from lambda_otel_lite._log import OnceLogger
from lambda_otel_lite.exceptions import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)

# The key instrumentations check before creating spans; set while exporting so that an exporter's
# own I/O (an instrumented HTTP client, say) never produces spans that feed back into the queue.
_SUPPRESS_INSTRUMENTATION_KEY = context_api._SUPPRESS_INSTRUMENTATION_KEY

DEFAULT_MAX_EXPORT_BATCH_SIZE = 512


class LambdaSpanProcessor(SpanProcessor):
    """A span processor that queues finished spans and exports them only on ``force_flush()``.

    Args:
        exporter: Where spans go, e.g. ``OTLPStdoutSpanExporter()``.
        max_queue_size: Spans held between flushes. A span that finds the queue full is dropped
            and counted in :attr:`dropped_spans`; the next flush logs one warning with the count.
            Defaults to ``LAMBDA_SPAN_PROCESSOR_QUEUE_SIZE``, else 2048.
        max_export_batch_size: Spans per ``exporter.export()`` call. With the stdout exporter a
            batch is one log line, so this bounds the line size (CloudWatch splits lines over
            256 KB). Defaults to 512.

    Env vars: ``LAMBDA_SPAN_PROCESSOR_QUEUE_SIZE``.

    Thread rules: ``on_end`` may be called from any thread and never blocks on I/O or raises.
    ``force_flush`` and ``shutdown`` may be called from any thread; exports are serialised, so a
    span is exported at most once.

    Example:
        >>> from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        >>> processor = LambdaSpanProcessor(InMemorySpanExporter(), max_queue_size=100)
        >>> processor.force_flush()
        True
    """

    def __init__(
        self,
        exporter: SpanExporter,
        max_queue_size: int | None = None,
        max_export_batch_size: int = DEFAULT_MAX_EXPORT_BATCH_SIZE,
    ) -> None:
        if max_queue_size is None:
            max_queue_size = _config.env_queue_size()
        _require_positive("max_queue_size", max_queue_size)
        _require_positive("max_export_batch_size", max_export_batch_size)
        _whole_lines(exporter)
        self._exporter = exporter
        self._max_queue_size = max_queue_size
        self._max_export_batch_size = max_export_batch_size
        self._lock = threading.Lock()  # guards _queue, _dropped, _failed, _shutdown
        self._export_lock = threading.Lock()  # serialises exports: a span leaves the queue once
        self._queue: list[ReadableSpan] = []
        self._dropped = 0  # queue full or after shutdown
        self._dropped_reported = 0
        self._failed = 0  # handed to an export that failed
        self._shutdown = False
        self._closed = False  # shut down and flushed: force_flush() answers False
        self._export_failing = False
        self._exporting_thread: int | None = None  # set while a flush runs in that thread
        self.open_spans: dict[int, Span] | None = None
        """The open spans by span id, kept here for the timeout path (``_timeouts.OpenSpans``) when
        ``init_telemetry`` gives this processor that job: it saves a processor call per span start and end."""

    @property
    def exporter(self) -> SpanExporter:
        """The exporter spans are handed to."""
        return self._exporter

    @property
    def max_queue_size(self) -> int:
        """How many spans the queue holds between flushes."""
        return self._max_queue_size

    @property
    def dropped_spans(self) -> int:
        """Spans lost before export: the queue was full, or the processor was shut down."""
        return self._dropped

    @property
    def failed_spans(self) -> int:
        """Spans lost in export: the exporter raised or returned FAILURE."""
        return self._failed

    @property
    def queued_spans(self) -> int:
        """Spans waiting for the next flush."""
        return len(self._queue)

    def on_start(self, span: Span, parent_context: context_api.Context | None = None) -> None:
        """Note the span as open, when this processor keeps the open spans for the timeout path."""
        open_spans = self.open_spans
        if open_spans is not None and len(open_spans) < MAX_OPEN_SPANS:  # a module global: read on every span start
            open_spans[span.context.span_id] = span

    def on_end(self, span: ReadableSpan) -> None:
        """Queue a finished, sampled span; drop and count it if the queue is full."""
        span_context = span.context
        open_spans = self.open_spans
        if open_spans is not None and span_context is not None:
            open_spans.pop(span_context.span_id, None)
        if span_context is None or not span_context.trace_flags.sampled:
            return
        exporting = self._exporting_thread
        if exporting is not None and exporting == threading.get_ident():
            # A span the exporter itself produced while exporting: queueing it would feed back.
            return
        with self._lock:
            if not self._shutdown and len(self._queue) < self._max_queue_size:
                self._queue.append(span)
                return
            self._dropped += 1
            after_shutdown = self._shutdown
        if after_shutdown:
            _once.warning(
                "on_end-after-shutdown",
                "A span ended after the LambdaSpanProcessor was shut down and was dropped (span %r). "
                "Spans must end before shutdown.",
                span.name,
            )

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Export every queued span, in batches, within one deadline.

        Returns:
            True if the queue was emptied; False if the deadline passed first (the spans not yet
            exported stay queued for the next flush), and False after :meth:`shutdown` (nothing can
            be flushed any more, as with the SDK's batch processor). A failed export is logged and
            counted in :attr:`failed_spans`; it does not make this return False.
        """
        if self._closed:
            return False
        return self._flush(timeout_millis)

    def _flush(self, timeout_millis: int) -> bool:
        deadline = time.monotonic_ns() + int(timeout_millis) * 1_000_000
        if not self._export_lock.acquire(timeout=max(timeout_millis, 0) / 1000):
            return False
        self._exporting_thread = threading.get_ident()
        try:
            with self._lock:
                batch, self._queue = self._queue, []
            self._report_drops()
            size = self._max_export_batch_size
            for start in range(0, len(batch), size):
                if start and time.monotonic_ns() >= deadline:
                    with self._lock:
                        self._queue[:0] = batch[start:]
                    return False
                self._export(batch[start : start + size])
            if batch and not self._export_failing:  # nothing new to push out of a failing stdout
                _flush_stdout()
            return True
        finally:
            self._exporting_thread = None
            self._export_lock.release()

    def shutdown(self) -> None:
        """Export what is queued, then shut the exporter down. Idempotent."""
        with self._lock:
            if self._shutdown:
                return
            self._shutdown = True
        self._flush(30000)
        self._closed = True
        try:
            self._exporter.shutdown()
        except Exception:
            _once.warning("exporter-shutdown", "Span exporter %r failed to shut down", self._exporter, exc_info=True)

    def _export(self, spans: Sequence[ReadableSpan]) -> None:
        token = context_api.attach(context_api.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
        try:
            result = self._exporter.export(spans)
            error: BaseException | None = None
        except Exception as exc:
            result, error = SpanExportResult.FAILURE, exc
        finally:
            context_api.detach(token)
        if result is SpanExportResult.SUCCESS:
            if self._export_failing:
                self._export_failing = False
                logger.warning("Span export recovered; spans are exported again")
            return
        with self._lock:
            self._failed += len(spans)
        if not self._export_failing:
            self._export_failing = True
            logger.warning(
                "Span export failed; %d spans lost (%s). Further failures are not logged until an export "
                "succeeds; failed_spans counts every lost span.",
                len(spans),
                f"{type(error).__name__}: {error}" if error else _failure_reason(self._exporter),
            )

    def _report_drops(self) -> None:
        dropped = self._dropped
        new = dropped - self._dropped_reported
        if new <= 0:
            return
        self._dropped_reported = dropped
        logger.warning(
            "LambdaSpanProcessor dropped %d spans since the last flush (%d in total); the queue holds "
            "%d spans. Raise max_queue_size or %s.",
            new,
            dropped,
            self._max_queue_size,
            _config.QUEUE_SIZE.name,
        )


def _require_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f"{name} must be a positive integer, got {value!r}")


MAX_OPEN_SPANS = 10_000
"""Open spans the timeout path knows of at once (``_timeouts.OpenSpans`` or the ``LambdaSpanProcessor``
that keeps them); beyond it (spans that are never ended, by the thousand) new ones are not tracked."""


def _whole_lines(exporter: SpanExporter) -> None:
    """Give a user's ``OTLPStdoutSpanExporter`` whole-line stdout writes (``_package_exporter``); never import it."""
    package = sys.modules.get("otlp_stdout_span_exporter.exporter")
    if package is not None and isinstance(exporter, package.OTLPStdoutSpanExporter):
        from lambda_otel_lite._package_exporter import write_lines_whole

        write_lines_whole(exporter)


def _flush_stdout() -> None:
    # Exporters that print (the default stdout exporter) leave lines in Python's buffer when stdout
    # is a pipe; Lambda may freeze the process before the buffer fills, so push them out now.
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        _once.warning("stdout-flush", "Could not flush stdout after exporting spans", exc_info=True)


def _failure_reason(exporter: SpanExporter) -> str:
    """Why an exporter returned FAILURE, where it says (the stdout exporters keep their last error)."""
    inner = getattr(exporter, "delegate", None) or exporter
    for holder in (inner, getattr(inner, "_output", None)):
        reason = getattr(holder, "last_error", None)
        if isinstance(reason, str):
            return reason
    return "exporter returned FAILURE"
