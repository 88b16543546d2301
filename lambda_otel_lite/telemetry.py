"""``init_telemetry`` and the one object that holds the library's global state.

Call :func:`init_telemetry` once, at module import (Lambda's init phase). It reads the environment
once, builds the Lambda resource and a ``TracerProvider`` with the span processors, and prepares
the processing mode.

Calling it again replaces the active provider instead of adding a second one: the previous
provider is flushed and shut down (its queued spans are exported, its processors stop), and the
new one takes over. The global OpenTelemetry tracer provider stands for whichever provider is
active: it is an ``opentelemetry.sdk.trace.TracerProvider`` whose attributes and methods
(``resource``, ``add_span_processor``, ``sampler``, ...) are the active provider's, so tracers
obtained from ``opentelemetry.trace.get_tracer()`` follow the replacement too. A tracer returned by
an earlier call belongs to the provider that was shut down: its spans are dropped (and counted by
that provider's ``LambdaSpanProcessor``).

When a provider was set globally before (``opentelemetry-instrument``, the OpenTelemetry Lambda
layer), ``init_telemetry(tracer_provider=opentelemetry.trace.get_tracer_provider())`` adopts it:
one pipeline, with lambda-otel-lite's processors added to it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, SynchronousMultiSpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import Sampler

from lambda_otel_lite import _config, _invocation, _logs, _resets
from lambda_otel_lite._log import InternalErrors, OnceLogger
from lambda_otel_lite._state import (
    CURRENT_INVOCATION,
    OBSERVERS,
    STATE,
    _State,
    add_observer,
    flush_provider,
    remove_observer,
)
from lambda_otel_lite._timeouts import OpenSpans
from lambda_otel_lite.exceptions import ConfigurationError, TelemetryNotInitializedError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

    from lambda_otel_lite._config import Config
    from lambda_otel_lite._flusher import Hooks

__all__ = [
    "CURRENT_INVOCATION",
    "OBSERVERS",
    "STATE",
    "_State",
    "add_observer",
    "extension_hooks",
    "flush_provider",
    "init_telemetry",
    "remove_observer",
]

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)
_RELEASE = InternalErrors(_once, "release-provider", "shutting down the replaced tracer provider raised")


def extension_hooks() -> Hooks:
    """The hooks over the library's state that the extension thread, the flusher and the SIGTERM flush call."""
    from lambda_otel_lite._flusher import Hooks  # deferred: sync mode never loads the exporting threads

    return Hooks(
        provider=lambda: STATE.provider,
        flush=flush_provider,
        fell_back=STATE.fall_back_to_sync,
        end_running=_invocation.end_running,
        running=_invocation.is_running,
    )


@_resets.register
def _release_active() -> None:
    """Let go of the active provider (shut down, or detached from when adopted), as a fresh process has none.

    Registered with ``_resets``: it runs before the state's own reset, which forgets the rest.
    """
    provider, adoption = STATE.provider, STATE.adoption
    STATE.reset()
    if provider is not None:
        _release(provider, adoption)


class _DelegatingTracer(trace.Tracer):
    """A tracer of the global provider: resolves the active provider's tracer on each span start.

    Thread rules: the provider and its tracer are one tuple, replaced in one assignment, so a
    thread never pairs a new provider with the previous provider's tracer.
    """

    def __init__(self, args: tuple[Any, ...]) -> None:
        self._args = args
        self._pair: tuple[TracerProvider | None, trace.Tracer] = (None, trace.NoOpTracer())

    def _current(self) -> trace.Tracer:
        provider = STATE.provider
        known, tracer = self._pair
        if provider is not known:
            tracer = provider.get_tracer(*self._args) if provider is not None else trace.NoOpTracer()
            self._pair = (provider, tracer)
        return tracer

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self._current().start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._current().start_as_current_span(*args, **kwargs)


class _GlobalTracerProvider(TracerProvider):
    """The provider registered globally: it answers as the provider of the last ``init_telemetry``.

    It is an ``opentelemetry.sdk.trace.TracerProvider`` (integrations that check for the SDK's
    provider accept it) with no state of its own: each access goes to the active provider, read anew,
    so it follows a second ``init_telemetry()``.

    - ``get_tracer`` returns a tracer that takes the active provider's tracer at each span start: a
      tracer obtained before ``init_telemetry()`` works after it, and follows a re-init.
    - ``resource``, ``sampler``, ``id_generator``, every other attribute (read, set or deleted) and
      ``force_flush``/``shutdown`` are the active provider's.
    - ``add_span_processor`` adds the processor to the active provider, and only to it: a later
      ``init_telemetry()`` shuts the previous provider down with all its processors, this one
      included, and does not carry it over (pass it in ``span_processors``, or add it again).

    With no active provider (before ``init_telemetry()``, after ``testing.reset()``), ``resource``
    is the empty resource and tracers record nothing (logging formatters and instrumentations read
    them at import and must not fail), ``force_flush`` returns True and ``shutdown`` does nothing;
    anything else raises :class:`TelemetryNotInitializedError`, which names ``init_telemetry``.

    The SDK's ``__init__`` is not called: the delegate registers no exit or fork handler (the
    active provider has its own). No span start goes through this object: its tracers keep the
    active provider's tracer, and the invocation path uses that tracer directly.
    """

    def __init__(self) -> None:  # no super().__init__(): the SDK's would build a provider of its own
        pass

    @staticmethod
    def _active() -> TracerProvider:
        provider = STATE.provider
        if provider is None:
            raise TelemetryNotInitializedError(
                "lambda-otel-lite's global tracer provider has no active provider yet: call "
                "lambda_otel_lite.init_telemetry() first (again after lambda_otel_lite.testing.reset())"
            )
        return provider

    def __getattr__(self, name: str) -> Any:  # only for names neither the class nor this (empty) instance has
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(self._active(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._active(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._active(), name)

    def __repr__(self) -> str:
        return f"<lambda-otel-lite global TracerProvider for {STATE.provider!r}>"

    @property
    def resource(self) -> Resource:
        provider = STATE.provider
        return provider.resource if provider is not None else Resource.get_empty()

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        names = ("instrumenting_module_name", "instrumenting_library_version", "schema_url", "attributes")
        positional = list(args) + [kwargs.get(name) for name in names[len(args) :]]
        return _DelegatingTracer(tuple(positional))

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        """Add *span_processor* to the active provider; a later ``init_telemetry()`` shuts it down with it."""
        self._active().add_span_processor(span_processor)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        provider = STATE.provider
        return provider.force_flush(timeout_millis) if provider is not None else True

    def shutdown(self) -> None:
        if STATE.provider is not None:
            STATE.provider.shutdown()

    # The SDK's private methods too: run on this object, they would read and write its (absent) state.
    def _update_resource(self, resource: Resource) -> None:
        self._active()._update_resource(resource)

    def _set_tracer_configurator(self, *, tracer_configurator: Any) -> None:
        self._active()._set_tracer_configurator(tracer_configurator=tracer_configurator)

    def _apply_tracer_configurator(self, instrumentation_scope: Any) -> Any:
        return self._active()._apply_tracer_configurator(instrumentation_scope)

    def _handle_fork(self) -> None:
        """Nothing: the SDK registers this for the providers it builds, and the active one has its own."""


_GLOBAL_PROVIDER = _GlobalTracerProvider()


class _AdoptedProcessors(SynchronousMultiSpanProcessor):
    """lambda-otel-lite's processors on a provider ``init_telemetry(tracer_provider=...)`` adopted.

    A provider cannot drop a processor, so ours join it as this one processor, which a later
    ``init_telemetry()`` (or ``testing.reset()``) detaches: it shuts our processors down (they
    export what they hold) and forwards nothing from then on. The adopted provider stays its
    owner's, running, with its own processors.

    Thread rules: span events read one tuple; adding and detaching replace it under the SDK's lock.
    """

    def detach(self) -> None:
        with self._lock:
            processors, self._span_processors = self._span_processors, ()
        for processor in processors:
            processor.shutdown()

    def shutdown(self) -> None:  # the adopted provider's own shutdown (its exit handler): ours stop with it
        self.detach()


def _release(provider: TracerProvider, adoption: SynchronousMultiSpanProcessor | None) -> None:
    """Let go of the provider a later init_telemetry() replaced: shut down ours, detach from an adopted one."""
    with _RELEASE:
        if adoption is None:
            provider.shutdown()
        else:
            adoption.shutdown()  # _AdoptedProcessors: detaches ours, the adopted provider runs on


_ADOPT_HINT = "init_telemetry(tracer_provider=opentelemetry.trace.get_tracer_provider())"


def _install_global_provider(adopted: TracerProvider | None) -> None:
    current = trace.get_tracer_provider()
    if current is _GLOBAL_PROVIDER or (adopted is not None and current is adopted):
        return
    if not isinstance(current, trace.ProxyTracerProvider):
        _once.warning(
            "global-provider-set",
            "A global tracer provider (%r) was set before init_telemetry() (opentelemetry-instrument and the "
            "OpenTelemetry Lambda layer set one); it is left in place, and the spans of tracers from "
            "opentelemetry.trace.get_tracer(), instrumentations included, go to it, not to lambda-otel-lite. "
            "To keep one pipeline, let lambda-otel-lite adopt it: %s",
            current,
            _ADOPT_HINT,
        )
        return
    trace.set_tracer_provider(_GLOBAL_PROVIDER)


def _adopted_provider(
    tracer_provider: object, resource: Resource | None, sampler: Sampler | None
) -> TracerProvider | None:
    """The provider init_telemetry(tracer_provider=...) adopts; None when it builds its own."""
    if tracer_provider is None:
        return None
    if resource is not None or sampler is not None:
        given = " and ".join(n for n, v in (("resource", resource), ("sampler", sampler)) if v is not None)
        raise ConfigurationError(
            f"init_telemetry(tracer_provider=...) cannot take {given} as well: the provider keeps its own"
        )
    if tracer_provider is _GLOBAL_PROVIDER or isinstance(tracer_provider, trace.ProxyTracerProvider):
        return None  # nothing was set globally before lambda-otel-lite: build a provider, as without the argument
    if not isinstance(tracer_provider, TracerProvider):
        raise ConfigurationError(
            "tracer_provider must be an opentelemetry.sdk.trace.TracerProvider (span processors are added to it), "
            f"got {type(tracer_provider).__name__}: {tracer_provider!r}"
        )
    if tracer_provider is STATE.provider and STATE.adoption is None:
        raise ConfigurationError(
            "tracer_provider is the provider init_telemetry() built and still uses; call init_telemetry() "
            "without it to replace that provider"
        )
    return tracer_provider


def _default_processors(config: Config) -> list[SpanProcessor]:
    from lambda_otel_lite.processor import LambdaSpanProcessor  # deferred, downward: loaded already (cold start)

    exporter: SpanExporter
    if config.exporter is _config.ExporterChoice.NATIVE:
        from lambda_otel_lite.exporter import StdoutSpanExporter  # deferred: only the native exporter loads it

        exporter = StdoutSpanExporter()
    elif config.mode is _config.ProcessorMode.ASYNC and config.on_demand:
        from lambda_otel_lite._package_exporter import DeferredExporter  # deferred: only the package's exporter

        exporter = DeferredExporter()  # protobuf loads on the extension thread, after the first response
    else:
        from lambda_otel_lite._package_exporter import build_default_exporter  # deferred: only the package's exporter

        exporter = build_default_exporter()
    return [LambdaSpanProcessor(exporter, max_queue_size=config.queue_size)]


def _check_processors(span_processors: object, *, adopting: bool) -> list[SpanProcessor]:
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
    if not processors and not adopting:  # an adopted provider exports through its own processors
        logger.warning("init_telemetry(span_processors=[]): no span processor, so no span is exported")
    return processors


def init_telemetry(
    name: str | None = None,
    *,
    resource: Resource | None = None,
    span_processors: Sequence[SpanProcessor] | None = None,
    sampler: Sampler | None = None,
    tracer_provider: trace.TracerProvider | None = None,
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
        tracer_provider: An ``opentelemetry.sdk.trace.TracerProvider`` to adopt instead of building
            one, for one pipeline with ``opentelemetry-instrument`` or the OpenTelemetry Lambda
            layer: pass ``opentelemetry.trace.get_tracer_provider()``. The span processors (the
            default one, or ``span_processors``) are added to it, it becomes the active provider
            that the processing mode flushes after each invocation, and it is returned; no provider
            is built or registered. It keeps its own resource, sampler and ID generator (so
            ``resource`` and ``sampler`` cannot be given with it). A later ``init_telemetry()``
            shuts down the processors it added, not the provider. The global provider when it is
            lambda-otel-lite's own, or the API's placeholder when none was set, counts as not
            given: a provider is built as usual.

    Returns:
        ``(tracer, provider)``: pass both to :func:`~lambda_otel_lite.traced_handler`.

    Raises:
        ConfigurationError: an argument is not of the expected type; the message names it.

    Env vars: see the configuration page; every variable is read here, once.

    Example:
        >>> tracer, provider = init_telemetry("orders-api")
        >>> from opentelemetry import trace
        >>> tracer, provider = init_telemetry("orders-api", tracer_provider=trace.get_tracer_provider())
    """
    if name is not None and not isinstance(name, str):
        raise ConfigurationError(f"name must be a string, got {type(name).__name__}: {name!r}")
    if resource is not None and not isinstance(resource, Resource):
        raise ConfigurationError(f"resource must be an opentelemetry Resource, got {type(resource).__name__}")
    if sampler is not None and not isinstance(sampler, Sampler):
        raise ConfigurationError(
            f"sampler must be an opentelemetry.sdk.trace.sampling.Sampler, got {type(sampler).__name__}: {sampler!r}"
        )
    adopted = _adopted_provider(tracer_provider, resource, sampler)
    config = _config.load_config()
    processors = (
        _default_processors(config)
        if span_processors is None
        else _check_processors(span_processors, adopting=adopted is not None)
    )
    open_spans = OpenSpans()  # this provider's: the spans a timeout (or the SIGTERM of a reset) ends as cut short
    tracker = open_spans.attach(processors)
    joining = [*processors, *OBSERVERS, *([tracker] if tracker is not None else [])]
    adoption: _AdoptedProcessors | None = None
    if adopted is not None:
        provider = adopted
        adoption = _AdoptedProcessors()  # type: ignore[no-untyped-call]
        for processor in joining:
            adoption.add_span_processor(processor)
        provider.add_span_processor(adoption)
        if config.snap_start:
            from lambda_otel_lite import _snapstart  # deferred: only SnapStart functions load it

            _snapstart.register_hooks(STATE.flush)  # the init phase's spans out before the snapshot
    else:
        provider = _build_provider(config, resource, sampler)
        for processor in joining:
            provider.add_span_processor(processor)

    previous, previous_adoption = STATE.provider, STATE.adoption
    STATE.config = config
    STATE.provider = provider
    STATE.adoption = adoption
    STATE.open_spans = open_spans
    STATE.mode = _config.ProcessorMode.SYNC
    STATE.tracer = tracer = provider.get_tracer(
        name or str(provider.resource.attributes.get("service.name", "lambda-otel-lite"))
    )
    if previous is not None:
        logger.info(
            "init_telemetry() called again: the previous tracer provider is flushed and shut down "
            "(an adopted one keeps running without the processors init_telemetry() added)"
        )
        _release(previous, previous_adoption)
    _install_global_provider(adopted)
    _logs.install(config, service_name=str(provider.resource.attributes.get("service.name", "")))
    if "botocore" in sys.modules:  # context out on AWS SDK calls; nothing to do in a function without boto3
        from lambda_otel_lite import _botocore  # deferred: only functions that use the AWS SDK load it

        _botocore.maybe_install()
    STATE.mode = _start_mode(config)
    return tracer, provider


def _build_provider(config: Config, resource: Resource | None, sampler: Sampler | None) -> TracerProvider:
    if resource is None:
        from lambda_otel_lite.resource import get_lambda_resource  # deferred, downward: not with a given resource

        resource = get_lambda_resource()
    from lambda_otel_lite.resource import LambdaResource  # deferred, downward: not for an adopted provider

    if config.snap_start:
        from lambda_otel_lite import _snapstart  # deferred: only SnapStart functions load it

        # IDs of its own, reseeded after each restore; spans of the init phase out before the snapshot
        provider = TracerProvider(
            resource=LambdaResource.of(resource), id_generator=_snapstart.ID_GENERATOR, sampler=sampler
        )
        _snapstart.register_hooks(STATE.flush)
        return provider
    return TracerProvider(resource=LambdaResource.of(resource), sampler=sampler)


def _start_mode(config: Config) -> _config.ProcessorMode:
    if config.mode is _config.ProcessorMode.SYNC:
        return config.mode
    if STATE.extension is not None and STATE.extension.mode is config.mode:
        # Registration is once per process; a second init_telemetry() keeps the extension running.
        return config.mode
    from lambda_otel_lite import _extension  # deferred: sync mode never loads the extension and its threads

    mode, STATE.extension = _extension.start(config, extension_hooks())
    return mode
