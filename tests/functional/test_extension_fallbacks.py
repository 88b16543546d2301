"""Async mode without a usable Extensions API: sync mode, one warning, no span lost."""

from __future__ import annotations

import logging
import socket

import pytest

from lambda_otel_lite import init_telemetry, traced_handler
from lambda_otel_lite._config import ProcessorMode
from lambda_otel_lite.telemetry import STATE
from lambda_otel_lite.testing import LambdaContext
from tests.support import RecordingStdout, StdoutTelemetry


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens here any more


def _invoke_twice(stdout_telemetry: StdoutTelemetry) -> list[int]:
    tracer, provider = init_telemetry("fallback")
    counts = []
    for _ in range(2):
        with traced_handler(tracer, provider, "handler", {}, LambdaContext()):
            pass
        counts.append(len(stdout_telemetry.spans()))  # exported before the handler returned
    return counts


def test_an_unreachable_extensions_api_gives_sync_mode_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, stdout_telemetry: StdoutTelemetry
) -> None:
    monkeypatch.setenv("LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE", "async")
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", f"127.0.0.1:{_closed_port()}")
    with caplog.at_level(logging.WARNING):
        assert _invoke_twice(stdout_telemetry) == [1, 1]
    assert STATE.mode is ProcessorMode.SYNC
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE=async: registering the internal extension failed" in warnings[0]
    assert "ConnectionRefusedError" in warnings[0]


@pytest.mark.parametrize("mode", ["async", "finalize"])
def test_no_runtime_api_gives_sync_mode_with_one_warning(
    mode: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, stdout_telemetry: StdoutTelemetry
) -> None:
    monkeypatch.setenv("LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE", mode)
    with caplog.at_level(logging.WARNING):
        assert _invoke_twice(stdout_telemetry) == [1, 1]
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings == [
        f"LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE={mode} needs the Lambda Extensions API, but AWS_LAMBDA_RUNTIME_API "
        "is not set (not running in Lambda?); spans are exported in sync mode instead"
    ]


def test_a_malformed_runtime_api_address_gives_sync_mode(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, stdout_telemetry: StdoutTelemetry
) -> None:
    monkeypatch.setenv("LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE", "async")
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "no-port-here")
    with caplog.at_level(logging.WARNING):
        assert _invoke_twice(stdout_telemetry) == [1, 1]
    assert "AWS_LAMBDA_RUNTIME_API='no-port-here' is not host:port" in caplog.text


def test_the_default_exporter_writes_each_record_with_its_newline_in_one_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A thread printing between the record and its newline would corrupt both lines."""
    tracer, provider = init_telemetry("whole-lines")
    recording = RecordingStdout()
    monkeypatch.setattr("sys.stdout", recording)
    with tracer.start_as_current_span("one"):
        pass
    provider.force_flush()
    assert len(recording.writes) == 1
    assert recording.writes[0].startswith('{"__otel_otlp_stdout"')
    assert recording.writes[0].endswith("}\n")


class _ClosedStdout:
    def write(self, text: str) -> int:
        raise ValueError("I/O operation on closed file.")

    def flush(self) -> None:
        raise ValueError("I/O operation on closed file.")


def test_a_closed_stdout_is_logged_once_and_never_reaches_the_handler(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    tracer, provider = init_telemetry("closed")
    monkeypatch.setattr("sys.stdout", _ClosedStdout())
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            with traced_handler(tracer, provider, "handler", {}, LambdaContext()):
                pass
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings  # one report for the fault, with its cause
    assert (
        "Span export failed; 1 spans lost (writing to stdout failed: ValueError: I/O operation on closed file.)"
        in (warnings[0])
    )
