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
import time
from typing import TYPE_CHECKING

from lambda_otel_lite import _config
from lambda_otel_lite._extension_client import ExtensionApiError, ExtensionClient
from lambda_otel_lite._flusher import EXTENSION_THREAD_NAME, CompletionThread, Hooks, ProcessFlusher, _Completions
from lambda_otel_lite._log import OnceLogger
from lambda_otel_lite._sigterm import install_sigterm_handler

if TYPE_CHECKING:
    from lambda_otel_lite._config import Config

__all__ = ["CompletionThread", "Hooks", "InternalExtension", "ProcessFlusher", "_Completions", "start"]

# The logger keeps the name users filter by from before this module was private.
logger = logging.getLogger("lambda_otel_lite.extension")
_once = OnceLogger(logger)

THREAD_NAME = EXTENSION_THREAD_NAME
READ_AFTER_HANDLER_SECONDS = 0.1
"""Async mode reads an INVOKE event after the handler signalled, or after this long (a longer or an
uninstrumented handler): a bound, so a failing answer is not left unread."""


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

    def _report_deadline(self, request_id: object) -> None:
        if self.hooks.running(request_id):
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
    install_sigterm_handler(hooks.provider, hooks.end_running)
    return mode, extension


def _start_without_extension(
    mode: _config.ProcessorMode, hooks: Hooks
) -> tuple[_config.ProcessorMode, ProcessFlusher | None]:
    """Lambda Managed Instances: no INVOKE subscription, nothing frozen, a process per request.

    Async mode exports from a thread of the process after each invocation; finalize mode leaves it
    to your processors. Both flush on the SIGTERM of the environment's shutdown. No extension is
    registered from a worker process.
    """
    install_sigterm_handler(hooks.provider, hooks.end_running)
    if mode is not _config.ProcessorMode.ASYNC:
        return mode, None
    flusher = ProcessFlusher(mode, hooks)
    flusher.start()
    return mode, flusher
