"""The SIGTERM flush: flush every processor within Lambda's grace period, then chain or exit 0.

Lambda sends SIGTERM to the runtime process at shutdown (and at the reset after a timeout); with
only internal extensions registered it waits 500 ms before SIGKILL. Installed once per process by
async and finalize modes; it receives the callables it needs (the active provider, the ending of
the invocations still running) and never imports ``telemetry``, ``invocation`` or ``records``. It
knows whether it installed itself: :func:`uninstall_sigterm_handler`, registered with ``_resets``,
puts the previous handler back only then.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from lambda_otel_lite import _resets
from lambda_otel_lite._log import InternalErrors, OnceLogger

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

logger = logging.getLogger("lambda_otel_lite.extension")
_once = OnceLogger(logger)
_END_RUNNING = InternalErrors(_once, "sigterm-end-running", "SIGTERM: ending the running invocation failed")
_FLUSH = InternalErrors(_once, "sigterm-flush", "SIGTERM: flushing the tracer provider failed")

SIGTERM_THREAD_NAME = "lambda-otel-lite-sigterm"
SIGTERM_BUDGET_MILLIS = 400
"""Lambda gives 500 ms between SIGTERM and SIGKILL when only internal extensions are registered."""


class _SigtermHandler:
    """Flush and shut down on SIGTERM, then chain to the previous handler or exit 0.

    Python runs signal handlers on the main thread only, and only while it executes Python code.
    The kernel may deliver SIGTERM to any thread of the process (it picks another one when the main
    thread has a signal pending, e.g. the SIGCONT of the thaw that precedes Lambda's shutdown), and
    then a main thread blocked on a lock, such as ``awslambdaric`` joining its ``/next`` poller,
    never runs the handler. So the handler also sets the interpreter's signal wake-up fd: a named
    daemon thread reads it and flushes, whatever thread the signal reached and whatever the main
    thread is blocked in (this also covers ``awslambdaric`` without a managed ``AWS_EXECUTION_ENV``,
    whose main thread sits in native code). The flush runs once, on whichever side gets there first.
    """

    def __init__(self, previous: Any, provider: Callable[[], object], end_running: Callable[[], object]) -> None:
        self.previous = previous
        self.provider = provider
        self.end_running = end_running
        self._lock = threading.Lock()
        self._flushed = False
        self._pipe: tuple[int, int] | None = None

    def flush_once(self) -> bool:
        """Flush and shut the provider down; True for the one call that did it (and may exit)."""
        with self._lock:  # a second caller waits here until the flush is over
            if self._flushed:
                return False
            self._flushed = True
            started = time.monotonic()
            with _END_RUNNING:
                self.end_running()  # the reset after a timeout, the shutdown: end what still runs
            provider: Any = self.provider()
            if provider is not None:
                with _FLUSH:
                    provider.force_flush(SIGTERM_BUDGET_MILLIS)
                remaining = SIGTERM_BUDGET_MILLIS / 1000 - (time.monotonic() - started)
                # shutdown() may join processor threads without a timeout: bound it.
                closer = threading.Thread(target=provider.shutdown, name="lambda-otel-lite-shutdown", daemon=True)
                closer.start()
                closer.join(max(remaining, 0.0))
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:
                    logger.debug("could not flush %r", stream)
            return True

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        """The Python-level handler, on the main thread."""
        flushed_here = self.flush_once()
        if callable(self.previous):
            self.previous(signum, frame)
        elif flushed_here:
            # The runtime's poller thread (non-daemon) would keep the interpreter alive past the
            # grace period, so sys.exit() could end in SIGKILL; the telemetry is out, leave now.
            os._exit(0)
        # else the wake-up fd thread flushed, and it ends the process: one exit, from one thread

    def watch(self) -> bool:
        """Start the wake-up fd reader; False when something else already owns the wake-up fd."""
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        if previous_fd != -1:  # someone else's (e.g. an asyncio loop): leave it to them
            signal.set_wakeup_fd(previous_fd)
            os.close(read_end)
            os.close(write_end)
            return False
        self._pipe = (read_end, write_end)
        threading.Thread(target=self._watch, args=(read_end,), name=SIGTERM_THREAD_NAME, daemon=True).start()
        return True

    def _watch(self, read_end: int) -> None:
        try:
            while data := os.read(read_end, 64):  # empty: the write end was closed by unwatch()
                # With a previous handler, the process ends as that handler decides: Python calls it
                # on the main thread when the main thread next runs Python code.
                if signal.SIGTERM in data and self.flush_once() and not callable(self.previous):
                    os._exit(0)
        except OSError:
            logger.debug("the SIGTERM wake-up pipe failed", exc_info=True)
        finally:
            os.close(read_end)

    def unwatch(self) -> None:
        if self._pipe is not None:
            if signal.set_wakeup_fd(-1) not in (-1, self._pipe[1]):
                logger.debug("the signal wake-up fd had been replaced")
            os.close(self._pipe[1])
            self._pipe = None


class _Installed:
    """The handler this module installed, if any: the module's one piece of global state."""

    __slots__ = ("handler",)

    def __init__(self) -> None:
        self.handler: _SigtermHandler | None = None


_INSTALLED = _Installed()


def _no_invocations() -> int:
    return 0


@_resets.register
def uninstall_sigterm_handler() -> None:
    """Put back the SIGTERM handler that was there before :func:`install_sigterm_handler`. Tests only.

    Only when this module installed it: a handler installed by someone else stays.
    """
    handler = _INSTALLED.handler
    _INSTALLED.handler = None
    if handler is None:
        return
    handler.unwatch()
    previous = handler.previous
    if signal.getsignal(signal.SIGTERM) is handler:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def install_sigterm_handler(
    provider: Callable[[], object], end_running: Callable[[], object] = _no_invocations
) -> bool:
    """Install the SIGTERM flush of the provider *provider* returns (once per process). False off the main thread.

    *end_running* ends the invocations still running (as cut short) before the flush.
    """
    current = signal.getsignal(signal.SIGTERM)
    if isinstance(current, _SigtermHandler):
        return True
    handler = _SigtermHandler(current, provider, end_running)
    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        _once.warning(
            "sigterm-thread",
            "init_telemetry() ran outside the main thread, so no SIGTERM handler was installed; spans still "
            "queued at shutdown may be lost",
        )
        return False
    _INSTALLED.handler = handler
    if not handler.watch():
        logger.debug("the signal wake-up fd is in use; SIGTERM is handled on the main thread only")
    return True
