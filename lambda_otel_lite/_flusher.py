"""Async mode where nothing is frozen (Lambda Managed Instances): a thread of the process exports after each invocation.

On Managed Instances the Extensions API refuses ``INVOKE`` subscriptions and Lambda never freezes
an environment, so the internal extension has nothing to do that a plain thread cannot: spans
queued after the response cannot be stranded in a frozen process. Each worker process (one
request at a time) gets a :class:`ProcessFlusher`; the handler signals it as it signals the
extension, and it flushes while the process already serves its next request.

No extension is registered from a worker process at all: an extension that exits (as it would with
a crashing worker) marks the whole environment unhealthy.

This module also holds what both exporting threads share (the internal extension of
:mod:`lambda_otel_lite._extension` is the other one): the :class:`Hooks` they are given, the
handler-complete signals and the :class:`CompletionThread` base. ``extension`` imports it, never
the other way round.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable

    from lambda_otel_lite import _config

EXTENSION_THREAD_NAME = "lambda-otel-lite-extension"
THREAD_NAME = "lambda-otel-lite-flusher"


def _nothing_running() -> int:
    return 0


def _not_running(request_id: object) -> bool:
    return False


class Hooks(NamedTuple):
    """What the extension thread, the process flusher and the SIGTERM flush call, given by ``telemetry``.

    These modules never import ``telemetry``, ``invocation`` or ``records`` (as the SDK's batch
    processor knows only its exporter): ``telemetry`` builds the hooks over its state and hands them
    over when it starts a mode.
    """

    provider: Callable[[], object]
    """The active tracer provider (None before ``init_telemetry``)."""
    flush: Callable[[object], None]
    """Flush one provider; logs a failure once, never raises."""
    fell_back: Callable[[object], bool]
    """The thread (the argument) is gone: export inline, in sync mode, from now on. False when it
    was no longer the process's thread (a later init replaced it): nothing changes then."""
    end_running: Callable[[], object] = _nothing_running
    """End every invocation still running, as cut short (``invocation.end_running``): the SIGTERM
    flush calls it before it flushes."""
    running: Callable[[object], bool] = _not_running
    """Whether an instrumented invocation of this request id is running (``invocation.is_running``)."""


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

    thread_name = EXTENSION_THREAD_NAME
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


class ProcessFlusher(CompletionThread):
    """The async mode's exporting thread, without the Extensions API.

    Thread rules: handler threads call :meth:`handler_complete`; the flusher thread alone waits.
    """

    thread_name = THREAD_NAME
    role = "flusher"

    def _run(self) -> None:
        try:
            while True:
                providers = self.completions.take_all()
                self._flush_each(providers)
                self.invocations += len(providers)
        except BaseException as exc:  # the thread must never die silently
            self._die(exc)
