"""init_telemetry: defaults, argument errors, and what a second call does."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lambda_otel_lite import ConfigurationError, LambdaSpanProcessor, init_telemetry
from tests.support import StdoutTelemetry


def test_defaults_export_through_a_lambda_span_processor_to_stdout(stdout_telemetry: StdoutTelemetry) -> None:
    tracer, provider = init_telemetry()
    tracer.start_span("s").end()
    assert stdout_telemetry.spans() == []  # queued until flushed
    provider.force_flush()
    (span,) = stdout_telemetry.spans()
    assert (span.name, span.scope) == ("s", "unknown_service")


@pytest.mark.usefixtures("lambda_env")
def test_tracer_name_defaults_to_the_service_name(stdout_telemetry: StdoutTelemetry) -> None:
    tracer, provider = init_telemetry()
    tracer.start_span("s").end()
    provider.force_flush()
    assert stdout_telemetry.spans()[0].scope == "orders-api"


def test_a_given_resource_replaces_detection(stdout_telemetry: StdoutTelemetry) -> None:
    tracer, provider = init_telemetry("t", resource=Resource({"service.name": "mine"}))
    tracer.start_span("s").end()
    provider.force_flush()
    assert stdout_telemetry.spans()[0].resource["service.name"] == "mine"


def test_the_global_tracer_provider_delegates_to_the_active_provider(stdout_telemetry: StdoutTelemetry) -> None:
    global_tracer = trace.get_tracer("library")
    _tracer, provider = init_telemetry("t")
    with global_tracer.start_as_current_span("from-library"):
        pass
    provider.force_flush()
    assert [(s.name, s.scope) for s in stdout_telemetry.spans()] == [("from-library", "library")]


def test_a_second_call_flushes_and_shuts_down_the_first_provider_and_takes_over() -> None:
    first_exporter, second_exporter = InMemorySpanExporter(), InMemorySpanExporter()
    first = LambdaSpanProcessor(first_exporter)
    old_tracer, old_provider = init_telemetry("t", span_processors=[first])
    global_tracer = trace.get_tracer("library")
    old_tracer.start_span("queued-before-second-init").end()

    tracer, provider = init_telemetry("t", span_processors=[SimpleSpanProcessor(second_exporter)])

    assert provider is not old_provider
    # The first provider's queue was exported, and it is shut down: nothing more reaches it.
    assert [s.name for s in first_exporter.get_finished_spans()] == ["queued-before-second-init"]
    old_tracer.start_span("via-old-tracer").end()
    assert first.dropped_spans == 1
    # The global provider and new tracers use the second provider.
    global_tracer.start_span("via-global").end()
    tracer.start_span("via-new-tracer").end()
    assert [s.name for s in second_exporter.get_finished_spans()] == ["via-global", "via-new-tracer"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": 5}, "name must be a string, got int: 5"),
        ({"resource": {"service.name": "x"}}, "resource must be an opentelemetry Resource, got dict"),
        ({"span_processors": "processor"}, "span_processors must be a sequence of SpanProcessor, got str: 'processor'"),
        (
            {"span_processors": [object]},
            "span_processors[0] is not a SpanProcessor (no on_start, on_end, force_flush, shutdown)",
        ),
    ],
)
def test_invalid_arguments_raise_configuration_error_naming_them(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        init_telemetry(**kwargs)  # type: ignore[arg-type]
    assert str(raised.value).startswith(message)


def test_an_invalid_mode_falls_back_to_sync_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, stdout_telemetry: StdoutTelemetry
) -> None:
    monkeypatch.setenv("LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE", "fast")
    from lambda_otel_lite import traced_handler

    tracer, provider = init_telemetry("t")
    with traced_handler(tracer, provider, "h"):
        pass
    assert len(stdout_telemetry.spans()) == 1
    assert [r.getMessage() for r in caplog.records] == [
        "Invalid value for LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE: 'fast' (allowed: sync, async, finalize); using sync"
    ]
