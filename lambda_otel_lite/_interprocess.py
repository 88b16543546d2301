"""Whole telemetry lines on a stdout that several processes share (Lambda Managed Instances).

On Managed Instances the worker processes of one environment may write to one stdout. A record is
one ``write()``, but a pipe keeps a write whole only up to ``PIPE_BUF`` (4 KiB on Linux); a record
of up to 256 KB written at the same time as another process's can come out interleaved with it,
and then neither line decodes. :class:`StdoutLock` makes the writers of telemetry take turns: an
exclusive ``flock`` on a file in ``/tmp`` (which the processes of an environment share) around the
write and the flush. It costs two system calls per record, and exists only on Managed Instances.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys

from lambda_otel_lite import _config
from lambda_otel_lite._log import OnceLogger

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)

LOCK_PATH = "/tmp/lambda-otel-lite-stdout.lock"  # shared on purpose: every process of the environment opens it


class StdoutLock:
    """An inter-process lock around writes of whole records to ``sys.stdout``."""

    def __init__(self, path: str = LOCK_PATH) -> None:
        self.path = path
        self._fd: int | None = None
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            _once.warning(
                "stdout-lock",
                "Managed Instances: cannot open %s (%s); telemetry lines of concurrent processes may interleave",
                path,
                exc,
            )

    def write(self, text: str) -> None:
        """Write *text* and flush, holding the lock (without one: just write)."""
        fd = self._fd
        if fd is None:
            sys.stdout.write(text)
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def shared_stdout_lock() -> StdoutLock | None:
    """The lock, on Managed Instances (``AWS_LAMBDA_INITIALIZATION_TYPE``); None elsewhere."""
    if not _config.managed_instances_environment():
        return None
    return StdoutLock()
