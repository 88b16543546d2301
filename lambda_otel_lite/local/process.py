"""The function's process: spawned in its own group, its output read into the log, frozen, thawed, killed.

An exit-watcher thread waits for the process and wakes every waiter on the environment's
condition the moment it exits, so nobody polls for it.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import threading
from typing import TYPE_CHECKING, Any, Protocol

from lambda_otel_lite.local.model import LocalRuntimeError

if TYPE_CHECKING:
    from pathlib import Path


class Environment(Protocol):
    """What the process needs of its environment: the condition its waiters wait on (re-entrant) and the log."""

    @property
    def condition(self) -> threading.Condition: ...

    def log(self, kind: str, **detail: Any) -> None: ...


class FunctionProcess:
    """``python -m awslambdaric HANDLER`` in a process group of its own.

    Thread rules: one owner thread; the output reader and the exit watcher are its own threads.
    """

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], environment: Environment) -> None:
        self.environment = environment
        try:
            self.popen = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group: freeze and kill take every thread
            )
        except OSError as exc:
            raise LocalRuntimeError(f"cannot start {argv[0]} {' '.join(argv[1:3])}: {exc}") from exc
        self.frozen = False
        self.exited = threading.Event()
        self.streams = _Streams(environment, self.popen)
        threading.Thread(target=self._watch_exit, name="local-lambda-exit", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self) -> int | None:
        return self.popen.poll()

    def _watch_exit(self) -> None:
        self.popen.wait()
        self.exited.set()
        with self.environment.condition:
            self.environment.condition.notify_all()

    def signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def freeze(self) -> None:
        self.signal_group(signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> bool:
        """SIGCONT if frozen; whether it was."""
        if not self.frozen:
            return False
        self.signal_group(signal.SIGCONT)
        self.frozen = False
        return True

    def terminate(self, grace: float) -> bool:
        """SIGTERM, then up to *grace* seconds for the process to end; whether it ended."""
        with contextlib.suppress(ProcessLookupError):
            self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill(self) -> int | None:
        """SIGKILL the group, read what is left of its output; the exit code."""
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)
        self.streams.close()
        return self.popen.returncode


class _Streams:
    """Reads the function's stdout and stderr into the event log; ``drain()`` catches up synchronously."""

    def __init__(self, environment: Environment, process: subprocess.Popen[bytes]) -> None:
        self._environment = environment
        self._process = process
        # The environment's (re-entrant) lock: lines are logged under the lock that orders the
        # dispatch and completion entries, so a drain() from there cannot deadlock with this thread.
        self._lock = environment.condition
        assert process.stdout is not None
        assert process.stderr is not None
        self._fds = {process.stdout.fileno(): "stdout", process.stderr.fileno(): "stderr"}
        self._partial = {"stdout": b"", "stderr": b""}
        for fd in self._fds:
            os.set_blocking(fd, False)
        self._thread = threading.Thread(target=self._run, name="local-lambda-streams", daemon=True)
        self._thread.start()

    def _read_available(self, timeout: float | None) -> bool:
        """Read what is there now (after up to *timeout* seconds); False once both streams ended."""
        open_fds = list(self._fds)
        if not open_fds:
            return False
        ready, _, _ = select.select(open_fds, [], [], timeout)
        with self._lock:
            for fd in ready:
                name = self._fds.get(fd)
                if name is None:
                    continue
                try:
                    chunk = os.read(fd, 1 << 16)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    del self._fds[fd]
                    if self._partial[name]:
                        self._environment.log(name, line=self._partial[name].decode(errors="replace"))
                        self._partial[name] = b""
                    continue
                data = self._partial[name] + chunk
                *lines, self._partial[name] = data.split(b"\n")
                for line in lines:
                    self._environment.log(name, line=line.decode(errors="replace"))
        return bool(self._fds)

    def _run(self) -> None:
        while self._read_available(None):
            pass

    def drain(self) -> None:
        """Log every line the function has written so far."""
        while True:
            with self._lock:
                fds = list(self._fds)
            if not fds:
                return
            ready, _, _ = select.select(fds, [], [], 0)
            if not ready:
                return
            self._read_available(0)

    def wait_ended(self, timeout: float) -> None:
        """Up to *timeout* seconds for both streams to end (every process holding them has exited)."""
        self._thread.join(timeout)

    def close(self, timeout: float = 2.0) -> None:
        """After the process ended: read what is left, then close the pipes."""
        self._thread.join(timeout)
        self.drain()
        with self._lock:
            self._fds.clear()
        for stream in (self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()
