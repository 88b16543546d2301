"""StdoutSpanExporter against otlp-stdout-span-exporter: the same record, and nothing lost at the edges."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from otlp_stdout_span_exporter import OTLPStdoutSpanExporter
from otlp_stdout_span_exporter.constants import Defaults

from lambda_otel_lite import ConfigurationError, LambdaSpanProcessor, StdoutSpanExporter, init_telemetry
from lambda_otel_lite.exporter import record_version
from tests.support import RecordingStdout


def make_spans(count: int = 3, **attributes: Any) -> list[ReadableSpan]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("records")
    with tracer.start_as_current_span("root"):
        for index in range(count - 1):
            with tracer.start_as_current_span("child", attributes={"i": index, **attributes}):
                pass
    provider.shutdown()
    return list(exporter.get_finished_spans())


def records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"__otel_otlp_stdout"')]


def payload(record: dict[str, Any]) -> bytes:
    return gzip.decompress(base64.b64decode(record["payload"]))


def decoded_spans(text: str) -> list[Any]:
    return [
        span
        for record in records(text)
        for resource in ExportTraceServiceRequest.FromString(payload(record)).resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]


ENVIRONMENTS = [
    {},
    {"OTEL_SERVICE_NAME": "orders-api", "AWS_LAMBDA_FUNCTION_NAME": "fn"},
    {"AWS_LAMBDA_FUNCTION_NAME": "fn", "OTEL_SERVICE_NAME": ""},
    {
        "OTEL_EXPORTER_OTLP_HEADERS": "Api-Key=abc, x-a = 1=2 ,content-type=x,bad",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-a=3",
    },
    {"OTLP_STDOUT_SPAN_EXPORTER_LOG_LEVEL": "warning"},
    {"OTLP_STDOUT_SPAN_EXPORTER_LOG_LEVEL": "loud"},
    {"OTLP_STDOUT_SPAN_EXPORTER_COMPRESSION_LEVEL": "0"},
    {"OTLP_STDOUT_SPAN_EXPORTER_COMPRESSION_LEVEL": "12"},
    {"OTLP_STDOUT_SPAN_EXPORTER_COMPRESSION_LEVEL": "fast"},
]


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda env: ",".join(env) or "defaults")
@pytest.mark.parametrize("arguments", [{}, {"gzip_level": 9, "log_level": "ERROR"}], ids=["no-arguments", "arguments"])
def test_the_record_matches_the_package_field_for_field_with_the_same_payload(
    env: dict[str, str], arguments: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spans = make_spans()
    package_arguments = dict(arguments)
    if "log_level" in package_arguments:
        from otlp_stdout_span_exporter.constants import LogLevel

        package_arguments["log_level"] = LogLevel(package_arguments["log_level"])
    assert OTLPStdoutSpanExporter(**package_arguments).export(spans) is SpanExportResult.SUCCESS
    theirs = records(capsys.readouterr().out)
    assert StdoutSpanExporter(**arguments).export(spans) is SpanExportResult.SUCCESS
    ours = records(capsys.readouterr().out)
    assert len(theirs) == len(ours) == 1
    assert list(ours[0]) == list(theirs[0])  # the same fields in the same order
    assert {k: v for k, v in ours[0].items() if k != "payload"} == {
        k: v for k, v in theirs[0].items() if k != "payload"
    }
    assert payload(ours[0]) == payload(theirs[0])


def test_the_compression_level_is_the_one_the_package_uses(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spans = make_spans(20, text="compressible " * 20)
    sizes = {}
    for level in ("0", "9"):
        monkeypatch.setenv("OTLP_STDOUT_SPAN_EXPORTER_COMPRESSION_LEVEL", level)
        StdoutSpanExporter().export(spans)
        sizes[level] = len(records(capsys.readouterr().out)[0]["payload"])
    assert sizes["0"] > 2 * sizes["9"]


def test_the_version_field_is_the_installed_package_version() -> None:
    from otlp_stdout_span_exporter.version import VERSION

    assert record_version() == VERSION


def test_a_record_and_its_newline_leave_in_one_write(monkeypatch: pytest.MonkeyPatch) -> None:
    recording = RecordingStdout()
    writes = recording.writes
    monkeypatch.setattr("sys.stdout", recording)
    StdoutSpanExporter().export(make_spans())
    assert len(writes) == 1
    assert writes[0].endswith("}\n")
    assert writes[0].count("\n") == 1


def test_a_users_package_exporter_behind_the_lambda_span_processor_also_writes_whole_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recording = RecordingStdout()
    writes = recording.writes
    processor = LambdaSpanProcessor(OTLPStdoutSpanExporter())
    monkeypatch.setattr("sys.stdout", recording)
    for span in make_spans():
        processor.on_end(span)
    processor.force_flush()
    assert len(writes) == 1
    assert writes[0].startswith('{"__otel_otlp_stdout"')
    assert writes[0].endswith("}\n")


# --- the named pipe ---------------------------------------------------------------------------------


class PipeReader:
    """Reads a FIFO on a thread: one entry per writer's open-to-close session."""

    def __init__(self, path: Path, sessions: int) -> None:
        self.sessions: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(path, sessions), name="fifo-reader", daemon=True)
        self._thread.start()

    def _read(self, path: Path, sessions: int) -> None:
        for _ in range(sessions):
            with path.open() as pipe:
                self.sessions.append(pipe.read())

    def join(self) -> list[str]:
        self._thread.join(timeout=10)
        assert not self._thread.is_alive(), "the exporter never wrote to the pipe"
        return self.sessions


def test_pipe_output_writes_the_same_records_to_a_real_fifo_and_touches_it_on_an_empty_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "telemetry.pipe"
    os.mkfifo(fifo)
    monkeypatch.setenv("OTLP_STDOUT_SPAN_EXPORTER_OUTPUT_TYPE", "PIPE")
    monkeypatch.setattr(Defaults, "PIPE_PATH", str(fifo))
    spans = make_spans()

    sessions: dict[str, list[str]] = {}
    package = OTLPStdoutSpanExporter()
    ours = StdoutSpanExporter(pipe_path=str(fifo))
    for name, exporter in (("theirs", package), ("ours", ours)):
        sessions[name] = []
        for batch in (spans, []):  # one reader session each: a FIFO merges writers that overlap a reader
            reader = PipeReader(fifo, sessions=1)
            assert exporter.export(batch) is SpanExportResult.SUCCESS
            sessions[name] += reader.join()
    their_sessions, our_sessions = sessions["theirs"], sessions["ours"]

    assert our_sessions[1] == their_sessions[1] == ""  # the touch: open and close, nothing written
    assert [payload(r) for r in records(our_sessions[0])] == [payload(r) for r in records(their_sessions[0])]
    assert capsys.readouterr().out == ""


def test_a_missing_pipe_falls_back_to_stdout_with_one_warning(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("OTLP_STDOUT_SPAN_EXPORTER_OUTPUT_TYPE", "pipe")
    exporter = StdoutSpanExporter(pipe_path=str(tmp_path / "absent.pipe"))
    assert exporter.export(make_spans()) is SpanExportResult.SUCCESS
    assert exporter.export([]) is SpanExportResult.SUCCESS
    assert len(decoded_spans(capsys.readouterr().out)) == 3
    assert [r.getMessage() for r in caplog.records] == [
        f"Named pipe {tmp_path / 'absent.pipe'} does not exist; telemetry records go to stdout"
    ]


def test_a_pipe_that_fails_mid_run_falls_back_to_stdout_logging_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "was-a-pipe"
    os.mkfifo(path)
    exporter = StdoutSpanExporter(output_type="pipe", pipe_path=str(path))
    path.unlink()
    path.mkdir()  # opening a directory for writing fails
    for _ in range(2):
        assert exporter.export(make_spans()) is SpanExportResult.SUCCESS
    assert len(decoded_spans(capsys.readouterr().out)) == 6
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "falling back to stdout" in warnings[0].getMessage()


# --- records under the size limit ---------------------------------------------------------------------


def test_a_batch_over_the_limit_is_split_into_records_each_under_it_losing_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spans = make_spans(300, noise=secrets.token_hex(16))
    spans = [*spans, *make_spans(300)]
    for span in spans[::7]:
        span._attributes = {"random": secrets.token_hex(64)}  # incompressible: the split must be real
    exporter = StdoutSpanExporter(max_record_bytes=8192)
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    lines = capsys.readouterr().out.splitlines(keepends=True)
    assert len(lines) > 2
    assert max(len(line.encode()) for line in lines) <= 8192
    exported = [span.span_id for span in decoded_spans("".join(lines))]
    assert sorted(exported) == sorted(span.context.span_id.to_bytes(8, "big") for span in spans)
    assert exporter.trimmed_spans == exporter.dropped_spans == 0


def test_the_default_limit_is_cloudwatchs_256_kb_per_line_newline_included(capsys: pytest.CaptureFixture[str]) -> None:
    spans = make_spans(2000)
    for span in spans:
        span._attributes = {"random": secrets.token_hex(100)}
    exporter = StdoutSpanExporter()
    assert exporter.max_record_bytes == 262_144
    exporter.export(spans)
    lines = capsys.readouterr().out.splitlines(keepends=True)
    assert len(lines) >= 2
    assert max(len(line) for line in lines) <= 262_144
    assert len(decoded_spans("".join(lines))) == 2000


def oversized(attributes: dict[str, Any], events: int = 0, name: str = "big") -> ReadableSpan:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("t").start_as_current_span(name, attributes=attributes) as span:
        for index in range(events):
            span.add_event(f"event-{index}", {"blob": secrets.token_hex(2000)})
    return exporter.get_finished_spans()[0]


def test_a_span_too_large_for_a_record_loses_its_largest_attributes_counted_with_one_warning(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    span = oversized({"small": "kept", "huge": secrets.token_hex(8000), "large": secrets.token_hex(3000)})
    exporter = StdoutSpanExporter(max_record_bytes=8192)
    assert exporter.export([span, *make_spans(2)]) is SpanExportResult.SUCCESS
    lines = capsys.readouterr().out.splitlines(keepends=True)
    assert max(len(line) for line in lines) <= 8192
    by_name = {s.name: s for s in decoded_spans("".join(lines))}
    assert sorted(by_name) == ["big", "child", "root"]
    assert [kv.key for kv in by_name["big"].attributes] == ["small", "large"]
    assert by_name["big"].dropped_attributes_count == 1
    assert exporter.trimmed_spans == 1
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "1 spans did not fit into a telemetry record of at most 8192 bytes (LAMBDA_OTEL_LITE_MAX_RECORD_BYTES): "
        "'big' without 1 attributes and 0 events. What a trimmed span lost is counted in its own dropped counts; "
        "StdoutSpanExporter.trimmed_spans and .dropped_spans count every such span."
    ]


def test_a_span_whose_events_do_not_fit_loses_its_last_events(capsys: pytest.CaptureFixture[str]) -> None:
    span = oversized({"a": 1}, events=6)
    exporter = StdoutSpanExporter(max_record_bytes=8192)
    exporter.export([span])
    (decoded,) = decoded_spans(capsys.readouterr().out)
    kept = [event.name for event in decoded.events]
    assert kept == [f"event-{i}" for i in range(len(kept))]
    assert 0 < len(kept) < 6
    assert decoded.dropped_events_count == 6 - len(kept)
    assert decoded.dropped_attributes_count == 1  # attributes go first
    assert exporter.trimmed_spans == 1


def test_a_span_that_cannot_fit_at_all_is_dropped_counted_and_reported_and_the_rest_is_exported(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    span = oversized({}, name=secrets.token_hex(6000))
    exporter = StdoutSpanExporter(max_record_bytes=8192)
    assert exporter.export([span, *make_spans(2)]) is SpanExportResult.SUCCESS
    assert sorted(s.name for s in decoded_spans(capsys.readouterr().out)) == ["child", "root"]
    assert exporter.dropped_spans == 1
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith(
        f"1 spans did not fit into a telemetry record of at most 8192 bytes (LAMBDA_OTEL_LITE_MAX_RECORD_BYTES): "
        f"{span.name!r} dropped whole."
    )


def test_several_oversized_spans_in_one_export_give_one_warning_and_every_other_span_is_exported(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    big = [oversized({"blob": secrets.token_hex(6000)}, name=f"big-{i}") for i in range(7)]
    hopeless = oversized({}, name=secrets.token_hex(6000))
    exporter = StdoutSpanExporter(max_record_bytes=8192)
    assert exporter.export([*big, hopeless, *make_spans(3)]) is SpanExportResult.SUCCESS
    names = sorted(s.name for s in decoded_spans(capsys.readouterr().out))
    assert names == sorted([f"big-{i}" for i in range(7)] + ["child", "child", "root"])
    assert (exporter.trimmed_spans, exporter.dropped_spans) == (7, 1)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith("8 spans did not fit into a telemetry record of at most 8192 bytes")
    assert "'big-0' without 1 attributes and 0 events" in warning
    assert "and 3 more." in warning


# --- configuration and failures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"gzip_level": 10}, "gzip_level must be an integer from 0 to 9, got 10"),
        ({"gzip_level": True}, "gzip_level must be an integer from 0 to 9, got True"),
        ({"log_level": "LOUD"}, "log_level must be one of DEBUG, INFO, WARN, ERROR, got 'LOUD'"),
        ({"output_type": "file"}, "output_type must be 'stdout' or 'pipe', got 'file'"),
        ({"max_record_bytes": 100}, "max_record_bytes must be an integer >= 4096, got 100"),
    ],
)
def test_bad_arguments_raise_a_configuration_error_naming_them(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        StdoutSpanExporter(**arguments)
    assert str(raised.value) == message


@pytest.mark.parametrize("value", ["100", "big", ""])
def test_a_bad_record_limit_variable_warns_once_and_uses_the_default(
    value: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LAMBDA_OTEL_LITE_MAX_RECORD_BYTES", value)
    assert StdoutSpanExporter().max_record_bytes == 262_144
    expected = (
        []
        if not value
        else [
            f"Invalid value for LAMBDA_OTEL_LITE_MAX_RECORD_BYTES: {value!r} (allowed: an integer >= 4096); "
            "using 262144"
        ]
    )
    assert [r.getMessage() for r in caplog.records] == expected


def test_the_record_limit_argument_wins_and_the_variable_is_not_read(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LAMBDA_OTEL_LITE_MAX_RECORD_BYTES", "not a number")
    assert StdoutSpanExporter(max_record_bytes=8192).max_record_bytes == 8192
    assert caplog.records == []


def test_the_record_limit_variable_sets_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMBDA_OTEL_LITE_MAX_RECORD_BYTES", "65536")
    assert StdoutSpanExporter().max_record_bytes == 65536


def test_a_closed_stdout_fails_the_export_with_its_cause_and_the_processor_logs_it_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Closed:
        def write(self, text: str) -> int:
            raise ValueError("I/O operation on closed file.")

        def flush(self) -> None:
            raise ValueError("I/O operation on closed file.")

    monkeypatch.setattr("sys.stdout", Closed())
    processor = LambdaSpanProcessor(StdoutSpanExporter())
    for span in make_spans():
        processor.on_end(span)
    assert processor.force_flush() is True
    assert processor.failed_spans == 3
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "writing to stdout failed: ValueError: I/O operation on closed file." in warning


def test_the_default_exporter_is_ours_and_the_variable_brings_the_package_back(monkeypatch: pytest.MonkeyPatch) -> None:
    _, provider = init_telemetry("choice")
    processor = provider._active_span_processor._span_processors[0]
    assert isinstance(processor, LambdaSpanProcessor)
    assert type(processor.exporter) is StdoutSpanExporter
    monkeypatch.setenv("LAMBDA_OTEL_LITE_EXPORTER", "otlp-stdout-span-exporter")
    _, provider = init_telemetry("choice")
    processor = provider._active_span_processor._span_processors[0]
    assert isinstance(processor, LambdaSpanProcessor)
    assert type(processor.exporter) is OTLPStdoutSpanExporter


def test_an_unknown_exporter_choice_warns_and_keeps_ours(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LAMBDA_OTEL_LITE_EXPORTER", "protobuf")
    _, provider = init_telemetry("choice")
    processor = provider._active_span_processor._span_processors[0]
    assert isinstance(processor, LambdaSpanProcessor)
    assert type(processor.exporter) is StdoutSpanExporter
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "Invalid value for LAMBDA_OTEL_LITE_EXPORTER: 'protobuf' (allowed: native, otlp-stdout-span-exporter); "
        "using native"
    ]


def test_repairs_are_reported_once_per_kind(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    exporter = StdoutSpanExporter()
    for _ in range(3):
        exporter.export(make_spans(2, bad="x\udc80y", big=2**70))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert any("lone surrogate" in w for w in warnings)
    assert any("beyond int64" in w for w in warnings)
    (child,) = [s for s in decoded_spans(capsys.readouterr().out) if s.name == "child"][:1]
    values = {kv.key: kv.value for kv in child.attributes}
    assert values["bad"].string_value == "x\ufffdy"
    assert values["big"].string_value == str(2**70)
