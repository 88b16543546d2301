"""The global tracer provider stands for the active one; a provider set before us can be adopted.

After ``init_telemetry()``, ``opentelemetry.trace.get_tracer_provider()`` is an SDK
``TracerProvider`` whose attributes and methods are the active provider's, across a re-init.
``init_telemetry(tracer_provider=...)`` adopts a provider that ``opentelemetry-instrument`` or the
OpenTelemetry Lambda layer set first: one pipeline, flushed once per invocation.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from lambda_otel_lite import (
    ConfigurationError,
    LambdaSpanProcessor,
    TelemetryNotInitializedError,
    init_telemetry,
    instrumented,
)
from lambda_otel_lite.telemetry import STATE, _GlobalTracerProvider
from lambda_otel_lite.testing import LambdaContext, reset
from tests.support import StdoutTelemetry, shape

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "providers"
CONTEXT = LambdaContext(aws_request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef")


def load_example(name: str) -> ModuleType:
    """Import ``examples/providers/<name>.py`` afresh, as Lambda imports a handler module."""
    spec = importlib.util.spec_from_file_location(f"providers_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FlushCounter(SpanProcessor):
    """Counts the provider's flushes."""

    def __init__(self) -> None:
        self.flushes = 0

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        self.flushes += 1
        return True


@pytest.fixture
def no_global_provider() -> Iterator[None]:
    """OpenTelemetry's global tracer provider unset, as in a fresh process; restored afterwards.

    The API lets a process set it once; a test that sets it first (as ``opentelemetry-instrument``
    does) needs it unset before and restored after.
    """
    saved = trace._TRACER_PROVIDER
    trace._TRACER_PROVIDER = None
    trace._TRACER_PROVIDER_SET_ONCE._done = False
    yield
    trace._TRACER_PROVIDER = saved
    trace._TRACER_PROVIDER_SET_ONCE._done = saved is not None


@pytest.fixture
def instrument_provider(
    no_global_provider: None,
) -> Iterator[tuple[TracerProvider, InMemorySpanExporter, FlushCounter]]:
    """A provider set globally before lambda-otel-lite, as opentelemetry-instrument or the OTel layer sets one."""
    exporter, flushes = InMemorySpanExporter(), FlushCounter()
    provider = TracerProvider(resource=Resource({"service.name": "from-the-layer"}), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    provider.add_span_processor(flushes)
    trace.set_tracer_provider(provider)
    yield provider, exporter, flushes
    reset()  # lets go of the provider first, as a later init_telemetry() would
    provider.shutdown()


def global_provider() -> TracerProvider:
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    return provider


# --- the global provider is the provider --------------------------------------------------------


def test_the_global_provider_is_an_sdk_provider_with_the_active_providers_resource_and_settings() -> None:
    _tracer, provider = init_telemetry("t", resource=Resource({"service.name": "orders-api"}))
    assert isinstance(trace.get_tracer_provider(), TracerProvider)
    registered = global_provider()
    assert registered is not provider  # a delegate, so that it follows a re-init
    assert registered.resource is provider.resource
    assert registered.resource.attributes["service.name"] == "orders-api"
    assert registered.sampler is provider.sampler
    assert registered.id_generator is provider.id_generator
    assert registered._active_span_processor is provider._active_span_processor  # what some integrations read


def test_setting_an_attribute_of_the_global_provider_sets_it_on_the_active_provider() -> None:
    _tracer, provider = init_telemetry("t")
    global_provider().sampler = ALWAYS_OFF
    assert provider.sampler is ALWAYS_OFF
    assert "sampler" not in vars(global_provider())


def test_every_method_of_the_sdk_provider_is_delegated_by_the_global_provider() -> None:
    """Run on the delegate, an SDK method would read and write the delegate's (absent) state."""
    sdk = {name for name in vars(TracerProvider) if not (name.startswith("__") and name.endswith("__"))}
    assert sdk - set(vars(_GlobalTracerProvider)) == set()


def test_a_processor_added_through_the_global_provider_receives_the_invocation_span(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    init_telemetry("t")
    exporter = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))  # type: ignore[attr-defined]

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    handler({}, CONTEXT)
    (printed,) = stdout_telemetry.spans()
    (received,) = exporter.get_finished_spans()
    assert (received.name, received.context.span_id) == (printed.name, int(printed.span_id, 16))
    assert dict(received.attributes or {})["faas.invocation_id"] == CONTEXT.aws_request_id


def test_the_global_provider_follows_a_reinit_and_a_processor_added_through_it_stays_with_the_old_provider() -> None:
    """add_span_processor joins the active provider; a re-init shuts it down with that provider."""
    init_telemetry("t", resource=Resource({"service.name": "first"}), span_processors=[])
    tracer = trace.get_tracer("library")  # a tracer of the global provider, taken before the re-init
    added = InMemorySpanExporter()
    global_provider().add_span_processor(SimpleSpanProcessor(added))
    tracer.start_span("before").end()

    kept = InMemorySpanExporter()
    _tracer, second = init_telemetry("t", resource=Resource({"service.name": "second"}), span_processors=[])
    global_provider().add_span_processor(SimpleSpanProcessor(kept))
    tracer.start_span("after").end()

    assert global_provider().resource.attributes["service.name"] == "second"
    assert global_provider().sampler is second.sampler
    assert [s.name for s in added.get_finished_spans()] == ["before"]  # shut down with the first provider
    assert [s.name for s in kept.get_finished_spans()] == ["after"]
    assert [s.resource.attributes["service.name"] for s in kept.get_finished_spans()] == ["second"]


def test_before_init_telemetry_the_global_provider_answers_with_an_empty_resource_or_names_init_telemetry() -> None:
    init_telemetry("t", span_processors=[])
    registered = global_provider()
    tracer = registered.get_tracer("library")
    reset()  # no active provider, as before the first init_telemetry()

    assert registered.resource == Resource.get_empty()  # what logging formatters read must not fail
    assert registered.force_flush() is True
    registered.shutdown()
    assert not tracer.start_span("nothing-to-record").is_recording()
    assert not hasattr(registered, "sampler")  # an AttributeError, as for a provider without one
    with pytest.raises(TelemetryNotInitializedError, match=r"call lambda_otel_lite\.init_telemetry\(\) first"):
        registered.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    with pytest.raises(TelemetryNotInitializedError):
        registered.sampler = ALWAYS_OFF

    exporter = InMemorySpanExporter()  # and a tracer taken before init_telemetry() records after it
    init_telemetry("t", span_processors=[SimpleSpanProcessor(exporter)])
    tracer.start_span("recorded").end()
    assert [s.name for s in exporter.get_finished_spans()] == ["recorded"]


@pytest.mark.usefixtures("lambda_env")
def test_log_records_carry_the_service_name_of_the_resource_through_the_logging_instrumentation(
    caplog: pytest.LogCaptureFixture, stdout_telemetry: StdoutTelemetry
) -> None:
    """opentelemetry-instrumentation-logging reads the global provider's resource (the example does it)."""
    from opentelemetry.instrumentation.logging import LoggingInstrumentor

    caplog.set_level(logging.INFO)
    try:
        example = load_example("global_provider")
        example.handler({}, CONTEXT)
    finally:
        LoggingInstrumentor().uninstrument()
    (record,) = [r for r in caplog.records if r.getMessage() == "handling orders-api"]
    (span,) = stdout_telemetry.spans()
    assert (record.otelServiceName, record.otelTraceID, record.otelSpanID) == (  # type: ignore[attr-defined]
        "orders-api",
        span.trace_id,
        span.span_id,
    )
    assert isinstance(STATE.provider, TracerProvider)
    assert any(isinstance(p, example.SlowSpanAlert) for p in STATE.provider._active_span_processor._span_processors)


# --- a provider set before: warned about, or adopted ----------------------------------------------


def test_a_provider_set_before_is_left_in_place_with_a_warning_naming_the_option(
    instrument_provider: tuple[TracerProvider, InMemorySpanExporter, FlushCounter], caplog: pytest.LogCaptureFixture
) -> None:
    first, _exporter, _flushes = instrument_provider
    init_telemetry("t", span_processors=[SimpleSpanProcessor(InMemorySpanExporter())])
    assert trace.get_tracer_provider() is first
    (message,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "was set before init_telemetry()" in message
    assert message.endswith(
        "To keep one pipeline, let lambda-otel-lite adopt it: "
        "init_telemetry(tracer_provider=opentelemetry.trace.get_tracer_provider())"
    )


def test_an_adopted_provider_exports_the_client_and_invocation_spans_to_both_pipelines_in_one_flush_each(
    instrument_provider: tuple[TracerProvider, InMemorySpanExporter, FlushCounter],
    stdout_telemetry: StdoutTelemetry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, exporter, flushes = instrument_provider
    example = load_example("one_pipeline")  # init_telemetry(tracer_provider=trace.get_tracer_provider())

    assert example.provider is first is STATE.provider is trace.get_tracer_provider()
    example.handler({}, CONTEXT)
    assert flushes.flushes == 1  # sync mode: the adopted provider, flushed once, before returning
    printed = stdout_telemetry.spans()
    assert [shape(s, printed)["parent"] for s in printed] == [f"span:{printed[1].name}", None]
    assert [(s.name, s.kind, s.resource["service.name"]) for s in printed] == [
        ("GET /stock", "CLIENT", "from-the-layer"),  # the adopted provider keeps its resource
        (printed[1].name, "SERVER", "from-the-layer"),
    ]
    assert [(s.name, s.context.span_id) for s in exporter.get_finished_spans()] == [
        (s.name, int(s.span_id, 16)) for s in printed
    ]

    example.handler({}, CONTEXT)
    assert flushes.flushes == 2
    assert len(stdout_telemetry.spans()) == len(exporter.get_finished_spans()) - 2 == 2
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_reinit_detaches_from_the_adopted_provider_without_shutting_it_down(
    instrument_provider: tuple[TracerProvider, InMemorySpanExporter, FlushCounter],
    stdout_telemetry: StdoutTelemetry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, exporter, _flushes = instrument_provider
    ours = InMemorySpanExporter()
    init_telemetry("t", tracer_provider=first, span_processors=[LambdaSpanProcessor(ours)])
    first.get_tracer("layer").start_span("queued").end()

    init_telemetry("t", tracer_provider=first, span_processors=[])  # again: the earlier processors leave
    first.get_tracer("layer").start_span("after").end()

    assert [s.name for s in ours.get_finished_spans()] == ["queued"]  # exported as it was shut down
    assert [s.name for s in exporter.get_finished_spans()] == ["queued", "after"]  # the owner's still runs
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert stdout_telemetry.spans() == []


def test_with_no_provider_set_before_the_adopting_example_builds_lambda_otel_lites_own(
    no_global_provider: None, stdout_telemetry: StdoutTelemetry
) -> None:
    example = load_example("one_pipeline")
    assert isinstance(trace.get_tracer_provider(), _GlobalTracerProvider)
    assert STATE.adoption is None
    example.handler({}, CONTEXT)
    printed = stdout_telemetry.spans()
    assert [(s.name, s.kind, shape(s, printed)["parent"]) for s in printed] == [
        ("GET /stock", "CLIENT", f"span:{printed[1].name}"),
        (printed[1].name, "SERVER", None),
    ]


def test_the_global_provider_of_lambda_otel_lite_passed_as_tracer_provider_counts_as_not_given() -> None:
    _tracer, first = init_telemetry("t", span_processors=[])
    _tracer, second = init_telemetry("t", tracer_provider=trace.get_tracer_provider(), span_processors=[])
    assert second is not first
    assert STATE.adoption is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"tracer_provider": trace.NoOpTracerProvider()},
            "tracer_provider must be an opentelemetry.sdk.trace.TracerProvider (span processors are added to it), "
            "got NoOpTracerProvider",
        ),
        (
            {"tracer_provider": TracerProvider(shutdown_on_exit=False), "resource": Resource({})},
            "init_telemetry(tracer_provider=...) cannot take resource as well: the provider keeps its own",
        ),
        (
            {"tracer_provider": TracerProvider(shutdown_on_exit=False), "sampler": ALWAYS_OFF},
            "init_telemetry(tracer_provider=...) cannot take sampler as well: the provider keeps its own",
        ),
    ],
)
def test_invalid_tracer_provider_arguments_raise_configuration_error_naming_them(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        init_telemetry(**kwargs)
    assert str(raised.value).startswith(message)
    assert STATE.provider is None


def test_the_provider_init_telemetry_built_cannot_be_adopted() -> None:
    _tracer, provider = init_telemetry("t", span_processors=[])
    with pytest.raises(ConfigurationError, match="tracer_provider is the provider init_telemetry\\(\\) built"):
        init_telemetry("t", tracer_provider=provider)
    assert STATE.provider is provider


def test_span_capture_sees_the_spans_of_an_adopted_provider(
    instrument_provider: tuple[TracerProvider, InMemorySpanExporter, FlushCounter],
) -> None:
    from lambda_otel_lite.testing import capture_spans

    first, _exporter, _flushes = instrument_provider
    init_telemetry("t", tracer_provider=first, span_processors=[])
    with capture_spans() as capture:
        trace.get_tracer("library").start_span("captured").end()
    assert [s.name for s in capture.spans] == ["captured"]
