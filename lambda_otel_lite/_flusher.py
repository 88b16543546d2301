"""Async mode where nothing is frozen (Lambda Managed Instances): a thread of the process exports after each invocation.

On Managed Instances the Extensions API refuses ``INVOKE`` subscriptions and Lambda never freezes
an environment, so the internal extension has nothing to do that a plain thread cannot: spans
queued after the response cannot be stranded in a frozen process. Each worker process (one
request at a time) gets a :class:`ProcessFlusher`; the handler signals it as it signals the
extension, and it flushes while the process already serves its next request.

No extension is registered from a worker process at all: an extension that exits (as it would with
a crashing worker) marks the whole environment unhealthy.
"""

from __future__ import annotations

from lambda_otel_lite.extension import CompletionThread

THREAD_NAME = "lambda-otel-lite-flusher"


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
