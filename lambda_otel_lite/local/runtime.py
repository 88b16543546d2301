"""A local Lambda: the Runtime and Extensions APIs on 127.0.0.1, and a function process under ``awslambdaric``.

:class:`LocalRuntime` plays the part of the Lambda service for one execution environment, with the
rules of the platform that decide when telemetry is safe:

- **Init**: the function runs in its own process group as ``python -m awslambdaric HANDLER`` with
  Lambda's environment variables; init ends at the runtime's first ``/runtime/invocation/next``.
- **SnapStart** (``snap_start``): init ends at ``/runtime/restore/next`` instead, where the process
  is frozen as the snapshot; the first invocation restores it: the call returns, the runtime runs
  its after-restore hooks (``/runtime/restore/error`` reports a failed one), then ``/next``.
- **Registration window**: extensions may register until that first ``/next``; later ones get 403
  ``Extension.RegistrationClosed``. Every extension here is internal (a thread of the function
  process), so subscribing to SHUTDOWN gets 403 ``Extension.InvalidEventType``.
- **Dispatch barrier**: an invocation is dispatched only when the runtime and every extension
  subscribed to INVOKE wait in their ``/next``. The caller gets the response as soon as the runtime
  posts it; the invocation is *complete* when the runtime and those extensions are back in ``/next``.
- **Freeze**: once complete, the function's process group is stopped (SIGSTOP) until the next
  invocation (SIGCONT), as Lambda freezes an idle environment.
- **Timeout**: no response by the deadline resets the environment: SIGTERM and the 500 ms grace
  period when an extension registered, then SIGKILL (at once without one); the next invocation
  starts a new environment (a new init).
- **Shutdown**: SIGTERM reaches the runtime only when at least one extension registered, followed by
  SIGKILL after the 500 ms grace period (only internal extensions here); without one, SIGKILL at once.

Every step lands in :attr:`LocalRuntime.events`, a list of :class:`LogEntry` with monotonic
timestamps, together with each line the function writes to stdout and stderr. Lines the function
wrote before a dispatch or a completion are always logged before it (the pipe is drained first), so
tests can ask "were the spans of invocation N on stdout before invocation N+1 was dispatched?".
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RUNTIME_PREFIX = "/2018-06-01/runtime"
EXTENSION_PREFIX = "/2020-01-01/extension"
GRACE_SECONDS = 0.5
"""SIGTERM to SIGKILL when only internal extensions are registered."""
ACCOUNT_ID = "123456789012"


class LocalRuntimeError(Exception):
    """The function could not be started or initialised, or a call to the local runtime failed."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One thing that happened: ``kind`` is e.g. ``dispatch``, ``response``, ``complete``, ``stdout``."""

    time_ns: int
    kind: str
    detail: dict[str, Any] = field(default_factory=dict[str, Any])


@dataclass(slots=True)
class Invocation:
    """One invocation: its request id, event, and what became of it."""

    number: int
    request_id: str
    event: bytes
    deadline_ms: int
    dispatched_ns: int = 0
    response: bytes | None = None
    error: dict[str, Any] | None = None
    responded_ns: int = 0
    completed_ns: int = 0
    timed_out: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    complete: threading.Event = field(default_factory=threading.Event)

    @property
    def extension_overhead_ms(self) -> float | None:
        """How long extensions ran after the response, or None while the invocation is not complete."""
        if not self.completed_ns or not self.responded_ns:
            return None
        return (self.completed_ns - self.responded_ns) / 1e6

    def response_json(self) -> Any:
        return json.loads(self.response) if self.response is not None else None


@dataclass(slots=True)
class _Extension:
    name: str
    events: list[str]
    waiting: bool = False
    ready: bool = False
    """Called /next at least once: done with its init."""
    pending: Invocation | None = None
    exited: bool = False


class _Streams:
    """Reads the function's stdout and stderr into the event log; ``drain()`` catches up synchronously."""

    def __init__(self, runtime: LocalRuntime, process: subprocess.Popen[bytes]) -> None:
        self._runtime = runtime
        self._process = process
        # The runtime's own (re-entrant) lock: lines are logged under the lock that orders the
        # dispatch and completion entries, so a drain() from there cannot deadlock with this thread.
        self._lock = runtime._condition
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
                        self._runtime.log(name, line=self._partial[name].decode(errors="replace"))
                        self._partial[name] = b""
                    continue
                data = self._partial[name] + chunk
                *lines, self._partial[name] = data.split(b"\n")
                for line in lines:
                    self._runtime.log(name, line=line.decode(errors="replace"))
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

    def close(self, timeout: float = 2.0) -> None:
        """After the process ended: read what is left, then close the pipes."""
        self._thread.join(timeout)
        self.drain()
        with self._lock:
            self._fds.clear()
        for stream in (self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()


class LocalRuntime:
    """One local Lambda execution environment running *handler* under ``awslambdaric``.

    Args:
        handler: ``module.function`` (importable from *task_root*) or ``path/to/file.py:function``.
        env: Extra environment variables for the function; a ``None`` value removes a variable.
        timeout: The function timeout in seconds.
        freeze: Stop the function's process group between invocations, as Lambda does.
        function_name: ``AWS_LAMBDA_FUNCTION_NAME``; defaults to the handler's module name.
        python: The interpreter that runs ``awslambdaric``.
        drop_extension_next_after: Fault injection: close the connection of an extension's
            ``/event/next`` once this many invocations completed (a dying Extensions API).
        snap_start: Run the function as a SnapStart version (``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``,
            also implied by that variable in *env*): init ends at ``/runtime/restore/next``, where
            the environment is frozen as a snapshot; the first invocation restores it (the runtime's
            ``/runtime/restore/next`` returns and it runs its after-restore hooks) before dispatch.
        xray_tracing: X-Ray active tracing: each invocation's ``Lambda-Runtime-Trace-Id`` says
            ``Sampled=1`` (else ``Sampled=0``, as with tracing off); it names a segment either way.

    Thread rules: one instance per environment; ``invoke`` and ``shutdown`` from one thread.

    Example:
        >>> order = json.loads(Path("examples/quickstart/event.json").read_text())
        >>> with LocalRuntime("examples/quickstart/handler.py:handler") as runtime:
        ...     invocation = runtime.invoke(order)
        >>> invocation.response_json()["statusCode"]
        200
    """

    def __init__(
        self,
        handler: str,
        *,
        env: dict[str, str | None] | None = None,
        timeout: float = 30.0,
        init_timeout: float = 30.0,
        freeze: bool = True,
        function_name: str | None = None,
        python: str = sys.executable,
        drop_extension_next_after: int | None = None,
        snap_start: bool = False,
        xray_tracing: bool = False,
    ) -> None:
        self.task_root, self.handler = _split_handler(handler)
        self.function_name = function_name or self.handler.rsplit(".", 1)[0].replace(".", "-")
        self.user_env = dict(env or {})
        self.timeout = timeout
        self.init_timeout = init_timeout
        self.freeze = freeze
        self.python = python
        self.drop_extension_next_after = drop_extension_next_after
        self.snap_start = snap_start or (env or {}).get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"
        self.xray_tracing = xray_tracing
        self.region = (env or {}).get("AWS_REGION") or "us-east-1"
        self.function_arn = f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"

        self.events: list[LogEntry] = []
        self.invocations: list[Invocation] = []
        self.exit_code: int | None = None
        self._condition = threading.Condition()
        self._numbers = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._streams: _Streams | None = None
        self._reset_environment_state()

    # --- the event log ----------------------------------------------------------------------

    def log(self, kind: str, **detail: Any) -> None:
        with self._condition:
            self.events.append(LogEntry(time.monotonic_ns(), kind, detail))
            self._condition.notify_all()

    def wait_for(self, kind: str, timeout: float = 10.0) -> LogEntry:
        """The first logged entry of *kind*, waiting up to *timeout* seconds for it."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for entry in self.events:
                    if entry.kind == kind:
                        return entry
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LocalRuntimeError(f"no {kind!r} event within {timeout:g} s")
                self._condition.wait(remaining)

    def stdout_lines(self) -> list[str]:
        """Every line the function wrote to stdout, in order."""
        return [entry.detail["line"] for entry in self.events if entry.kind == "stdout"]

    # --- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> LocalRuntime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    @property
    def address(self) -> str:
        if self._server is None:
            raise LocalRuntimeError("the local runtime is not started")
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the API server (once) and the function; return when its init phase is over."""
        if self._server is None:
            self._server = _Server(("127.0.0.1", 0), _handler_class(self))
            self._server.daemon_threads = True
            threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name="local-lambda-api", daemon=True
            ).start()
            self.log("server", address=self.address)
        self._spawn()

    def _reset_environment_state(self) -> None:
        self.registration_open = True
        self.extensions: dict[str, _Extension] = {}
        self.runtime_waiting = False
        self.runtime_pending: Invocation | None = None
        self.current: Invocation | None = None
        self.init_error: dict[str, Any] | None = None
        self.initialised = False
        self.frozen = False
        self.completed_count = 0
        self.snapshot_taken = False
        self.restore_requested = False
        self.restore_error: dict[str, Any] | None = None
        self.restore_error_type: str | None = None

    def _function_env(self) -> dict[str, str]:
        return function_environment(
            self.address,
            self.function_name,
            self.region,
            self.task_root,
            self.handler,
            self.user_env,
            "snap-start" if self.snap_start else "on-demand",
        )

    def _spawn(self) -> None:
        with self._condition:
            self._reset_environment_state()
        try:
            self._process = subprocess.Popen(
                [self.python, "-m", "awslambdaric", self.handler],
                cwd=self.task_root,
                env=self._function_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group: freeze and kill take every thread
            )
        except OSError as exc:
            raise LocalRuntimeError(f"cannot start {self.python} -m awslambdaric: {exc}") from exc
        self._streams = _Streams(self, self._process)
        self.log("init-start", pid=self._process.pid, handler=self.handler)
        deadline = time.monotonic() + self.init_timeout
        with self._condition:
            while not self.initialised and self.init_error is None:
                if self._process.poll() is not None:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._condition.wait(min(remaining, 0.1))
        if not self.initialised:
            code = self._process.poll()
            self._kill()
            reason = (
                f"init error {json.dumps(self.init_error)}"
                if self.init_error
                else f"exited with {code}"
                if code is not None
                else f"no /next within {self.init_timeout:g} s"
            )
            raise LocalRuntimeError(f"the function {self.handler!r} failed to initialise: {reason}")
        self.log("init-done", extensions=[e.name for e in self.extensions.values()])
        if self.snapshot_taken and self.freeze:
            self._signal_group(signal.SIGSTOP)  # the snapshot: nothing runs until the restore
            self.frozen = True
            self.log("snapshot")

    def _signal_group(self, sig: signal.Signals) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, sig)

    def _thaw(self) -> None:
        if self.frozen:
            self._signal_group(signal.SIGCONT)
            self.frozen = False
            self.log("thaw")

    def _kill(self) -> None:
        if self._process is None:
            return
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(5)
        if self._streams is not None:
            self._streams.close()
        self.exit_code = self._process.returncode
        self.log("exit", code=self.exit_code)

    # --- invocations --------------------------------------------------------------------------

    def invoke(self, event: Any, *, wait_complete: bool = True) -> Invocation:
        """Dispatch *event* (JSON-serialisable, or bytes) and return when the runtime responded.

        With *wait_complete*, also wait until the invocation is complete (extensions back in
        ``/next``) and the environment frozen.
        """
        if self._process is None or self._process.poll() is not None:
            self._spawn()
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        number = next(self._numbers)
        invocation = Invocation(
            number=number,
            request_id=str(uuid.uuid4()),
            event=body,
            deadline_ms=int((time.time() + self.timeout) * 1000),
        )
        self._thaw()
        if self.snapshot_taken and not self.restore_requested:
            with self._condition:
                self.restore_requested = True  # /runtime/restore/next returns: after-restore hooks run
                self._condition.notify_all()
            self.log("restore")
        with self._condition:
            barrier_deadline = time.monotonic() + self.timeout
            while not self._ready_for_dispatch():
                if self._process is None or self._process.poll() is not None:
                    if self.restore_error is not None:  # the restore failed: this invocation fails with it
                        self.invocations.append(invocation)
                        self._exited_during(invocation)
                        return invocation
                    raise LocalRuntimeError(f"the function exited ({self._process_code()}) before invocation {number}")
                remaining = barrier_deadline - time.monotonic()
                if remaining <= 0:
                    raise LocalRuntimeError("the runtime or an extension did not come back to /next")
                self._condition.wait(min(remaining, 0.1))
        if self._streams is not None:
            self._streams.drain()
        with self._condition:
            self.invocations.append(invocation)
            self.current = invocation
            invocation.dispatched_ns = time.monotonic_ns()
            self.events.append(
                LogEntry(invocation.dispatched_ns, "dispatch", {"number": number, "request_id": invocation.request_id})
            )
            self.runtime_pending = invocation
            for extension in self.extensions.values():
                if "INVOKE" in extension.events and not extension.exited:
                    extension.pending = invocation
            self._condition.notify_all()
        deadline = time.monotonic() + self.timeout
        while not invocation.done.wait(0.05):
            if self._process is not None and self._process.poll() is not None:
                self._exited_during(invocation)
                return invocation
            if time.monotonic() > deadline:
                self._timed_out(invocation)
                return invocation
        if wait_complete:
            self.wait_complete(invocation)
        return invocation

    def wait_complete(self, invocation: Invocation, timeout: float | None = None) -> bool:
        """Wait until *invocation* is complete; False if the function exited or *timeout* passed."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while not invocation.complete.wait(0.05):
            if self._process is None or self._process.poll() is not None or time.monotonic() > deadline:
                return invocation.complete.is_set()
        return True

    def _process_code(self) -> int | None:
        return self._process.poll() if self._process is not None else None

    def _ready_for_dispatch(self) -> bool:
        if not self.runtime_waiting or self.runtime_pending is not None:
            return False
        for extension in self.extensions.values():
            if extension.exited:
                continue
            if not extension.ready:
                return False  # still in its init
            if "INVOKE" in extension.events and (not extension.waiting or extension.pending is not None):
                return False
        return True

    def _exited_during(self, invocation: Invocation) -> None:
        code = self._process_code()
        invocation.error = {"errorType": "Runtime.ExitError", "errorMessage": f"the runtime exited with {code}"}
        if self.restore_error is not None:  # as Lambda answers the invocation whose restore failed
            invocation.error = {
                "errorType": self.restore_error_type or "Runtime.RestoreError",
                "errorMessage": str(self.restore_error.get("errorMessage", "")),
                "cause": self.restore_error,
            }
        if self._streams is not None:
            self._streams.close()
        self.exit_code = code
        self.log("exit", code=code, number=invocation.number)
        invocation.done.set()

    def _timed_out(self, invocation: Invocation) -> None:
        """The reset after a timeout: SIGTERM first when an extension registered (as at shutdown), then SIGKILL."""
        invocation.timed_out = True
        invocation.error = {"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {self.timeout:g} s"}
        self.log("timeout", number=invocation.number, request_id=invocation.request_id)
        process = self._process
        if process is not None and self.extensions and process.poll() is None:
            self.log("sigterm", pid=process.pid, reason="reset after the timeout")
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.log("sigkill", reason="grace period over")
        elif process is not None:
            self.log("sigkill", reason="timeout, no extension registered, so no SIGTERM")
        self._kill()
        invocation.done.set()

    def _check_complete(self) -> None:
        """Called with the lock held whenever the runtime or an extension comes back to /next."""
        invocation = self.current
        if invocation is None or not invocation.done.is_set() or invocation.complete.is_set():
            return
        if not self._ready_for_dispatch():
            return
        self.current = None
        self.completed_count += 1
        if self._streams is not None:
            self._streams.drain()
        invocation.completed_ns = time.monotonic_ns()
        self.events.append(
            LogEntry(
                invocation.completed_ns,
                "complete",
                {"number": invocation.number, "extension_overhead_ms": invocation.extension_overhead_ms},
            )
        )
        if self.freeze:
            self._signal_group(signal.SIGSTOP)
            self.frozen = True
            self.events.append(LogEntry(time.monotonic_ns(), "freeze", {}))
        invocation.complete.set()

    def shutdown(self, *, graceful: bool = True) -> int | None:
        """End the environment as Lambda does; return the function's exit code (negative: signal).

        With *graceful* false the function is killed without the SIGTERM of Lambda's shutdown.
        """
        process = self._process
        if process is not None and process.poll() is None:
            self._thaw()
            if not graceful:
                self.log("sigkill", reason="stopped without the shutdown phase")
            elif self.extensions:
                self.log("sigterm", pid=process.pid)
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
                try:
                    process.wait(GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    self.log("sigkill", reason="grace period over")
            else:
                self.log("sigkill", reason="no extension registered, so no SIGTERM")
            self._signal_group(signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)
            if self._streams is not None:
                self._streams.close()
            self.exit_code = process.returncode
            self.log("exit", code=self.exit_code)
        elif process is not None:
            if self._streams is not None:
                self._streams.close()
            self.exit_code = process.returncode
        if self._server is not None:
            with self._condition:
                self._stopping = True
                self._condition.notify_all()
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        return self.exit_code

    _stopping = False


def error_body(body: bytes) -> dict[str, Any]:
    """An error a function posted: its JSON object, or its text as ``errorMessage`` when it is not one."""
    try:
        error = json.loads(body) if body else {}
    except ValueError:
        return {"errorMessage": body.decode(errors="replace")}
    return error if isinstance(error, dict) else {"errorMessage": str(error)}


def xray_header(sampled: bool) -> str:
    """A ``Lambda-Runtime-Trace-Id`` as Lambda sends it: a new root, the Lambda segment, the sampling decision."""
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    return f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled={1 if sampled else 0}"


def function_environment(
    address: str,
    function_name: str,
    region: str,
    task_root: Path,
    handler: str,
    user_env: dict[str, str | None],
    initialization_type: str,
) -> dict[str, str]:
    """The environment Lambda gives a function's runtime process, with *user_env* on top (None removes)."""
    lambda_owned = ("AWS_LAMBDA_", "AWS_EXECUTION_ENV", "_HANDLER", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(lambda_owned)}
    minor = sys.version_info[1]
    env.update(
        {
            "AWS_LAMBDA_RUNTIME_API": address,
            "AWS_LAMBDA_FUNCTION_NAME": function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex,
            "AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python3.{minor}",
            "LAMBDA_TASK_ROOT": str(task_root),
            "_HANDLER": handler,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(task_root), os.environ.get("PYTHONPATH")])),
        }
    )
    for key, value in user_env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A connection the function dropped (killed, timed out) is part of the job, not an error.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def _split_handler(handler: str) -> tuple[Path, str]:
    """``path/to/file.py:func`` → (directory, ``file.func``); ``module.func`` → (cwd, as is)."""
    if ":" in handler:
        path_text, _, function = handler.rpartition(":")
        path = Path(path_text).resolve()
        if not path.exists():
            raise LocalRuntimeError(f"handler {handler!r}: the file {path_text!r} does not exist")
        if path.suffix != ".py" or not path.is_file():
            raise LocalRuntimeError(f"handler {handler!r}: {path_text!r} is not a Python file")
        if not function.isidentifier():
            raise LocalRuntimeError(f"handler {handler!r}: {function!r} is not a function name")
        return path.parent, f"{path.stem}.{function}"
    module, _, function = handler.rpartition(".")
    if not module or not function:
        raise LocalRuntimeError(f"handler {handler!r} must be module.function or path/to/file.py:function")
    if not _module_exists(module, Path.cwd()):
        raise LocalRuntimeError(
            f"handler {handler!r}: no module {module!r} in the current directory or on PYTHONPATH "
            "(or give the file: path/to/file.py:function)"
        )
    return Path.cwd(), handler


def _module_exists(module: str, task_root: Path) -> bool:
    """Whether the function process could import *module*'s top-level package, without importing it."""
    import importlib.machinery

    top = module.split(".")[0]
    search = [str(task_root), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep)), *sys.path]
    return importlib.machinery.PathFinder.find_spec(top, search) is not None or top in sys.builtin_module_names


def _handler_class(runtime: LocalRuntime) -> type[BaseHTTPRequestHandler]:
    class Handler(_ApiHandler):
        pass

    Handler.runtime = runtime
    return Handler


class _ApiHandler(BaseHTTPRequestHandler):
    """The Runtime API and the Extensions API, on one server, as in Lambda."""

    runtime: LocalRuntime
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def setup(self) -> None:
        super().setup()
        # Small request/response pairs: without this, Nagle's algorithm and delayed ACKs add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, status: int, body: object = None, headers: dict[str, str] | None = None) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body if body is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        try:
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:  # the function was killed or frozen for good: nobody reads this answer
            self.close_connection = True

    def _error(self, status: int, error_type: str, message: str) -> None:
        self._send(status, {"errorType": error_type, "errorMessage": message})

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        if self.path == f"{RUNTIME_PREFIX}/invocation/next":
            self._runtime_next()
        elif self.path == f"{RUNTIME_PREFIX}/restore/next" and self.runtime.snap_start:
            self._restore_next()
        elif self.path == f"{EXTENSION_PREFIX}/event/next":
            self._extension_next()
        else:
            self._error(404, "InvalidRequest", f"unknown path {self.path}")

    def do_POST(self) -> None:
        received_ns = time.monotonic_ns()
        path = self.path
        body = self._body()
        if path.startswith(f"{RUNTIME_PREFIX}/invocation/"):
            self._runtime_result(path, body, received_ns)
        elif path == f"{RUNTIME_PREFIX}/init/error":
            self._init_error(body)
        elif path == f"{RUNTIME_PREFIX}/restore/error" and self.runtime.snap_start:
            self._restore_error(body)
        elif path == f"{EXTENSION_PREFIX}/register":
            self._register(body)
        elif path in (f"{EXTENSION_PREFIX}/init/error", f"{EXTENSION_PREFIX}/exit/error"):
            self._extension_error(path.rsplit("/", 2)[-2], body)
        else:
            self._error(404, "InvalidRequest", f"unknown path {path}")

    # --- Runtime API --------------------------------------------------------------------------

    def _runtime_next(self) -> None:
        runtime = self.runtime
        with runtime._condition:
            if runtime.registration_open:
                runtime.registration_open = False
                runtime.initialised = True
            runtime.runtime_waiting = True
            runtime._check_complete()
            runtime._condition.notify_all()
            while runtime.runtime_pending is None and not runtime._stopping:
                runtime._condition.wait()
            invocation = runtime.runtime_pending
            runtime.runtime_pending = None
            runtime.runtime_waiting = False
        if invocation is None:
            self._error(500, "ServiceStopping", "the local runtime is shutting down")
            return
        self._send(
            200,
            invocation.event,
            {
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": runtime.function_arn,
                "Lambda-Runtime-Trace-Id": xray_header(runtime.xray_tracing),
            },
        )

    def _restore_next(self) -> None:
        """SnapStart: init is over, the snapshot is taken here; the answer is the restore."""
        runtime = self.runtime
        with runtime._condition:
            if runtime.snapshot_taken:
                refused = True
            else:
                refused = False
                runtime.registration_open = False
                runtime.snapshot_taken = True
                runtime.initialised = True
                runtime._condition.notify_all()
                while not runtime.restore_requested and not runtime._stopping:
                    runtime._condition.wait()
        if refused:
            self._error(403, "InvalidStateTransition", "restore/next is called once, at the end of init")
            return
        if runtime._stopping:
            self._error(500, "ServiceStopping", "the local runtime is shutting down")
            return
        self._send(200, {})

    def _restore_error(self, body: bytes) -> None:
        runtime = self.runtime
        runtime.restore_error = error_body(body)
        runtime.restore_error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
        runtime.log("restore-error", error=runtime.restore_error, error_type=runtime.restore_error_type)
        self._send(202, {"status": "OK"})

    def _runtime_result(self, path: str, body: bytes, received_ns: int) -> None:
        runtime = self.runtime
        request_id, _, outcome = path[len(f"{RUNTIME_PREFIX}/invocation/") :].partition("/")
        invocation = runtime.current
        if invocation is None or invocation.request_id != request_id or invocation.done.is_set():
            self._error(400, "InvalidRequestID", f"no running invocation {request_id}")
            return
        if outcome == "response":
            invocation.response = body
            kind = "response"
        elif outcome == "error":
            invocation.error = error_body(body)
            kind = "error"
        else:
            self._error(404, "InvalidRequest", f"unknown path {path}")
            return
        invocation.responded_ns = received_ns
        runtime.log(kind, number=invocation.number, request_id=request_id)
        # Done before the 202: the runtime's next /next must find the response recorded.
        invocation.done.set()  # the caller has its response now
        self._send(202, {"status": "OK"})

    def _init_error(self, body: bytes) -> None:
        runtime = self.runtime
        with runtime._condition:
            runtime.init_error = error_body(body)
            runtime._condition.notify_all()
        runtime.log("init-error", error=runtime.init_error)
        self._send(202, {"status": "OK"})

    # --- Extensions API -----------------------------------------------------------------------

    def _register(self, body: bytes) -> None:
        runtime = self.runtime
        name = self.headers.get("Lambda-Extension-Name")
        if not name:
            self._error(400, "InvalidRequest", "missing Lambda-Extension-Name header")
            return
        try:
            events = json.loads(body or b"{}").get("events", [])
        except (ValueError, AttributeError):
            self._error(400, "InvalidRequest", "the body must be a JSON object with 'events'")
            return
        unknown = [event for event in events if event not in ("INVOKE", "SHUTDOWN")]
        if unknown or not isinstance(events, list):
            self._error(400, "InvalidRequest", f"unknown event types {unknown}")
            return
        if "SHUTDOWN" in events:
            self._error(403, "Extension.InvalidEventType", "internal extensions cannot register for SHUTDOWN")
            runtime.log("register-refused", name=name, reason="Extension.InvalidEventType")
            return
        with runtime._condition:
            if not runtime.registration_open:
                refused = True
            else:
                refused = False
                identifier = str(uuid.uuid4())
                runtime.extensions[identifier] = _Extension(name, list(events))
        if refused:
            runtime.log("register-refused", name=name, reason="Extension.RegistrationClosed")
            self._error(403, "Extension.RegistrationClosed", "registration is closed once the runtime called /next")
            return
        runtime.log("register", name=name, events=events, identifier=identifier)
        self._send(
            200,
            {"functionName": runtime.function_name, "functionVersion": "$LATEST", "handler": runtime.handler},
            {"Lambda-Extension-Identifier": identifier},
        )

    def _extension(self) -> _Extension | None:
        identifier = self.headers.get("Lambda-Extension-Identifier", "")
        extension = self.runtime.extensions.get(identifier)
        if extension is None:
            self._error(403, "Extension.UnknownExtensionIdentifier", f"unknown extension {identifier!r}")
        return extension

    def _extension_next(self) -> None:
        runtime = self.runtime
        extension = self._extension()
        if extension is None:
            return
        limit = runtime.drop_extension_next_after
        with runtime._condition:
            extension.waiting = True
            extension.ready = True
            runtime._check_complete()
            runtime._condition.notify_all()
            if limit is not None and runtime.completed_count >= limit:
                extension.exited = True
                runtime.events.append(LogEntry(time.monotonic_ns(), "fault", {"dropped": "extension event/next"}))
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                runtime._condition.notify_all()
                return
            while extension.pending is None and not runtime._stopping and not extension.exited:
                runtime._condition.wait()
            invocation = extension.pending
            extension.pending = None
            extension.waiting = False
        if invocation is None:
            self._error(500, "ServiceStopping", "the local runtime is shutting down")
            return
        self._send(
            200,
            {
                "eventType": "INVOKE",
                "deadlineMs": invocation.deadline_ms,
                "requestId": invocation.request_id,
                "invokedFunctionArn": runtime.function_arn,
                "tracing": {"type": "X-Amzn-Trace-Id", "value": ""},
            },
            {"Lambda-Extension-Event-Identifier": str(uuid.uuid4())},
        )

    def _extension_error(self, which: str, body: bytes) -> None:
        runtime = self.runtime
        extension = self._extension()
        if extension is None:
            return
        with runtime._condition:
            extension.exited = True
            extension.waiting = False
            runtime._check_complete()
            runtime._condition.notify_all()
        error = error_body(body)
        runtime.log(
            f"extension-{which}-error",
            name=extension.name,
            error_type=self.headers.get("Lambda-Extension-Function-Error-Type"),
            error=error,
        )
        self._send(202, {"status": "OK"})
