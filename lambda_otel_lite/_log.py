"""Logging helpers: report a problem once, and keep our own bugs visible in our own tests.

Telemetry must never break a handler, so failures inside the library are caught and logged. Two
rules keep that from hiding problems:

- :class:`OnceLogger` logs the first occurrence of each kind of problem at WARNING and later ones at
  DEBUG, so a fault that repeats on every invocation does not flood the function's log.
- :func:`internal_error` is for failures that can only be a bug in this library: it logs, and
  re-raises while the library's own test suite runs (``LAMBDA_OTEL_LITE_STRICT=1``, set by
  ``tests/conftest.py``) so that tests catch the bug instead of a log line hiding it.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref


class OnceLogger:
    """Logs each distinct *key* once at WARNING, then at DEBUG. Thread-safe."""

    __slots__ = ("__weakref__", "_lock", "_logger", "_seen")

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        _INSTANCES.add(self)

    def warning(self, key: str, msg: str, *args: object, exc_info: bool = False) -> None:
        with self._lock:
            first = key not in self._seen
            self._seen.add(key)
        level = logging.WARNING if first else logging.DEBUG
        self._logger.log(level, msg, *args, exc_info=exc_info)

    def reset(self, key: str | None = None) -> None:
        """Forget *key* (or every key) so that its next occurrence is logged at WARNING again."""
        with self._lock:
            if key is None:
                self._seen.clear()
            else:
                self._seen.discard(key)


_INSTANCES: weakref.WeakSet[OnceLogger] = weakref.WeakSet()


def reset_once_loggers() -> None:
    """Forget every logged key, as in a fresh process. Tests only."""
    for instance in list(_INSTANCES):
        instance.reset()


def strict() -> bool:
    """True while the library's own tests run: internal errors re-raise."""
    return os.environ.get("LAMBDA_OTEL_LITE_STRICT") == "1"


def internal_error(once: OnceLogger, key: str, msg: str, *args: object) -> None:
    """Report an unexpected exception raised by library code. Call from an ``except`` block.

    Logs with the traceback (once per *key*); re-raises the active exception in strict mode.
    """
    once.warning(key, "lambda-otel-lite internal error: " + msg, *args, exc_info=True)
    if strict():
        raise
