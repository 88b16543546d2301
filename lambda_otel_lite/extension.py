"""The internal Lambda extension: async and finalize modes, and the SIGTERM flush.

Lambda considers an invocation complete, and may freeze the execution environment, only when the
runtime and every extension subscribed to INVOKE events are back in their ``/next`` calls. An
*internal* extension is a thread of the function's own process that registers with the Extensions
API; it can subscribe to INVOKE only (Lambda refuses SHUTDOWN for internal extensions), and its
only shutdown hook is the SIGTERM Lambda sends to the runtime process.

Async mode (``LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE=async``): the extension thread registers for
INVOKE inside :func:`~lambda_otel_lite.init_telemetry` (registration closes at the runtime's first
``/runtime/invocation/next``). For each INVOKE event it waits for the instrumented handler to
finish (``traced_handler`` / ``@instrumented`` signal it), flushes the tracer provider, and only then
calls ``/extension/event/next``. The caller already has the response; the export runs before Lambda
may freeze the process, so no span waits in a frozen queue. What the thread does per invocation is
kept off the handler's way: it reads the INVOKE event only once the handler signalled (reading it
would take the GIL while the runtime starts the handler), the signal costs the handler a list
append and a lock release, and ``/event/next`` goes over one kept-alive connection.

Finalize mode: the extension registers for no events at all. That keeps SIGTERM coming at shutdown;
the user's processors (``BatchSpanProcessor``) export on their own schedule.

SIGTERM (async and finalize): flush every processor within Lambda's grace period (500 ms with only
internal extensions), shut the provider down, then call the handler that was installed before, or
exit with status 0. Python runs signal handlers only on the main thread while it executes Python
code, and ``awslambdaric`` keeps the main thread in native code or on a lock while it waits for the
next event; the kernel may also deliver SIGTERM to another thread. So the flush is also driven from
the interpreter's signal wake-up fd, by a named daemon thread: it runs whatever the main thread is
doing, with or without a managed ``AWS_EXECUTION_ENV``. Only when something else (an asyncio loop,
say) already owns the wake-up fd does the flush depend on the main thread running the handler.

Failures never reach the handler and lose no span: no ``AWS_LAMBDA_RUNTIME_API``, a refused
registration or an unreachable API give sync mode with one warning; an extension thread that fails
reports ``/extension/exit/error``, flushes, and switches the process to sync mode.

Thread rules: one named daemon thread; the handler thread only appends a signal and releases a
wake-up lock; waits are bounded by the invocation's deadline.

The HTTP client of the Extensions API is :mod:`lambda_otel_lite._extension_client`, the SIGTERM
flush :mod:`lambda_otel_lite._sigterm`; this module is the thread and the choice of mode.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, NamedTuple

from lambda_otel_lite import _config
from lambda_otel_lite._extension_client import ExtensionApiError, ExtensionClient
from lambda_otel_lite._log import OnceLogger
from lambda_otel_lite._sigterm import install_sigterm_handler

if TYPE_CHECKING:
    from collections.abc import Callable

    from lambda_otel_lite._config import Config
    from lambda_otel_lite._flusher import ProcessFlusher

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)

THREAD_NAME = "lambda-otel-lite-extension"
READ_AFTER_HANDLER_SECONDS = 0.1
"""Async mode reads an INVOKE event after the handler signalled, or after this long (a longer or an
uninstrumented handler): a bound, so a failing answer is not left unread."""


class Hooks(NamedTuple):
    """What the extension thread, the process flusher and the SIGTERM flush call, given by ``telemetry``.

    This module never imports ``telemetry`` (as the SDK's batch processor knows only its exporter):
    ``telemetry`` builds the hooks over its state and hands them over when it starts a mode.
    """

    provider: Callable[[], object]
    """The active tracer provider (None before ``init_telemetry``)."""
    flush: Callable[[object], None]
    """Flush one provider; logs a failure once, never raises."""
    fell_back: Callable[[object], bool]
    """The thread (the argument) is gone: export inline, in sync mode, from now on. False when it
    was no longer the process's thread (a later init replaced it): nothing changes then."""


class _Completions:
    """Handler-complete signals, keyed by request id.

    Thread rules: handler threads call :meth:`complete`, which costs the handler a list append and
    a lock release (two C calls, no Python-level condition variable); the extension thread alone
    calls :meth:`wait`, blocked on the wake-up lock that :meth:`complete` releases, with the
    invocation's deadline as its timeout.
    """

    def __init__(self) -> None:
        self._signals: list[tuple[str | None, object]] = []  # appended by handlers, popped by wait()
        self._wakeup = threading.Lock()
        self._wakeup.acquire()  # held while no signal is pending: wait() blocks on it
        self._last_provider: object = None

    def complete(self, request_id: str | None, provider: object) -> None:
        self._signals.append((request_id, provider))
        # try/except, not contextlib.suppress: this runs in every handler, and a try costs nothing
        try:  # noqa: SIM105
            self._wakeup.release()
        except RuntimeError:  # released already: a wake-up is pending, and wait() reads every signal
            pass

    def wait(self, request_id: str | None, deadline: float) -> tuple[bool, list[object]]:
        """Wait until *request_id* (or an invocation without id) completed, or *deadline* (monotonic).

        Returns whether it completed, and the providers to flush: those of every signal read (a late
        signal of an earlier invocation is stale, but its provider is flushed too), or, when none
        arrived, the provider of the last signal ever read (None: the active provider).
        """
        providers: list[object] = []
        while True:
            completed = self._drain(request_id, providers)
            if completed:
                self._wakeup.acquire(blocking=False)  # its wake-up, if still pending, is spent
                return True, providers
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False, providers or [self._last_provider]
            self._wakeup.acquire(timeout=min(remaining, threading.TIMEOUT_MAX))

    def take_all(self) -> list[object]:
        """Block until a signal is pending; read every pending one; their providers (one each, in order)."""
        while True:
            self._wakeup.acquire()
            providers: list[object] = []
            self._drain(None, providers)
            if providers:
                return providers

    def _drain(self, request_id: str | None, providers: list[object]) -> bool:
        """Read every pending signal, adding its provider to *providers* once; whether *request_id*
        (or an invocation without id) was among them."""
        completed = False
        while self._signals:
            signalled, provider = self._signals.pop(0)
            completed = completed or signalled == request_id or signalled is None
            if not any(provider is known for known in providers):
                providers.append(provider)
            self._last_provider = provider
        return completed

    def wait_signal(self, timeout: float) -> None:
        """Block until a signal is pending, or for *timeout* seconds; the signal stays for :meth:`wait`."""
        if not self._signals:
            self._wakeup.acquire(timeout=timeout)


class CompletionThread:
    """A thread that exports after the handlers signal their invocations' end (:meth:`handler_complete`).

    The internal extension is one (it also speaks to the Extensions API); the process flusher of
    Managed Instances is the other.
    """

    thread_name = THREAD_NAME
    role = "extension"
    """What the thread is called in the warning of its failure."""

    def __init__(self, mode: _config.ProcessorMode, hooks: Hooks) -> None:
        self.mode = mode
        self.hooks = hooks
        self.completions = _Completions()
        self.thread: threading.Thread | None = None
        self.alive = False
        self.invocations = 0

    def start(self) -> None:
        self.alive = True
        self.thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self.thread.start()

    def handler_complete(self, request_id: str | None, provider: object) -> bool:
        """Signal the end of an invocation; False when the thread is gone (flush inline instead)."""
        if not self.alive:
            return False
        self.completions.complete(request_id, provider)
        return True

    def _run(self) -> None:
        raise NotImplementedError

    def _die(self, exc: BaseException) -> None:
        """The thread failed: hand over to sync mode, flush what the last handler queued, and say so once."""
        self.alive = False
        hooks = self.hooks
        if not hooks.fell_back(self):  # replaced by a later init_telemetry(): nothing to hand over
            return
        logging.getLogger(type(self).__module__).warning(
            "The lambda-otel-lite %s thread failed (%s: %s); spans are exported in sync mode from now on",
            self.role,
            type(exc).__name__,
            exc,
        )
        hooks.flush(hooks.provider())  # what the last handler queued before the switch
        self._report_failure(exc)

    def _report_failure(self, exc: BaseException) -> None:
        """Tell what else must know of the failure (the Extensions API); nothing by default."""

    def _flush_each(self, providers: list[object]) -> None:
        """Flush every provider of *providers* once (None: the active one)."""
        hooks = self.hooks
        flushed: list[object] = []
        for provider in providers:
            target = provider if provider is not None else hooks.provider()
            if not any(target is done for done in flushed):
                hooks.flush(target)
                flushed.append(target)


class InternalExtension(CompletionThread):
    """The extension thread: flushes per invocation in async mode; in finalize mode it only waits."""

    def __init__(self, client: ExtensionClient, mode: _config.ProcessorMode, hooks: Hooks) -> None:
        super().__init__(mode, hooks)
        self.client = client

    def _run(self) -> None:
        on_arrival = self._read_after_handler if self.mode is _config.ProcessorMode.ASYNC else None
        try:
            while True:
                event = self.client.next_event(on_arrival)  # finalize mode: blocks for good, which ends the init
                if self.mode is not _config.ProcessorMode.ASYNC or event.get("eventType") != "INVOKE":
                    continue
                request_id = event.get("requestId")
                deadline_ms = event.get("deadlineMs")
                seconds_left = deadline_ms / 1000 - time.time() if isinstance(deadline_ms, int | float) else 900.0
                completed, providers = self.completions.wait(request_id, time.monotonic() + max(seconds_left, 0.0))
                if not completed:
                    self._report_deadline(request_id)
                self._flush_each(providers)
                self.invocations += 1
        except BaseException as exc:  # the thread must never die silently
            self._die(exc)

    @staticmethod
    def _report_deadline(request_id: object) -> None:
        from lambda_otel_lite._timeouts import WATCHDOG

        if any(invocation.request_id == request_id for invocation in WATCHDOG.running()):
            _once.warning(
                "deadline-running",
                "async mode: invocation %s reached its deadline with its instrumented handler still running "
                "(the timeout watchdog is off: %s=0); spans are flushed now",
                request_id,
                _config.TIMEOUT_MARGIN_MS.name,
            )
            return
        _once.warning(
            "no-completion",
            "async mode: invocation %s reached its deadline and no instrumented handler ran for it "
            "(wrap the handler with @instrumented or traced_handler, or use sync mode); spans are flushed now",
            request_id,
        )

    def _read_after_handler(self) -> None:
        """The INVOKE event is arriving: read it once the handler signalled (or after a bound).

        Reading and parsing it takes the GIL exactly while the runtime reads its own copy of the
        event and starts the handler; after the handler, the same work waits for nothing.
        """
        self.completions.wait_signal(READ_AFTER_HANDLER_SECONDS)

    def _report_failure(self, exc: BaseException) -> None:
        self.client.exit_error("Extension.Crash", f"{type(exc).__name__}: {exc}")


def start(config: Config, hooks: Hooks) -> tuple[_config.ProcessorMode, InternalExtension | ProcessFlusher | None]:
    """Register the internal extension for *config.mode*.

    Returns the mode in effect and the extension (None in sync mode): sync, with one warning, when
    the Extensions API is missing, unreachable or refuses the registration.
    """
    mode = config.mode
    if config.managed_instances:
        return _start_without_extension(mode, hooks)
    if config.runtime_api is None:
        logger.warning(
            "%s=%s needs the Lambda Extensions API, but %s is not set (not running in Lambda?); "
            "spans are exported in sync mode instead",
            _config.MODE.name,
            mode.value,
            _config.RUNTIME_API.name,
        )
        return _config.ProcessorMode.SYNC, None
    events = ["INVOKE"] if mode is _config.ProcessorMode.ASYNC else []
    try:
        client = ExtensionClient(config.runtime_api)
        client.register(events)
    except ExtensionApiError as exc:
        logger.warning(
            "%s=%s: registering the internal extension failed (%s); spans are exported in sync mode instead",
            _config.MODE.name,
            mode.value,
            exc,
        )
        return _config.ProcessorMode.SYNC, None
    extension = InternalExtension(client, mode, hooks)
    extension.start()  # Lambda ends the init phase only when every registered extension called /next
    install_sigterm_handler(hooks.provider)
    return mode, extension


def _start_without_extension(
    mode: _config.ProcessorMode, hooks: Hooks
) -> tuple[_config.ProcessorMode, ProcessFlusher | None]:
    """Lambda Managed Instances: no INVOKE subscription, nothing frozen, a process per request.

    Async mode exports from a thread of the process after each invocation; finalize mode leaves it
    to your processors. Both flush on the SIGTERM of the environment's shutdown. No extension is
    registered from a worker process.
    """
    install_sigterm_handler(hooks.provider)
    if mode is not _config.ProcessorMode.ASYNC:
        return mode, None
    from lambda_otel_lite._flusher import ProcessFlusher

    flusher = ProcessFlusher(mode, hooks)
    flusher.start()
    return mode, flusher
