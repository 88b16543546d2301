"""The library's one state object, the current invocation and the span observers.

This is a leaf: it imports only ``_config``, ``_log``, ``_resets`` and ``semconv`` of the package,
so every layer above it (``telemetry``, ``invocation``, ``records``, the sources' callers) reads the
same state without importing ``telemetry``, and no import circle can form through it.

- :data:`STATE` holds what is process-wide: the active provider and tracer, the parsed
  configuration, the processing mode and its thread, the cold-start flag, the active provider's
  open spans.
- :data:`CURRENT_INVOCATION` holds what belongs to one context (thread or task): the innermost
  running invocation, set and reset by token.
- :data:`OBSERVERS` are span processors joined to every provider ``init_telemetry()`` builds
  (``lambda_otel_lite.testing.capture_spans``).

Each registers its reset with :mod:`lambda_otel_lite._resets`.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from lambda_otel_lite import _config, _resets
from lambda_otel_lite._log import InternalErrors, OnceLogger
from lambda_otel_lite.semconv import attribute_names

if TYPE_CHECKING:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import SpanProcessor, SynchronousMultiSpanProcessor, TracerProvider

    from lambda_otel_lite._config import Config
    from lambda_otel_lite._flusher import CompletionThread
    from lambda_otel_lite._timeouts import OpenSpans
    from lambda_otel_lite.semconv import AttributeNames

logger = logging.getLogger("lambda_otel_lite.telemetry")
_once = OnceLogger(logger)
_FLUSH = InternalErrors(_once, "provider-flush", "force_flush of the tracer provider raised")


CURRENT_INVOCATION: ContextVar[Any] = ContextVar("lambda_otel_lite_invocation", default=None)
"""The innermost running invocation (``invocation.Invocation``) of this context: thread or task."""


class _State:
    """Everything global: the active provider, the parsed config, the cold-start flag.

    ``adoption`` holds lambda-otel-lite's processors on a provider ``init_telemetry(tracer_provider=...)``
    adopted; it is None when ``init_telemetry`` created the active provider. ``open_spans`` is the
    active provider's registry of open spans (``_timeouts.OpenSpans``), which the timeout path reads.

    ``reset()`` restores the state of a fresh process; ``lambda_otel_lite.testing.reset()`` calls it.
    """

    __slots__ = ("_config", "_names", "adoption", "cold_start", "extension", "mode", "open_spans", "provider", "tracer")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.provider: TracerProvider | None = None
        self.adoption: SynchronousMultiSpanProcessor | None = None
        self.tracer: trace.Tracer | None = None
        self.mode: _config.ProcessorMode = _config.ProcessorMode.SYNC
        self.cold_start = True
        CURRENT_INVOCATION.set(None)  # in the calling context: a leaked invocation of a test is gone
        self.extension: CompletionThread | None = None
        self.open_spans: OpenSpans | None = None
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
_resets.register(STATE.reset)


def flush_provider(provider: object) -> None:
    """``force_flush`` *provider*; a failure is logged once, never raised."""
    flush = getattr(provider, "force_flush", None)
    if flush is not None:
        try:  # the one guard, in its except form: this runs after every invocation in sync mode
            flush()
        except Exception:
            _FLUSH.caught()


OBSERVERS: list[SpanProcessor] = []
"""Processors joined to the active provider and to every one init_telemetry() creates (span capture in tests)."""
_resets.register(OBSERVERS.clear)


def add_observer(processor: SpanProcessor) -> None:
    """Join *processor* to the active provider and to every later one. Used by ``lambda_otel_lite.testing``."""
    OBSERVERS.append(processor)
    if STATE.adoption is not None:
        STATE.adoption.add_span_processor(processor)
    elif STATE.provider is not None:
        STATE.provider.add_span_processor(processor)


def remove_observer(processor: SpanProcessor) -> None:
    """Stop joining *processor* to new providers (a provider cannot drop a processor it has)."""
    if processor in OBSERVERS:
        OBSERVERS.remove(processor)
