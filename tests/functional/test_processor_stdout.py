"""LambdaSpanProcessor with the real stdout exporter and real threads."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from otlp_stdout_span_exporter import OTLPStdoutSpanExporter

from lambda_otel_lite import LambdaSpanProcessor, init_telemetry, traced_handler
from tests.support import StdoutTelemetry


def test_queue_overflow_exports_one_drops_one_and_warns_once(
    stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    processor = LambdaSpanProcessor(OTLPStdoutSpanExporter(), max_queue_size=1)
    tracer, provider = init_telemetry("t", span_processors=[processor])

    with caplog.at_level(logging.WARNING):
        tracer.start_span("kept").end()
        tracer.start_span("dropped").end()
        provider.force_flush()

    assert [span.name for span in stdout_telemetry.spans()] == ["kept"]
    assert processor.dropped_spans == 1
    assert [r.getMessage() for r in caplog.records] == [
        "LambdaSpanProcessor dropped 1 spans since the last flush (1 in total); the queue holds 1 spans. "
        "Raise max_queue_size or LAMBDA_SPAN_PROCESSOR_QUEUE_SIZE."
    ]


def test_a_full_queue_during_an_invocation_keeps_the_invocation_span_out_but_counts_it(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    processor = LambdaSpanProcessor(OTLPStdoutSpanExporter(), max_queue_size=2)
    tracer, provider = init_telemetry("t", span_processors=[processor])
    with traced_handler(tracer, provider, "handler"):
        for index in range(3):
            tracer.start_span(f"child-{index}").end()
    assert [span.name for span in stdout_telemetry.spans()] == ["child-0", "child-1"]
    assert processor.dropped_spans == 2


class Gate(SpanExporter):
    """An exporter that blocks in export() until released."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.delay_s = delay_s
        self.batches: list[list[str]] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.entered.set()
        self.release.wait(10)
        if self.delay_s:
            time.sleep(self.delay_s)  # a slow exporter, not synchronisation
        self.batches.append([span.name for span in spans])
        return SpanExportResult.SUCCESS


def test_force_flush_returns_false_when_another_flush_holds_the_exporter_past_the_deadline() -> None:
    gate = Gate()
    processor = LambdaSpanProcessor(gate)
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    provider.get_tracer("t").start_span("first").end()
    flusher = threading.Thread(target=processor.force_flush, name="flusher")
    flusher.start()
    assert gate.entered.wait(10)

    provider.get_tracer("t").start_span("second").end()
    assert processor.force_flush(timeout_millis=20) is False
    assert processor.queued_spans == 1  # still queued, not lost

    gate.release.set()
    flusher.join(10)
    assert processor.force_flush() is True
    assert gate.batches == [["first"], ["second"]]


def test_batches_left_when_the_deadline_passes_stay_queued_for_the_next_flush() -> None:
    gate = Gate(delay_s=0.02)
    gate.release.set()
    processor = LambdaSpanProcessor(gate, max_export_batch_size=1)
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    for name in ("a", "b", "c"):
        provider.get_tracer("t").start_span(name).end()

    assert processor.force_flush(timeout_millis=5) is False
    assert (gate.batches, processor.queued_spans) == ([["a"]], 2)
    assert processor.force_flush() is True
    assert gate.batches == [["a"], ["b"], ["c"]]


def race_flushes(max_queue_size: int, per_thread: int) -> tuple[LambdaSpanProcessor, list[str], list[str]]:
    """4 threads end *per_thread* spans each while the caller flushes in a loop; then a last flush.

    Returns the processor, the span ids exported and the span ids ended.
    """
    exported: list[str] = []
    ended: list[str] = []
    lock = threading.Lock()

    class Collect(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            with lock:
                exported.extend(format(span.context.span_id, "016x") for span in spans if span.context)
            return SpanExportResult.SUCCESS

    processor = LambdaSpanProcessor(Collect(), max_queue_size=max_queue_size)
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("t")
    start = threading.Barrier(5)

    def work() -> None:
        start.wait()
        for _ in range(per_thread):
            span = tracer.start_span("s")
            span.end()
            with lock:
                ended.append(format(span.get_span_context().span_id, "016x"))

    threads = [threading.Thread(target=work, name=f"worker-{i}") for i in range(4)]
    for thread in threads:
        thread.start()
    start.wait()
    while any(thread.is_alive() for thread in threads):
        processor.force_flush()
    for thread in threads:
        thread.join(10)
    processor.force_flush()
    return processor, exported, ended


def test_spans_ended_from_many_threads_during_flushes_are_exported_exactly_once() -> None:
    _, exported, ended = race_flushes(max_queue_size=100_000, per_thread=500)
    assert sorted(exported) == sorted(ended)
    assert len(set(exported)) == 2000


def test_under_load_a_small_queue_drops_exactly_what_is_missing_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        processor, exported, ended = race_flushes(max_queue_size=50, per_thread=400)
    assert len(set(exported)) == len(exported)  # nothing twice
    assert set(exported) <= set(ended)
    assert processor.dropped_spans == len(ended) - len(exported) > 0  # the counter is what is missing
    reported = sum(
        int(record.getMessage().split("dropped ")[1].split(" ")[0])
        for record in caplog.records
        if "LambdaSpanProcessor dropped" in record.getMessage()
    )
    assert reported == processor.dropped_spans  # and the log said so, in total
