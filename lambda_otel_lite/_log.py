"""Logging helpers: report a problem once, and keep our own bugs visible in our own tests.

Telemetry must never break a handler, so failures inside the library are caught and logged. Two
rules keep that from hiding problems:

- :class:`OnceLogger` logs the first occurrence of each kind of problem at WARNING and later ones at
  DEBUG, so a fault that repeats on every invocation does not flood the function's log.
- :class:`InternalErrors` is the one guard around telemetry code that runs inside user code (the
  handler's thread, the user's AWS SDK calls, the threads we start): a context manager and a
  decorator, as logfire's ``HandleInternalErrors``. An ``Exception`` raised inside it (a library
  bug, a span processor, exporter or ID generator that raises) is logged once per key with its
  traceback and swallowed, so the user's code goes on with its own result or exception; while the
  library's own test suite runs (``LAMBDA_OTEL_LITE_STRICT=1``, set by ``tests/conftest.py``) it
  re-raises, so that tests catch the bug instead of a log line hiding it. Tests that inject faults
  on purpose turn strict mode off. :func:`internal_error` is the same rule for an ``except`` block.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import weakref
from typing import TYPE_CHECKING

from lambda_otel_lite import _config, _resets

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    ExcInfo = bool | tuple[type[BaseException], BaseException, TracebackType | None]


class OnceLogger:
    """Logs each distinct *key* once at WARNING, then at DEBUG. Thread-safe."""

    __slots__ = ("__weakref__", "_lock", "_logger", "_seen")

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        _INSTANCES.add(self)

    def warning(self, key: str, msg: str, *args: object, exc_info: ExcInfo = False) -> None:
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


@_resets.register
def reset_once_loggers() -> None:
    """Forget every logged key, as in a fresh process. Tests only."""
    for instance in list(_INSTANCES):
        instance.reset()


def strict() -> bool:
    """True while the library's own tests run: internal errors re-raise."""
    return os.environ.get(_config.STRICT.name) == "1"


def internal_error(once: OnceLogger, key: str, msg: str, *args: object) -> None:
    """Report an unexpected exception raised by library code. Call from an ``except`` block.

    Logs with the traceback (once per *key*); re-raises the active exception in strict mode.
    """
    once.warning(key, "lambda-otel-lite internal error: " + msg, *args, exc_info=True)
    if strict():
        raise


class InternalErrors:
    """The one guard around telemetry code that runs inside user code, as a context manager or decorator.

    An ``Exception`` raised inside it is logged (once per *key* at WARNING, with the traceback, as
    ``lambda-otel-lite internal error: <msg>``) and swallowed; in strict mode (the library's own
    tests) it re-raises. ``BaseException`` (``KeyboardInterrupt``, ``SystemExit``) always passes.
    Build it once, at module level: entering costs two method calls and no allocation. On the warm
    invocation path, where those calls would add up, the same guard serves ``except Exception:``
    blocks through :meth:`caught` (a ``try`` costs nothing until something raises).

    Thread rules: stateless apart from the :class:`OnceLogger`, which is thread-safe; one instance
    serves every thread.

    Example:
        >>> guard = InternalErrors(OnceLogger(logging.getLogger("demo")), "demo", "the demo step failed")
        >>> import os; strict_before = os.environ.pop("LAMBDA_OTEL_LITE_STRICT", None)
        >>> with guard:
        ...     raise RuntimeError("a processor raised")
        >>> @guard
        ... def step() -> int:
        ...     raise RuntimeError("a processor raised")
        >>> step() is None
        True
        >>> if strict_before is not None: os.environ["LAMBDA_OTEL_LITE_STRICT"] = strict_before
    """

    __slots__ = ("_once", "key", "msg")

    def __init__(self, once: OnceLogger, key: str, msg: str) -> None:
        self._once = once
        self.key = key
        self.msg = msg

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        self._once.warning(
            self.key, "lambda-otel-lite internal error: " + self.msg, exc_info=(type(exc), exc, traceback)
        )
        return not strict()

    def caught(self) -> None:
        """The same guard in an ``except Exception:`` block: log once, and re-raise in strict mode.

        For the few places on the warm invocation path, where a ``with`` block costs two Python
        calls per invocation and ``try``/``except`` costs nothing until something raises.
        """
        self._once.warning(self.key, "lambda-otel-lite internal error: " + self.msg, exc_info=True)
        if strict():
            raise  # the exception being handled by the caller's except block

    def __call__[**P, R](self, func: Callable[P, R]) -> Callable[P, R | None]:
        """Guard every call of *func*: a failure gives None (after the log), or re-raises in strict mode."""

        @functools.wraps(func)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R | None:
            with self:
                return func(*args, **kwargs)
            return None

        return guarded


def guard(once: OnceLogger, key: str, msg: str) -> InternalErrors:
    """The :class:`InternalErrors` guard for *key* (build it once, at module level)."""
    return InternalErrors(once, key, msg)
