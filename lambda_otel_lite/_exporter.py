"""The default exporter, built at its first export in async mode on on-demand environments.

``otlp-stdout-span-exporter`` imports the OTLP protobuf encoder: about a quarter of the library's
import time. In async mode the first export runs on the extension thread after the first response
has gone out, so building the exporter there takes that import off the cold start the caller
waits for. Sync mode exports before the response anyway, and provisioned-concurrency and
SnapStart environments initialise ahead of traffic, so they build it eagerly during init, where a
bad exporter setting also shows up soonest.

Thread rules: the exporter is built once, under a lock, by whichever thread exports first.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    from opentelemetry.sdk.trace import ReadableSpan


class DeferredExporter(SpanExporter):
    """Builds the default exporter on the first :meth:`export` and delegates to it from then on."""

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
                    from lambda_otel_lite._stdout import build_default_exporter

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
