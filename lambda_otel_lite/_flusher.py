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

import logging
import threading

from lambda_otel_lite import _config
from lambda_otel_lite.extension import Hooks, _Completions

logger = logging.getLogger(__name__)
THREAD_NAME = "lambda-otel-lite-flusher"


class ProcessFlusher:
    """The async mode's exporting thread, without the Extensions API.

    Thread rules: handler threads call :meth:`handler_complete`; the flusher thread alone waits.
    """

    def __init__(self, hooks: Hooks, mode: _config.ProcessorMode = _config.ProcessorMode.ASYNC) -> None:
        self.hooks = hooks
        self.mode = mode
        self.completions = _Completions()
        self.thread: threading.Thread | None = None
        self.alive = False
        self.invocations = 0

    def start(self) -> None:
        self.alive = True
        self.thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self.thread.start()

    def handler_complete(self, request_id: str | None, provider: object) -> bool:
        """Signal the end of an invocation; False when the thread is gone (flush inline instead)."""
        if not self.alive:
            return False
        self.completions.complete(request_id, provider)
        return True

    def _run(self) -> None:
        hooks = self.hooks
        try:
            while True:
                flushed: list[object] = []
                for provider in self.completions.take_all():
                    target = provider if provider is not None else hooks.provider()
                    if not any(target is done for done in flushed):
                        hooks.flush(target)
                        flushed.append(target)
                    self.invocations += 1
        except BaseException as exc:  # the thread must never die silently
            self.alive = False
            hooks.fell_back(self)
            logger.warning(
                "The lambda-otel-lite flusher thread failed (%s: %s); spans are exported in sync mode from now on",
                type(exc).__name__,
                exc,
            )
            hooks.flush(hooks.provider())
