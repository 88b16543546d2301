"""Whole-line stdout output for ``otlp-stdout-span-exporter``.

The exporter's stdout output uses ``print(line)``: two writes, the record and then the newline.
``awslambdaric`` flushes stdout after every write, so in async mode (export on the extension
thread) anything another thread prints in between lands inside the record, and neither the record
nor the other line can be parsed downstream. Writing the record and its newline in one ``write()``
keeps each record on a line of its own. The exporter's pipe output is left as it is.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from otlp_stdout_span_exporter.exporter import StdOutput

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter


class WholeLineStdout(StdOutput):
    """Writes each telemetry record and its newline with one ``sys.stdout.write``.

    A failed write is not logged here: the exporter reports FAILURE, and the span processor logs
    the fault once, with :attr:`last_error` as its cause, and its recovery once.
    """

    last_error: str | None = None
    """Why the last write failed; None after a successful one."""

    def __init__(self) -> None:
        super().__init__()
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
    if type(getattr(exporter, "_output", None)) is StdOutput:
        exporter._output = WholeLineStdout()  # type: ignore[attr-defined]


def build_default_exporter() -> SpanExporter:
    """The default exporter: ``OTLPStdoutSpanExporter`` writing whole lines to stdout."""
    from otlp_stdout_span_exporter import OTLPStdoutSpanExporter

    exporter = OTLPStdoutSpanExporter()
    write_lines_whole(exporter)
    return exporter
