"""Timeouts: an invocation still running close to its deadline is ended, marked and exported.

Lambda stops a timed-out function without waiting: SIGKILL at the deadline in sync mode (no
extension is registered, so no SIGTERM), and the SIGTERM of the reset that follows the timeout in
async and finalize modes. Either way the invocation span would never end and its spans would never
leave the process. So:

- every instrumented invocation that knows its deadline (``context.get_remaining_time_in_millis()``)
  is *armed* on the :class:`Watchdog` when it starts and *disarmed* when it returns: a dict store
  and a dict pop on the hot path, nothing else;
- one daemon thread waits for the earliest armed deadline less the margin
  (``LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS``) and then calls the invocation's own ``time_out``
  (``invocation.Invocation.time_out``: the one way an invocation ends, also taken by the handler's
  return and the SIGTERM flush): the spans still open in the invocation's trace end with status
  ERROR, marked as cut short, the invocation span ends with status ERROR and ``error.type``
  ``timeout``, and the spans go out through the processing mode.

:class:`OpenSpans` is the span processor that knows which spans are still open; each provider
``init_telemetry`` builds has its own. This module is a low layer: it imports nothing above
``processor``, and reaches invocations only through the objects armed on it.
"""

from __future__ import annotations

import logging
import math
import operator
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

from opentelemetry.sdk.trace import SpanProcessor

from lambda_otel_lite import _config, _resets
from lambda_otel_lite._log import InternalErrors, OnceLogger
from lambda_otel_lite.processor import MAX_OPEN_SPANS, LambdaSpanProcessor

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import ReadableSpan, Span

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)
_LOOP = InternalErrors(_once, "watchdog-died", "the timeout watchdog's thread failed; it is restarted")
_TIME_OUT = InternalErrors(_once, "time-out-failed", "timing out an invocation failed")

THREAD_NAME = "lambda-otel-lite-watchdog"
TIMEOUT = "timeout"
WAKE_SLACK_SECONDS = 0.01
"""An arm wakes the sleeping thread only for a moment this much earlier than the one it sleeps until.

Deadlines come in whole milliseconds, so consecutive invocations a millisecond apart can have
moments a hair out of order; waking the thread for those would cost every warm invocation a thread
switch. At worst the watchdog fires this much later, inside the margin."""
MAX_RESTARTS = 3
"""How often a watchdog thread that died restarts at once for the invocations still armed; after
that, the next ``arm`` starts a thread (a bug that fails every time cannot spin)."""


class Armed(Protocol):
    """What the watchdog knows of an invocation (``invocation.Invocation``): its margin, its deadline,
    and how to end it as timed out."""

    margin_ms: int
    deadline: float | None
    request_id: str | None

    def time_out(self, description: str) -> bool: ...


class OpenSpans(SpanProcessor):
    """Knows the spans started and not yet ended, so a timeout can end them. One per provider.

    Thread rules: ``on_start`` and ``on_end`` run in any thread; a dict store and pop are atomic.
    """

    def __init__(self) -> None:
        self._open: dict[int, Span] = {}

    def attach(self, processors: list[SpanProcessor]) -> SpanProcessor | None:
        """Let the first ``LambdaSpanProcessor`` of *processors* keep the open spans; else return self to add."""
        for processor in processors:
            if isinstance(processor, LambdaSpanProcessor):
                processor.open_spans = self._open
                return None
        return self

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if len(self._open) < MAX_OPEN_SPANS:
            self._open[span.context.span_id] = span

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is not None:
            self._open.pop(context.span_id, None)

    def take(self, trace_id: int, keep: object) -> list[Span]:
        """The open spans of *trace_id* other than *keep*, oldest first, no longer tracked."""
        found = [span for span in list(self._open.values()) if span.context.trace_id == trace_id and span is not keep]
        for span in found:
            self._open.pop(span.context.span_id, None)
        found.sort(key=lambda span: span.start_time or 0)
        return found

    def shutdown(self) -> None:
        self._open.clear()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


OPEN_SPANS = OpenSpans()


class Watchdog:
    """One daemon thread that times out the armed invocations whose moment came.

    Thread rules: ``arm`` and ``disarm`` run in handler threads. ``arm`` wakes the thread only when
    it sleeps past the new moment (or has no moment at all). With nothing armed the thread sleeps
    until the latest moment ever armed, and consecutive invocations have later and later deadlines,
    so a warm invocation wakes nothing: the thread wakes about once per function timeout. The
    thread publishes the moment it sleeps until *before* it reads the armed invocations, and
    ``arm`` stores before it reads that moment, so an arm is never missed.

    The thread's loop runs under the one internal-error guard: if it dies (a bug), the failure is
    logged once and a new thread takes over the armed invocations. Each thread has its own wake-up
    lock; :meth:`reset` retires the thread (it exits at its next wake-up) and forgets every arm.
    """

    def __init__(self) -> None:
        self._armed: dict[Armed, float] = {}
        self._wake = threading.Lock()
        self._wake.acquire()
        self._sleeping_until = 0.0  # 0: no thread yet; inf: no moment
        self._latest = 0.0  # the latest moment ever armed
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.fired = 0
        self.restarts = 0

    def arm(self, invocation: Armed, at: float = math.inf) -> None:
        """Time out *invocation* at monotonic time *at* unless it is disarmed first.

        With no *at*, the invocation is only known to be running (for the SIGTERM path).
        """
        self._armed[invocation] = at
        if at == math.inf:
            return
        if at > self._latest:
            self._latest = at  # the idle thread sleeps until this: later arms need not wake it
        if self._thread is None:  # the first arm, or after a reset or the thread's death
            self._start()
        elif at < self._sleeping_until - WAKE_SLACK_SECONDS:
            try:  # noqa: SIM105  (a try costs nothing on this path; contextlib.suppress does)
                self._wake.release()
            except RuntimeError:  # a wake-up is pending already
                pass

    def disarm(self, invocation: Armed) -> None:
        self._armed.pop(invocation, None)

    def running(self) -> list[Armed]:
        """The invocations armed now."""
        return list(self._armed)

    def reset(self) -> None:
        """Forget every arm and retire the thread, as in a fresh process. Tests only."""
        with self._start_lock:
            self._armed.clear()
            retired, self._wake = self._wake, threading.Lock()
            self._wake.acquire()
            self._thread = None
            self._sleeping_until = self._latest = 0.0
            self.fired = self.restarts = 0
        try:  # noqa: SIM105
            retired.release()  # the retired thread wakes, sees it is not the watchdog's any more, and exits
        except RuntimeError:
            pass

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = thread = threading.Thread(
                    target=self._run, args=(self._wake,), name=THREAD_NAME, daemon=True
                )
                thread.start()

    def _run(self, wake: threading.Lock) -> None:
        me = threading.current_thread()
        try:
            with _LOOP:
                self._loop(me, wake)
        finally:
            with self._start_lock:
                died = self._thread is me
                if died:  # not retired by reset(): the loop failed
                    self._thread = None
                    self._sleeping_until = 0.0  # no thread: the next arm starts one
            if died and self._armed and self.restarts < MAX_RESTARTS:
                self.restarts += 1
                self._start()

    @staticmethod
    def _next(armed: dict[Armed, float]) -> tuple[Armed, float] | None:
        """The armed invocation with the earliest moment, and that moment; None when nothing is armed."""
        try:
            return min(armed.items(), key=operator.itemgetter(1))
        except ValueError:
            return None

    def _loop(self, me: threading.Thread, wake: threading.Lock) -> None:
        armed = self._armed
        while self._thread is me:
            self._sleeping_until = math.inf
            earliest = self._next(armed)
            if earliest is None:
                # Nothing armed. Sleep until the latest moment ever armed if it is still ahead: an arm
                # for a later moment (every next invocation's deadline is later) then wakes nothing.
                latest = self._latest
                remaining = latest - time.monotonic()
                if remaining > 0:
                    self._sleeping_until = latest
                    wake.acquire(timeout=min(remaining, threading.TIMEOUT_MAX))
                else:
                    wake.acquire()  # until an arm wakes us
                continue
            invocation, at = earliest
            self._sleeping_until = at
            remaining = at - time.monotonic()
            if remaining > 0:
                wake.acquire(timeout=min(remaining, threading.TIMEOUT_MAX))
                continue
            if armed.pop(invocation, None) is not None:
                self.fired += 1
                with _TIME_OUT:
                    invocation.time_out(description(invocation))


WATCHDOG = Watchdog()
_resets.register(WATCHDOG.reset)


def description(invocation: Armed) -> str:
    """The status description of *invocation*'s timeout."""
    if invocation.margin_ms:
        return f"Timeout: the invocation was still running {invocation.margin_ms} ms before its deadline"
    return "Timeout: the invocation was still running at its deadline"


def arm(invocation: Armed, lambda_context: Any, margin_ms: int) -> None:
    """Arm the watchdog for *invocation* from its Lambda context's remaining time, if it has one.

    Without a deadline (no Lambda context) or with a margin of 0, the invocation is only made
    known as running, so that the SIGTERM path can end it.
    """
    remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
    remaining_ms = remaining() if remaining is not None else None
    if not isinstance(remaining_ms, int | float) or isinstance(remaining_ms, bool) or not remaining_ms > 0:
        # No deadline; 0 or less comes from stand-in contexts (Lambda starts no invocation past its deadline).
        WATCHDOG.arm(invocation)
        return
    now = time.monotonic()
    invocation.deadline = now + remaining_ms / 1000
    if not margin_ms:
        WATCHDOG.arm(invocation)
        return
    if margin_ms * 2 >= remaining_ms:
        clamped = int(remaining_ms // 2)
        _once.warning(
            "margin-clamped",
            "%s=%s is half or more of the %d ms this invocation has; the watchdog uses %d ms",
            _config.TIMEOUT_MARGIN_MS.name,
            margin_ms,
            remaining_ms,
            clamped,
        )
        margin_ms = clamped
    invocation.margin_ms = margin_ms
    WATCHDOG.arm(invocation, now + (remaining_ms - margin_ms) / 1000)
