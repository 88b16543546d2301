"""The ``otlp-stdout-span-exporter`` package's exporter, as lambda-otel-lite runs it.

``LAMBDA_OTEL_LITE_EXPORTER=otlp-stdout-span-exporter`` (and a user's own ``OTLPStdoutSpanExporter``)
write through that package, not through :mod:`lambda_otel_lite.exporter`. Two things are done to it
here, and nothing else; this module never imports the package at its top, so that loading it costs
nothing before the package is needed.

**Whole-line stdout.** The package's stdout output uses ``print(line)``: two writes, the record and
then the newline. ``awslambdaric`` flushes stdout after every write, so in async mode (export on
the extension thread) anything another thread prints in between lands inside the record, and
neither the record nor the other line can be parsed downstream. :class:`WholeLineStdout` writes the
record and its newline in one ``write()``, so each record keeps a line of its own. The package's
pipe output is left as it is.

**Built at the first export** (:class:`DeferredExporter`), in async mode on on-demand environments.
The package imports the OTLP protobuf encoder: about a quarter of the library's import time. In
async mode the first export runs on the extension thread after the first response has gone out,
so building the exporter there takes that import off the cold start the caller waits for. Sync
mode exports before the response anyway, and provisioned-concurrency and SnapStart environments
initialise ahead of traffic, so they build it eagerly during init (:func:`build_default_exporter`),
where a bad exporter setting also shows up soonest.

Thread rules: the deferred exporter is built once, under a lock, by whichever thread exports first.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    from opentelemetry.sdk.trace import ReadableSpan


# --- the output ---------------------------------------------------------------------------------------


class WholeLineStdout:
    """Writes each telemetry record and its newline with one ``sys.stdout.write``.

    It stands in for the package's ``StdOutput`` (the exporter calls only ``write_line``), without
    subclassing it: that would import the package with this module.

    A failed write is not logged here: the exporter reports FAILURE, and the span processor logs
    the fault once, with :attr:`last_error` as its cause, and its recovery once.
    """

    last_error: str | None = None
    """Why the last write failed; None after a successful one."""

    def __init__(self) -> None:
        from lambda_otel_lite._interprocess import shared_stdout_lock

        self._lock = shared_stdout_lock()  # Managed Instances: processes take turns on one stdout

    def write_line(self, line: str) -> bool:
        try:
            if self._lock is None:
                sys.stdout.write(line + "\n")
            else:
                self._lock.write(line + "\n")
        except Exception as exc:
            self.last_error = f"writing to stdout failed: {type(exc).__name__}: {exc}"
            return False
        self.last_error = None
        return True


def write_lines_whole(exporter: object) -> None:
    """Give *exporter* whole-line stdout output, if it writes to stdout with the stock output."""
    from otlp_stdout_span_exporter.exporter import StdOutput  # loaded already: *exporter* is the package's

    if type(getattr(exporter, "_output", None)) is StdOutput:
        exporter._output = WholeLineStdout()  # type: ignore[attr-defined]


# --- the exporter, built now or at the first export ----------------------------------------------------


def build_default_exporter() -> SpanExporter:
    """The package's exporter: ``OTLPStdoutSpanExporter`` writing whole lines to stdout."""
    from otlp_stdout_span_exporter import OTLPStdoutSpanExporter

    exporter = OTLPStdoutSpanExporter()
    write_lines_whole(exporter)
    return exporter


class DeferredExporter(SpanExporter):
    """Builds the package's exporter on the first :meth:`export` and delegates to it from then on."""

    def __init__(self) -> None:
        self._exporter: SpanExporter | None = None
        self._lock = threading.Lock()

    @property
    def delegate(self) -> SpanExporter | None:
        """The exporter once built (None before the first export)."""
        return self._exporter

    def _get(self) -> SpanExporter:
        exporter = self._exporter
        if exporter is None:
            with self._lock:
                if self._exporter is None:
                    self._exporter = build_default_exporter()
                exporter = self._exporter
        return exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._get().export(spans)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        exporter = self._exporter
        return True if exporter is None else exporter.force_flush(timeout_millis)

    def shutdown(self) -> None:
        exporter = self._exporter
        if exporter is not None:
            exporter.shutdown()
