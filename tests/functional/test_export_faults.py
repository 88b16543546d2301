"""Export faults (a full disk, a broken pipe, an exporter that raises or fails) never reach the
handler, are logged once per fault, and the next invocation exports normally once the fault clears."""

from __future__ import annotations

import errno
import io
import logging
from typing import Any

import pytest
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from lambda_otel_lite import LambdaSpanProcessor, init_telemetry, instrumented
from lambda_otel_lite.local.decode import decode_lines
from lambda_otel_lite.testing import LambdaContext


class FaultyStdout(io.StringIO):
    """A stdout whose writes fail with *error* while ``failing`` is set."""

    def __init__(self, error: OSError) -> None:
        super().__init__()
        self.error = error
        self.failing = True

    def write(self, text: str) -> int:
        if self.failing:
            raise self.error
        return super().write(text)


@pytest.mark.parametrize(
    "error",
    [OSError(errno.ENOSPC, "No space left on device"), BrokenPipeError(errno.EPIPE, "Broken pipe")],
    ids=["full disk", "broken pipe"],
)
def test_a_failing_stdout_is_logged_once_and_exporting_resumes_when_it_clears(
    error: OSError, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stdout = FaultyStdout(error)
    monkeypatch.setattr("sys.stdout", stdout)
    tracer, provider = init_telemetry("faults")

    @instrumented(tracer=tracer, tracer_provider=provider)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with tracer.start_as_current_span("child"):
            return {"statusCode": 200, "n": event["n"]}

    with caplog.at_level(logging.WARNING):
        results = [handler({"n": n}, LambdaContext()) for n in range(3)]  # the fault lasts
        stdout.failing = False
        results += [handler({"n": n}, LambdaContext()) for n in range(3, 5)]  # cleared

    assert [result["n"] for result in results] == [0, 1, 2, 3, 4]  # the handler never noticed
    spans, errors = decode_lines(stdout.getvalue().splitlines())
    assert errors == []
    assert sorted(span.name for span in spans) == ["child", "child", "test-function", "test-function"]  # 2 invocations
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    failure = [message for message in warnings if "failed" in message]
    assert len(failure) == 1, warnings  # one report for the whole fault, not one per span or per invocation
    assert str(error.strerror) in failure[0]
    assert [message for message in warnings if "recovered" in message] == [
        "Span export recovered; spans are exported again"
    ]


class FlakyExporter(SpanExporter):
    def __init__(self, outcomes: list[object]) -> None:
        self.outcomes = outcomes
        self.exported: list[str] = []

    def export(self, spans: Any) -> SpanExportResult:
        outcome = self.outcomes.pop(0) if self.outcomes else SpanExportResult.SUCCESS
        if isinstance(outcome, Exception):
            raise outcome
        if outcome is SpanExportResult.SUCCESS:
            self.exported += [span.name for span in spans]
        return outcome  # type: ignore[return-value]


def test_an_exporter_that_raises_then_fails_then_recovers_costs_only_those_spans(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exporter = FlakyExporter([RuntimeError("collector down"), SpanExportResult.FAILURE])
    processor = LambdaSpanProcessor(exporter)
    tracer, provider = init_telemetry("faults", span_processors=[processor])

    @instrumented(tracer=tracer, tracer_provider=provider)
    def handler(event: dict[str, Any], context: Any) -> int:
        return int(event["n"])

    with caplog.at_level(logging.WARNING):
        assert [handler({"n": n}, LambdaContext()) for n in range(4)] == [0, 1, 2, 3]
    assert exporter.exported == ["test-function", "test-function"]  # invocations 3 and 4
    assert processor.failed_spans == 2
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert len([message for message in warnings if "export failed" in message]) == 1, warnings
