"""``init_telemetry`` and the one object that holds the library's global state.

Call :func:`init_telemetry` once, at module import (Lambda's init phase). It reads the environment
once, builds the Lambda resource and a ``TracerProvider`` with the span processors, and prepares
the processing mode.

Calling it again replaces the active provider instead of adding a second one: the previous
provider is flushed and shut down (its queued spans are exported, its processors stop), and the
new one takes over. The global OpenTelemetry tracer provider is a thin delegate to whichever
provider is active, so tracers obtained from ``opentelemetry.trace.get_tracer()`` follow the
replacement too. A tracer returned by an earlier call belongs to the provider that was shut down:
its spans are dropped (and counted by that provider's ``LambdaSpanProcessor``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import Sampler

from lambda_otel_lite import _config
from lambda_otel_lite._log import OnceLogger
from lambda_otel_lite.exceptions import ConfigurationError
from lambda_otel_lite.semconv import attribute_names

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

    from lambda_otel_lite._config import Config
    from lambda_otel_lite._flusher import ProcessFlusher
    from lambda_otel_lite.extension import InternalExtension
    from lambda_otel_lite.semconv import AttributeNames

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)


CURRENT_INVOCATION: ContextVar[Any] = ContextVar("lambda_otel_lite_invocation", default=None)
"""The innermost running invocation (``invocation.Invocation``) of this context: thread or task."""


class _State:
    """Everything global: the active provider, the parsed config, the cold-start flag.

    ``reset()`` restores the state of a fresh process; the test suite calls it around every test.
    """

    __slots__ = ("_config", "_names", "cold_start", "extension", "mode", "provider", "tracer")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.provider: TracerProvider | None = None
        self.tracer: trace.Tracer | None = None
        self.mode: _config.ProcessorMode = _config.ProcessorMode.SYNC
        self.cold_start = True
        CURRENT_INVOCATION.set(None)  # in the calling context: a leaked invocation of a test is gone
        self.extension: InternalExtension | ProcessFlusher | None = None
        self._config: Config | None = None
        self._names: AttributeNames | None = None

    @property
    def config(self) -> Config:
        """The parsed environment; read on first use when ``init_telemetry`` was not called."""
        if self._config is None:
            self._config = _config.load_config()
        return self._config

    @config.setter
    def config(self, value: Config) -> None:
        self._config = value
        self._names = attribute_names(value.semconv)

    @property
    def names(self) -> AttributeNames:
        """The attribute keys of the configured naming mode."""
        if self._names is None:
            self._names = attribute_names(self.config.semconv)
        return self._names

    def take_cold_start(self) -> bool:
        """True for the first invocation of an on-demand environment, False ever after."""
        if not self.cold_start:
            return False
        self.cold_start = False
        config = self.config
        # init ran ahead of traffic, with no caller waiting: provisioned concurrency, Managed Instances
        return not (config.provisioned_concurrency or config.managed_instances)

    def complete_invocation(self, provider: object, request_id: str | None) -> None:
        """Hand the invocation's spans to the processing mode, once the invocation span has ended."""
        mode = self.mode
        if mode is _config.ProcessorMode.FINALIZE:
            return
        if mode is _config.ProcessorMode.ASYNC:
            extension = self.extension
            if extension is not None and extension.handler_complete(request_id, provider):
                return
        self.flush(provider)

    def flush(self, provider: object = None) -> None:
        """Flush *provider*, or the active provider when it is None; a failure is logged once, never raised."""
        flush_provider(provider if provider is not None else self.provider)

    def fall_back_to_sync(self, extension: object) -> bool:
        """The extension thread is gone: export inline from now on; False when it is not this process's any more."""
        if self.extension is not extension:
            return False
        self.mode = _config.ProcessorMode.SYNC
        return True


STATE = _State()


def flush_provider(provider: object) -> None:
    """``force_flush`` *provider*; a failure is logged once, never raised."""
    flush = getattr(provider, "force_flush", None)
    if flush is None:
        return
    try:
        flush()
    except Exception:
        _once.warning("provider-flush", "force_flush of tracer provider %r raised", provider, exc_info=True)


def extension_hooks() -> Any:
    """The ``extension.Hooks`` over this module's state: what the extension thread and the SIGTERM flush call."""
    from lambda_otel_lite.extension import Hooks

    return Hooks(
        provider=lambda: STATE.provider,
        flush=flush_provider,
        fell_back=STATE.fall_back_to_sync,
    )


_OBSERVERS: list[SpanProcessor] = []
"""Processors joined to the active provider and to every one init_telemetry() creates (span capture in tests)."""


def add_observer(processor: SpanProcessor) -> None:
    """Join *processor* to the active provider and to every later one. Used by ``lambda_otel_lite.testing``."""
    _OBSERVERS.append(processor)
    if STATE.provider is not None:
        STATE.provider.add_span_processor(processor)


def remove_observer(processor: SpanProcessor) -> None:
    """Stop joining *processor* to new providers (a provider cannot drop a processor it has)."""
    if processor in _OBSERVERS:
        _OBSERVERS.remove(processor)


def _reset_for_tests() -> None:
    """Restore a fresh process's state, shutting the active provider down. Tests only."""
    provider = STATE.provider
    had_extension = STATE.extension is not None
    STATE.reset()
    if provider is not None:
        provider.shutdown()
    if had_extension:
        from lambda_otel_lite._sigterm import uninstall_sigterm_handler

        uninstall_sigterm_handler()


class _DelegatingTracer(trace.Tracer):
    """A tracer of the global provider: resolves the active provider's tracer on each span start."""

    def __init__(self, args: tuple[Any, ...]) -> None:
        self._args = args
        self._provider: TracerProvider | None = None
        self._tracer: trace.Tracer = trace.NoOpTracer()

    def _current(self) -> trace.Tracer:
        provider = STATE.provider
        if provider is not self._provider:
            self._provider = provider
            self._tracer = provider.get_tracer(*self._args) if provider is not None else trace.NoOpTracer()
        return self._tracer

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self._current().start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._current().start_as_current_span(*args, **kwargs)


class _GlobalTracerProvider(trace.TracerProvider):
    """The provider registered globally: delegates to the provider of the last ``init_telemetry``."""

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        names = ("instrumenting_module_name", "instrumenting_library_version", "schema_url", "attributes")
        positional = list(args) + [kwargs.get(name) for name in names[len(args) :]]
        return _DelegatingTracer(tuple(positional))

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        provider = STATE.provider
        return provider.force_flush(timeout_millis) if provider is not None else True

    def shutdown(self) -> None:
        if STATE.provider is not None:
            STATE.provider.shutdown()


_GLOBAL_PROVIDER = _GlobalTracerProvider()


def _install_global_provider() -> None:
    current = trace.get_tracer_provider()
    if current is _GLOBAL_PROVIDER:
        return
    if not isinstance(current, trace.ProxyTracerProvider):
        _once.warning(
            "global-provider-set",
            "A global tracer provider (%r) was set before init_telemetry(); it is left in place. Spans of "
            "tracers obtained from opentelemetry.trace.get_tracer() go to it, not to lambda-otel-lite.",
            current,
        )
        return
    trace.set_tracer_provider(_GLOBAL_PROVIDER)


def _default_processors(config: Config) -> list[SpanProcessor]:
    from lambda_otel_lite.processor import LambdaSpanProcessor

    exporter: SpanExporter
    if config.exporter is _config.ExporterChoice.NATIVE:
        from lambda_otel_lite.exporter import StdoutSpanExporter

        exporter = StdoutSpanExporter()
    elif config.mode is _config.ProcessorMode.ASYNC and config.on_demand:
        from lambda_otel_lite._exporter import DeferredExporter

        exporter = DeferredExporter()  # protobuf loads on the extension thread, after the first response
    else:
        from lambda_otel_lite._stdout import build_default_exporter

        exporter = build_default_exporter()
    return [LambdaSpanProcessor(exporter, max_queue_size=config.queue_size)]


def _check_processors(span_processors: object) -> list[SpanProcessor]:
    if isinstance(span_processors, str | bytes) or not isinstance(span_processors, Sequence):
        raise ConfigurationError(
            f"span_processors must be a sequence of SpanProcessor, got {type(span_processors).__name__}: "
            f"{span_processors!r}"
        )
    processors: list[SpanProcessor] = []
    for index, processor in enumerate(span_processors):
        missing = [
            m for m in ("on_start", "on_end", "force_flush", "shutdown") if not callable(getattr(processor, m, None))
        ]
        if missing:
            raise ConfigurationError(
                f"span_processors[{index}] is not a SpanProcessor (no {', '.join(missing)}): {processor!r}"
            )
        processors.append(processor)
    if not processors:
        logger.warning("init_telemetry(span_processors=[]): no span processor, so no span is exported")
    return processors


def init_telemetry(
    name: str | None = None,
    *,
    resource: Resource | None = None,
    span_processors: Sequence[SpanProcessor] | None = None,
    sampler: Sampler | None = None,
) -> tuple[trace.Tracer, TracerProvider]:
    """Set up tracing for a Lambda function. Call it once, at module level.

    Args:
        name: The instrumentation scope of the returned tracer (usually your service or module
            name). Defaults to the resource's ``service.name``.
        resource: The resource to use instead of :func:`~lambda_otel_lite.get_lambda_resource`.
            To add to the detected attributes, pass ``get_lambda_resource().merge(your_resource)``.
        span_processors: The processors, in order. Defaults to one
            ``LambdaSpanProcessor(OTLPStdoutSpanExporter())``.
        sampler: The sampler (``opentelemetry.sdk.trace.sampling``). Defaults to what
            ``OTEL_TRACES_SAMPLER`` and ``OTEL_TRACES_SAMPLER_ARG`` name, as the SDK reads them
            (``parentbased_always_on`` when unset).

    Returns:
        ``(tracer, provider)``: pass both to :func:`~lambda_otel_lite.traced_handler`.

    Raises:
        ConfigurationError: an argument is not of the expected type; the message names it.

    Env vars: see the configuration page; every variable is read here, once.

    Example:
        >>> tracer, provider = init_telemetry("orders-api")
    """
    if name is not None and not isinstance(name, str):
        raise ConfigurationError(f"name must be a string, got {type(name).__name__}: {name!r}")
    if resource is not None and not isinstance(resource, Resource):
        raise ConfigurationError(f"resource must be an opentelemetry Resource, got {type(resource).__name__}")
    if sampler is not None and not isinstance(sampler, Sampler):
        raise ConfigurationError(
            f"sampler must be an opentelemetry.sdk.trace.sampling.Sampler, got {type(sampler).__name__}: {sampler!r}"
        )
    config = _config.load_config()
    processors = _default_processors(config) if span_processors is None else _check_processors(span_processors)
    if resource is None:
        from lambda_otel_lite.resource import get_lambda_resource

        resource = get_lambda_resource()
    from lambda_otel_lite.resource import LambdaResource

    if config.initialization_type == "snap-start":
        from lambda_otel_lite import _snapstart

        # IDs of its own, reseeded after each restore; spans of the init phase out before the snapshot
        provider = TracerProvider(
            resource=LambdaResource.of(resource), id_generator=_snapstart.ID_GENERATOR, sampler=sampler
        )
        _snapstart.register_hooks(STATE.flush)
    else:
        provider = TracerProvider(resource=LambdaResource.of(resource), sampler=sampler)
    for processor in [*processors, *_OBSERVERS]:
        provider.add_span_processor(processor)
    from lambda_otel_lite._timeouts import OPEN_SPANS

    tracker = OPEN_SPANS.attach(processors)  # the spans a timeout (or the SIGTERM of a reset) ends as cut short
    if tracker is not None:
        provider.add_span_processor(tracker)

    previous = STATE.provider
    STATE.config = config
    STATE.provider = provider
    STATE.mode = _config.ProcessorMode.SYNC
    STATE.tracer = tracer = provider.get_tracer(
        name or str(resource.attributes.get("service.name", "lambda-otel-lite"))
    )
    if previous is not None:
        logger.info("init_telemetry() called again: the previous tracer provider is flushed and shut down")
        previous.shutdown()
    _install_global_provider()
    STATE.mode = _start_mode(config)
    return tracer, provider


def _start_mode(config: Config) -> _config.ProcessorMode:
    if config.mode is _config.ProcessorMode.SYNC:
        return config.mode
    if STATE.extension is not None and STATE.extension.mode is config.mode:
        # Registration is once per process; a second init_telemetry() keeps the extension running.
        return config.mode
    from lambda_otel_lite import extension

    mode, STATE.extension = extension.start(config, extension_hooks())
    return mode
