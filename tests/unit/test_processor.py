"""LambdaSpanProcessor: the OpenTelemetry SpanProcessor contract, in one thread."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

from lambda_otel_lite import ConfigurationError, LambdaSpanProcessor


def make(exporter: SpanExporter, **kwargs: int) -> tuple[LambdaSpanProcessor, TracerProvider]:
    processor = LambdaSpanProcessor(exporter, **kwargs)
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    return processor, provider


def names(exporter: InMemorySpanExporter) -> list[str]:
    return [span.name for span in exporter.get_finished_spans()]


def test_spans_wait_in_the_queue_until_force_flush() -> None:
    exporter = InMemorySpanExporter()
    processor, provider = make(exporter)
    tracer = provider.get_tracer("t")
    for name in ("a", "b"):
        tracer.start_span(name).end()

    assert (names(exporter), processor.queued_spans) == ([], 2)
    assert processor.force_flush() is True
    assert (names(exporter), processor.queued_spans) == (["a", "b"], 0)


def test_force_flush_exports_in_batches_of_max_export_batch_size() -> None:
    batches: list[int] = []

    class Counting(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            batches.append(len(spans))
            return SpanExportResult.SUCCESS

    processor, provider = make(Counting(), max_export_batch_size=2)
    for _ in range(5):
        provider.get_tracer("t").start_span("s").end()
    processor.force_flush()
    assert batches == [2, 2, 1]


class RecordOnly(Sampler):
    def should_sample(self, *args: object, **kwargs: object) -> SamplingResult:
        return SamplingResult(Decision.RECORD_ONLY)

    def get_description(self) -> str:
        return "RecordOnly"


def test_unsampled_spans_are_not_queued() -> None:
    exporter = InMemorySpanExporter()
    processor = LambdaSpanProcessor(exporter)
    provider = TracerProvider(sampler=RecordOnly(), shutdown_on_exit=False)
    provider.add_span_processor(processor)
    provider.get_tracer("t").start_span("recorded-not-sampled").end()
    processor.force_flush()
    assert (names(exporter), processor.dropped_spans) == ([], 0)


def test_shutdown_is_idempotent_exports_the_queue_and_shuts_the_exporter_once() -> None:
    shutdowns: list[int] = []

    class Exporter(InMemorySpanExporter):
        def shutdown(self) -> None:
            shutdowns.append(1)

    exporter = Exporter()
    processor, provider = make(exporter)
    provider.get_tracer("t").start_span("queued").end()
    processor.shutdown()
    processor.shutdown()
    assert (names(exporter), shutdowns) == (["queued"], [1])


def test_a_span_ending_after_shutdown_is_counted_and_warned_once(caplog: pytest.LogCaptureFixture) -> None:
    processor, provider = make(InMemorySpanExporter())
    processor.shutdown()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            provider.get_tracer("t").start_span("late").end()
    assert processor.dropped_spans == 3
    assert len(caplog.records) == 1


def test_a_raising_exporter_is_logged_once_counted_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    healthy = [False]
    exported: list[str] = []

    class Flaky(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            if not healthy[0]:
                raise OSError(28, "No space left on device")
            exported.extend(span.name for span in spans)
            return SpanExportResult.SUCCESS

    processor, provider = make(Flaky())
    tracer = provider.get_tracer("t")
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            tracer.start_span("lost").end()
            assert processor.force_flush() is True
        healthy[0] = True
        tracer.start_span("after-recovery").end()
        processor.force_flush()

    assert processor.failed_spans == 3
    assert exported == ["after-recovery"]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "No space left on device" in messages[0]
    assert "recovered" in messages[1]


def test_a_failure_result_counts_as_failed() -> None:
    class Failing(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.FAILURE

    processor, provider = make(Failing())
    provider.get_tracer("t").start_span("s").end()
    processor.force_flush()
    assert (processor.failed_spans, processor.dropped_spans) == (1, 0)


def test_spans_the_exporter_creates_while_exporting_are_not_fed_back() -> None:
    exported: list[str] = []

    class Chatty(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            exported.extend(span.name for span in spans)
            provider.get_tracer("exporter").start_span("exporter-io").end()
            return SpanExportResult.SUCCESS

    processor, provider = make(Chatty())
    provider.get_tracer("t").start_span("user").end()
    processor.force_flush()
    processor.force_flush()
    assert (exported, processor.queued_spans) == (["user"], 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_queue_size": 0}, "max_queue_size must be a positive integer, got 0"),
        ({"max_queue_size": "10"}, "max_queue_size must be a positive integer, got '10'"),
        ({"max_export_batch_size": -1}, "max_export_batch_size must be a positive integer, got -1"),
    ],
)
def test_invalid_arguments_raise_configuration_error_naming_them(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        LambdaSpanProcessor(InMemorySpanExporter(), **kwargs)  # type: ignore[arg-type]
    assert str(raised.value) == message


def test_queue_size_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_SPAN_PROCESSOR_QUEUE_SIZE", "7")
    assert LambdaSpanProcessor(InMemorySpanExporter()).max_queue_size == 7
    assert LambdaSpanProcessor(InMemorySpanExporter(), max_queue_size=3).max_queue_size == 3
