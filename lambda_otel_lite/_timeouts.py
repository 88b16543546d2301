"""Timeouts: an invocation still running close to its deadline is ended, marked and exported.

Lambda stops a timed-out function without waiting: SIGKILL at the deadline in sync mode (no
extension is registered, so no SIGTERM), and the SIGTERM of the reset that follows the timeout in
async and finalize modes. Either way the invocation span would never end and its spans would never
leave the process. So:

- every instrumented invocation that knows its deadline (``context.get_remaining_time_in_millis()``)
  is *armed* on the :class:`Watchdog` when it starts and *disarmed* when it returns: a dict store
  and a dict pop on the hot path, nothing else;
- one daemon thread waits for the earliest armed deadline less the margin
  (``LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS``) and then calls :func:`time_out`: the spans still open in
  the invocation's trace end with status ERROR, marked as cut short, the invocation span ends with
  status ERROR and ``error.type`` ``timeout``, and the spans go out through the processing mode;
- the SIGTERM flush does the same for whatever invocation is still running before it flushes.

:class:`OpenSpans` is the span processor that knows which spans are still open. The invocation's
``claim_finish`` decides the race between the watchdog and a handler that returns inside the
margin after all: whoever claims first ends the invocation, so nothing is exported twice.
"""

from __future__ import annotations

import logging
import math
import operator
import threading
import time
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import Status, StatusCode

from lambda_otel_lite import _config
from lambda_otel_lite._log import OnceLogger

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import ReadableSpan, Span

    from lambda_otel_lite.invocation import Invocation

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)

THREAD_NAME = "lambda-otel-lite-watchdog"
ERROR_TYPE = "error.type"
TIMEOUT = "timeout"
WAKE_SLACK_SECONDS = 0.01
"""An arm wakes the sleeping thread only for a moment this much earlier than the one it sleeps until.

Deadlines come in whole milliseconds, so consecutive invocations a millisecond apart can have
moments a hair out of order; waking the thread for those would cost every warm invocation a thread
switch. At worst the watchdog fires this much later, inside the margin."""


class OpenSpans(SpanProcessor):
    """Knows the spans started and not yet ended, so a timeout can end them.

    Thread rules: ``on_start`` and ``on_end`` run in any thread; a dict store and pop are atomic.
    """

    def __init__(self) -> None:
        self._open: dict[int, Span] = {}

    def attach(self, processors: list[SpanProcessor]) -> SpanProcessor | None:
        """Let the first ``LambdaSpanProcessor`` of *processors* keep the open spans; else return self to add."""
        from lambda_otel_lite.processor import LambdaSpanProcessor

        for processor in processors:
            if isinstance(processor, LambdaSpanProcessor):
                processor.open_spans = self._open
                return None
        return self

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if len(self._open) < _config.MAX_OPEN_SPANS:
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
    """

    def __init__(self) -> None:
        self._armed: dict[Invocation, float] = {}
        self._wake = threading.Lock()
        self._wake.acquire()
        self._sleeping_until = 0.0  # 0: no thread yet; inf: no moment
        self._latest = 0.0  # the latest moment ever armed
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.fired = 0

    def arm(self, invocation: Invocation, at: float = math.inf) -> None:
        """Time out *invocation* at monotonic time *at* unless it is disarmed first.

        With no *at*, the invocation is only known to be running (for the SIGTERM path).
        """
        self._armed[invocation] = at
        if at == math.inf:
            return
        if at > self._latest:
            self._latest = at  # the idle thread sleeps until this: later arms need not wake it
        if at < self._sleeping_until - WAKE_SLACK_SECONDS:
            try:  # noqa: SIM105  (a try costs nothing on this path; contextlib.suppress does)
                self._wake.release()
            except RuntimeError:  # a wake-up is pending already
                pass
        elif self._thread is None:
            self._start()

    def disarm(self, invocation: Invocation) -> None:
        self._armed.pop(invocation, None)

    def running(self) -> list[Invocation]:
        """The invocations armed now."""
        return list(self._armed)

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        armed = self._armed
        while True:
            self._sleeping_until = math.inf
            try:
                invocation, at = min(armed.items(), key=operator.itemgetter(1))
            except ValueError:
                # Nothing armed. Sleep until the latest moment ever armed if it is still ahead: an arm
                # for a later moment (every next invocation's deadline is later) then wakes nothing.
                latest = self._latest
                remaining = latest - time.monotonic()
                if remaining > 0:
                    self._sleeping_until = latest
                    self._wake.acquire(timeout=min(remaining, threading.TIMEOUT_MAX))
                else:
                    self._wake.acquire()  # until an arm wakes us
                continue
            self._sleeping_until = at
            remaining = at - time.monotonic()
            if remaining > 0:
                self._wake.acquire(timeout=min(remaining, threading.TIMEOUT_MAX))
                continue
            if armed.pop(invocation, None) is not None:
                self.fired += 1
                try:
                    time_out(invocation, _description(invocation))
                except Exception:
                    _once.warning(
                        "time-out-failed",
                        "lambda-otel-lite: timing out invocation %s failed",
                        invocation.request_id,
                        exc_info=True,
                    )


WATCHDOG = Watchdog()


def _description(invocation: Invocation) -> str:
    if invocation.margin_ms:
        return f"Timeout: the invocation was still running {invocation.margin_ms} ms before its deadline"
    return "Timeout: the invocation was still running at its deadline"


def arm(invocation: Invocation, lambda_context: Any, margin_ms: int) -> None:
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


def time_out(invocation: Invocation, description: str, *, error_type: str = TIMEOUT, export: bool = True) -> bool:
    """End *invocation* as cut short by *description*, with the spans still open in it; export unless told not to.

    False when the invocation had ended already (it returned, or was timed out before).
    """
    from lambda_otel_lite.telemetry import STATE

    if not invocation.claim_finish():
        return False
    WATCHDOG.disarm(invocation)
    if invocation.record_spans:  # those already left end as they were; the open ones are cut short below
        from lambda_otel_lite.records import finish_records

        finish_records(invocation, None, timed_out=True)
    span = invocation.span
    ended = time.time_ns()
    trace_id = span.get_span_context().trace_id
    for child in OPEN_SPANS.take(trace_id, span):
        try:
            child.set_attribute(ERROR_TYPE, error_type)
            child.set_status(Status(StatusCode.ERROR, f"Cut short: the invocation ended ({error_type}) first"))
            child.end(ended)
        except Exception:
            _once.warning("cut-short", "Ending a span cut short by the timeout raised", exc_info=True)
    try:
        span.set_attribute(ERROR_TYPE, error_type)
        span.set_status(Status(StatusCode.ERROR, description))
        span.end(ended)
    except Exception:
        _once.warning("timeout-end", "Ending the timed-out invocation span raised", exc_info=True)
    logger.warning(
        "lambda-otel-lite: invocation %s: %s; its spans are exported now", invocation.request_id, description
    )
    if export and invocation.outer is None:
        if STATE.mode is _config.ProcessorMode.FINALIZE:
            STATE.flush(invocation.provider)
        else:
            STATE.complete_invocation(invocation.provider, invocation.request_id)
    return True


def time_out_running(shutting_down: bool) -> int:
    """End every invocation still running (the SIGTERM path: it flushes right after); how many were."""
    count = 0
    now = time.monotonic()
    for invocation in WATCHDOG.running():
        deadline = invocation.deadline
        if deadline is not None and now >= deadline - invocation.margin_ms / 1000:
            description, error_type = _description(invocation), TIMEOUT
        elif shutting_down:
            description = "Shutdown: Lambda stopped the environment (SIGTERM) while the invocation was running"
            error_type = "shutdown"
        else:
            continue
        count += time_out(invocation, description, error_type=error_type, export=False)
    return count
