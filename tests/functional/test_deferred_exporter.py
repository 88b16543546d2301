"""The default exporter deferred to its first export (async mode, on-demand environments)."""

from __future__ import annotations

import threading
from typing import cast

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lambda_otel_lite import _package_exporter
from lambda_otel_lite._package_exporter import DeferredExporter


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[InMemorySpanExporter]:
    built: list[InMemorySpanExporter] = []

    def build() -> InMemorySpanExporter:
        built.append(InMemorySpanExporter())
        return built[-1]

    monkeypatch.setattr(_package_exporter, "build_default_exporter", build)
    return built


def test_nothing_is_built_by_flush_or_shutdown_before_the_first_export(builds: list[InMemorySpanExporter]) -> None:
    exporter = DeferredExporter()
    assert exporter.force_flush(10) is True
    exporter.shutdown()
    assert builds == []
    assert exporter.delegate is None


def test_concurrent_first_exports_build_one_exporter_and_deliver_every_span(
    builds: list[InMemorySpanExporter],
) -> None:
    tracer = TracerProvider().get_tracer("t")
    spans: list[ReadableSpan] = []
    for name in ("a", "b"):
        span = tracer.start_span(name)
        span.end()
        spans.append(cast("ReadableSpan", span))
    exporter = DeferredExporter()
    start = threading.Barrier(2)
    results: list[SpanExportResult] = []

    def export(index: int) -> None:
        start.wait()
        results.append(exporter.export([spans[index]]))

    threads = [threading.Thread(target=export, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [SpanExportResult.SUCCESS] * 2
    assert len(builds) == 1
    assert sorted(span.name for span in builds[0].get_finished_spans()) == ["a", "b"]
    exporter.shutdown()
    assert builds[0].export(spans) is SpanExportResult.FAILURE  # shut down through the wrapper
