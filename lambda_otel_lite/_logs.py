"""Log correlation: every ``logging`` record carries the current span's trace id, span id and sampled flag.

:func:`install` wraps the process's log record factory (``logging.setLogRecordFactory``). Each
record the previous factory makes gets four attributes, with the names and formats of
``opentelemetry-instrumentation-logging`` (its ``LoggingInstrumentor``), so that format strings
written for it keep working:

- ``otelTraceID``: 32 lowercase hex digits, ``"0"`` when no span is current;
- ``otelSpanID``: 16 lowercase hex digits, ``"0"`` when no span is current;
- ``otelTraceSampled``: the span's sampled flag, a bool (``False`` when no span is current);
- ``otelServiceName``: the resource's ``service.name``.

Inside an invocation the current span is the invocation span, or the innermost span the handler
started. awslambdaric's JSON formatter (``AWS_LAMBDA_LOG_FORMAT=JSON``) copies a record's extra
attributes into the line it writes, so the four appear as fields of every JSON log line; its text
format names only its own fields (docs/logs.md says what to add).

Why a record factory and not a filter on the root logger's handlers: the factory runs once per
record, where and when the record is made (the context of the code that logs, even when a
``QueueHandler`` formats it on another thread), for every logger and every handler, including
those added later and those of loggers that do not propagate. It never runs for a call below the
logger's level (no record is made).

Env vars: ``LAMBDA_OTEL_LITE_LOG_CORRELATION`` (through :class:`~lambda_otel_lite._config.Config`).

Thread rules: :func:`install` and :func:`uninstall` take a lock; the factory itself takes none
(it reads the current span from the caller's context and keeps one immutable cache entry).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from lambda_otel_lite import _resets
from lambda_otel_lite._log import OnceLogger, internal_error

if TYPE_CHECKING:
    from collections.abc import Callable

    from opentelemetry.context import Context

    from lambda_otel_lite._config import Config

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)

TRACE_ID = "otelTraceID"
SPAN_ID = "otelSpanID"
TRACE_SAMPLED = "otelTraceSampled"
SERVICE_NAME = "otelServiceName"
NO_ID = "0"
"""The ids of a record made while no span is current, as ``opentelemetry-instrumentation-logging`` writes them."""


class _Correlation:
    """One installation: the previous factory, the service name, the on switch and the cache.

    :attr:`factory` is the function handed to ``logging.setLogRecordFactory`` (a closure: calling
    a plain function is cheaper than calling an object's ``__call__``). Its four values are
    computed once per OpenTelemetry context and kept for the last context seen (by identity: a
    ``Context`` is immutable, and each span made current makes a new one), so the records logged
    in one span cost a context lookup and one dictionary update each. The kept context holds its
    span until a record of another context replaces it: one entry, never a growing cache.
    """

    __slots__ = ("active", "cached", "factory", "previous", "service_name")

    def __init__(self, previous: Callable[..., logging.LogRecord], service_name: str) -> None:
        self.previous = previous
        self.service_name = service_name
        self.active = True
        self.cached: tuple[Context | None, dict[str, object]] = (None, {})
        self.factory = self._make_factory()

    def _make_factory(self) -> Callable[..., logging.LogRecord]:
        state, previous, get_current = self, self.previous, otel_context.get_current

        def correlating_record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)  # its exceptions are not ours to hide
            if state.active:
                try:
                    context = get_current()
                    cached = state.cached
                    if cached[0] is not context:
                        cached = state.cached = (context, state.fields(context))
                    record.__dict__.update(cached[1])
                except Exception:
                    state.failed()
            return record

        setattr(correlating_record_factory, _MARK, self)
        return correlating_record_factory

    def fields(self, context: Context) -> dict[str, object]:
        span = trace.get_current_span(context).get_span_context()
        if not span.is_valid:
            return {TRACE_ID: NO_ID, SPAN_ID: NO_ID, TRACE_SAMPLED: False, SERVICE_NAME: self.service_name}
        return {
            TRACE_ID: f"{span.trace_id:032x}",
            SPAN_ID: f"{span.span_id:016x}",
            TRACE_SAMPLED: span.trace_flags.sampled,
            SERVICE_NAME: self.service_name,
        }

    def rename(self, service_name: str) -> None:
        self.service_name = service_name
        self.cached = (None, {})

    def failed(self) -> None:
        # Off first: the warning below makes a record too, through this factory.
        self.active = False
        internal_error(_once, "log-correlation", "log correlation failed; log records carry no trace ids from now on")


_MARK = "_lambda_otel_lite_correlation"
"""The attribute of our factory functions that names their :class:`_Correlation`."""


def _correlation_of(factory: object) -> _Correlation | None:
    state = getattr(factory, _MARK, None)
    return state if isinstance(state, _Correlation) else None


class _Installed:
    """The installation :func:`install` made, if any (the module's one piece of global state)."""

    __slots__ = ("correlation", "lock")

    def __init__(self) -> None:
        self.correlation: _Correlation | None = None
        self.lock = threading.Lock()


_INSTALLED = _Installed()


def install(config: Config, *, service_name: str | None = None) -> None:
    """Put the current span's ids on every log record, unless ``config.log_correlation`` is off.

    Idempotent: a second call keeps the installed factory (and updates its service name); a call
    with ``log_correlation`` off uninstalls it. The previous factory is kept and called first.

    Args:
        config: The parsed environment; ``log_correlation`` is read.
        service_name: ``otelServiceName``: the resource's ``service.name``. Defaults to
            ``config.function_name`` (the detected resource's default), else ``""``.

    Example:
        >>> import logging
        >>> from lambda_otel_lite._config import Config
        >>> install(Config())
        >>> logging.getLogRecordFactory()("x", logging.INFO, "f.py", 1, "m", (), None).otelTraceID
        '0'
        >>> uninstall()
    """
    if not config.log_correlation:
        uninstall()
        return
    name = service_name if service_name is not None else (config.function_name or "")
    with _INSTALLED.lock:
        if _INSTALLED.correlation is not None:
            _INSTALLED.correlation.rename(name)
            return
        previous = logging.getLogRecordFactory()
        # Ours, turned off by an uninstall while something else wrapped it, and since unwrapped: skip it.
        while (stale := _correlation_of(previous)) is not None and not stale.active:
            previous = stale.previous
        _INSTALLED.correlation = correlation = _Correlation(previous, name)
        logging.setLogRecordFactory(correlation.factory)


@_resets.register
def uninstall() -> None:
    """Stop adding ids; restore the factory that was in place before :func:`install`.

    When another factory has wrapped ours since (``LoggingInstrumentor().instrument()`` after
    ``install``), ours stays in that chain, turned off (it only calls the previous factory), so
    the other one keeps working; a later :func:`install` leaves it out again once it is on top.

    Example:
        >>> uninstall()  # harmless when nothing is installed
    """
    with _INSTALLED.lock:
        correlation = _INSTALLED.correlation
        if correlation is None:
            return
        _INSTALLED.correlation = None
        correlation.active = False
        if logging.getLogRecordFactory() is correlation.factory:
            logging.setLogRecordFactory(correlation.previous)


def installed() -> bool:
    """Whether :func:`install` is in effect.

    Example:
        >>> uninstall()
        >>> installed()
        False
    """
    return _INSTALLED.correlation is not None
