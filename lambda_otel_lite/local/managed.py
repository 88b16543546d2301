"""Lambda Managed Instances, locally: one execution environment running N processes of a function at once.

:class:`ManagedInstancesRuntime` plays the Lambda service for one Managed Instances environment,
with the rules AWS documents for it, where they differ from the default (:mod:`.runtime`):

- **Processes.** The Python runtime handles concurrent requests with worker processes, each with
  its own init and memory, each serving one request at a time. Here, as in Lambda, one
  ``python -m awslambdaric HANDLER`` runs with ``AWS_LAMBDA_INITIALIZATION_TYPE=lambda-managed-instances``
  and ``AWS_LAMBDA_MAX_CONCURRENCY=N``, and ``awslambdaric`` forks the N workers, each importing
  the handler's module on its own. Init is over when every worker waits in ``/next``.
- **Concurrency.** Invocations go to whichever process waits in ``/next``; up to N run at once.
  (Lambda rejects requests while every worker is busy; this queues them.)
- **Nothing is frozen** between invocations, and no invocation waits for extensions.
- **Extensions API.** A subscription to ``INVOKE`` is refused (403 ``Extension.InvalidEventType``);
  registering for no events is accepted.
- **Timeouts** are not enforced: the caller gets ``Sandbox.Timedout`` at the deadline and the
  process goes on running.
- **One stdout.** Lambda hands ``awslambdaric`` a socket for each worker's log stream
  (``_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET``); without one, as here, the workers write to the
  stdout they share, and lines written at once by several of them can interleave: what tests need
  to see whether each record stays a whole line.
- **Shutdown**: SIGTERM to every process of the environment, then SIGKILL after the grace period.

Every step lands in :attr:`ManagedInstancesRuntime.events` as :class:`~.runtime.LogEntry`.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from lambda_otel_lite._config import InitializationType
from lambda_otel_lite.local.api import JsonHandler
from lambda_otel_lite.local.api import Server as _Server
from lambda_otel_lite.local.model import (
    ACCOUNT_ID,
    EXTENSION_PREFIX,
    RUNTIME_PREFIX,
    Invocation,
    LocalLambda,
    LocalRuntimeError,
    LogEntry,
    error_body,
    function_environment,
    split_handler,
)
from lambda_otel_lite.local.process import FunctionProcess

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

INITIALIZATION_TYPE = InitializationType.LAMBDA_MANAGED_INSTANCES
GRACE_SECONDS = 2.0


class ManagedInstancesRuntime(LocalLambda):
    """A local Lambda Managed Instances environment: *processes* workers of *handler*.

    The interface is :class:`~.runtime.LocalRuntime`'s (``start``, ``invoke``, ``shutdown``,
    ``events``, ``stdout_lines``), plus :meth:`invoke_all` for concurrent invocations.

    Thread rules: ``invoke`` may be called from many threads at once; ``start`` and ``shutdown``
    from one.
    """

    def __init__(
        self,
        handler: str,
        *,
        processes: int = 2,
        env: dict[str, str | None] | None = None,
        timeout: float = 30.0,
        init_timeout: float = 30.0,
        function_name: str | None = None,
        python: str = sys.executable,
    ) -> None:
        if processes < 1:
            raise LocalRuntimeError(f"processes must be at least 1, got {processes}")
        self.task_root, self.handler = split_handler(handler)
        self.function_name = function_name or self.handler.rsplit(".", 1)[0].replace(".", "-")
        self.processes = processes
        self.user_env = dict(env or {})
        self.timeout = timeout
        self.init_timeout = init_timeout
        self.python = python
        self.region = (env or {}).get("AWS_REGION") or "us-east-1"
        self.function_arn = f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"

        self._events: list[LogEntry] = []
        self.invocations: list[Invocation] = []
        self.exit_code: int | None = None
        self.init_error: dict[str, Any] | None = None
        self._condition = threading.Condition()
        self._numbers = itertools.count(1)
        self._queue: collections.deque[Invocation] = collections.deque()
        self._running: dict[str, Invocation] = {}
        self._workers_seen: set[tuple[str, int]] = set()
        self._stopping = False
        self._server: _Server | None = None
        self._process: FunctionProcess | None = None

    # --- the event log ----------------------------------------------------------------------

    def log(self, kind: str, **detail: Any) -> None:
        with self._condition:
            self._events.append(LogEntry(time.monotonic_ns(), kind, detail))
            self._condition.notify_all()

    @property
    def events(self) -> list[LogEntry]:
        return self._events

    @property
    def condition(self) -> threading.Condition:
        return self._condition

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the API server and the worker processes; return when every one waits in ``/next``."""
        self._server = _Server(("127.0.0.1", 0), _handler_class(self))
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="local-lmi-api", daemon=True).start()
        self.log("server", address=self.address)
        env = function_environment(
            self.address,
            self.function_name,
            self.region,
            self.task_root,
            self.handler,
            self.user_env,
            INITIALIZATION_TYPE,
        )
        env.setdefault("AWS_LAMBDA_MAX_CONCURRENCY", str(self.processes))
        process = self._process = FunctionProcess(
            [self.python, "-m", "awslambdaric", self.handler], self.task_root, env, self
        )  # its own process group: the workers it forks are in it
        self.log("init-start", pid=process.pid, workers=self.processes)
        deadline = time.monotonic() + self.init_timeout
        with self._condition:
            while len(self._workers_seen) < self.processes and self.init_error is None:
                remaining = deadline - time.monotonic()
                if process.exited.is_set() or remaining <= 0:
                    break
                self._condition.wait(remaining)  # woken by each worker's /next, an init error, or the exit
        ready = len(self._workers_seen)
        if ready < self.processes:
            self.shutdown(graceful=False)
            reason = f"init error {json.dumps(self.init_error)}" if self.init_error else f"{ready} ready"
            raise LocalRuntimeError(f"{self.processes} processes of {self.handler!r} did not initialise: {reason}")
        self.log("init-done", processes=self.processes)

    def invoke(self, event: Any) -> Invocation:
        """Send *event* to the next free process; return when it responded (or its deadline passed)."""
        invocation = Invocation.new(next(self._numbers), event, self.timeout)
        with self._condition:
            self.invocations.append(invocation)
            self._running[invocation.request_id] = invocation
            self._queue.append(invocation)
            self._condition.notify_all()
        if not invocation.done.wait(self.timeout):
            invocation.time_out(self.timeout)
            self.log("timeout", number=invocation.number, request_id=invocation.request_id)  # the process runs on
        invocation.complete.set()  # nothing to wait for after the response: no freeze, no INVOKE extensions
        return invocation

    def invoke_all(self, events: list[Any]) -> list[Invocation]:
        """Send every event at once, from a thread each; the invocations in the order of *events*."""
        results: list[Invocation | None] = [None] * len(events)

        def one(index: int) -> None:
            results[index] = self.invoke(events[index])

        threads = [threading.Thread(target=one, args=(index,)) for index in range(len(events))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [invocation for invocation in results if invocation is not None]

    def shutdown(self, *, graceful: bool = True) -> int | None:
        """End the environment: SIGTERM to every process (unless not *graceful*), then SIGKILL.

        Returns the exit code of the runtime's main process (negative: the signal that ended it).
        """
        process = self._process
        if process is not None:
            if process.poll() is None:
                if graceful:
                    self.log("sigterm", pid=process.pid)
                    process.signal_group(signal.SIGTERM)  # the main process and every worker
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.popen.wait(GRACE_SECONDS)
                if process.poll() is None:
                    self.log("sigkill", pid=process.pid)
            if graceful:  # workers outlive a main process that SIGTERM ended: their end closes the shared pipes
                process.streams.wait_ended(GRACE_SECONDS)
            self.exit_code = process.kill()
            self._process = None
        if self._server is not None:
            with self._condition:
                self._stopping = True
                self._condition.notify_all()
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.log("exit", code=self.exit_code)
        return self.exit_code


def _handler_class(runtime: ManagedInstancesRuntime) -> type[BaseHTTPRequestHandler]:
    class Handler(_ManagedApi):
        pass

    Handler.runtime = runtime
    return Handler


class _ManagedApi(JsonHandler):
    """The Runtime API and the Extensions API of a Managed Instances environment."""

    runtime: ManagedInstancesRuntime

    def do_GET(self) -> None:
        if self.path == f"{RUNTIME_PREFIX}/invocation/next":
            self._next()
        elif self.path == f"{EXTENSION_PREFIX}/event/next":
            with self.runtime._condition:  # no event ever comes for an extension here: until the end
                while not self.runtime._stopping:
                    self.runtime._condition.wait()
            self._stopping()
        else:
            self._error(404, "InvalidRequest", f"unknown path {self.path}")

    def do_POST(self) -> None:
        runtime = self.runtime
        raw = self._body()
        body = error_body(raw)
        if self.path.startswith(f"{RUNTIME_PREFIX}/invocation/"):
            request_id, _, outcome = self.path[len(f"{RUNTIME_PREFIX}/invocation/") :].partition("/")
            with runtime._condition:
                invocation = runtime._running.pop(request_id, None)
            if invocation is None or outcome not in ("response", "error"):
                self._error(400, "InvalidRequestID", f"no running invocation {request_id}")
                return
            if outcome == "response":
                invocation.response = raw
            else:
                invocation.error = body
            invocation.responded_ns = time.monotonic_ns()
            runtime.log(outcome, number=invocation.number, request_id=request_id)
            invocation.done.set()
            self._send(202, {"status": "OK"})
        elif self.path == f"{RUNTIME_PREFIX}/init/error":
            with runtime._condition:
                runtime.init_error = body
                runtime._condition.notify_all()
            runtime.log("init-error", error=runtime.init_error)
            self._send(202, {"status": "OK"})
        elif self.path == f"{EXTENSION_PREFIX}/register":
            events = body.get("events", [])
            name = self.headers.get("Lambda-Extension-Name", "")
            if "INVOKE" in events or "SHUTDOWN" in events:
                runtime.log("register-refused", name=name, events=events)
                self._error(
                    403, "Extension.InvalidEventType", "Managed Instances: no INVOKE (or internal SHUTDOWN) events"
                )
                return
            runtime.log("register", name=name, events=events)
            self._send(200, {"functionName": runtime.function_name}, {"Lambda-Extension-Identifier": str(uuid.uuid4())})
        else:
            self._error(404, "InvalidRequest", f"unknown path {self.path}")

    def _next(self) -> None:
        runtime = self.runtime
        with runtime._condition:
            runtime._workers_seen.add(self.client_address[:2])
            runtime._condition.notify_all()
            while not runtime._queue and not runtime._stopping:
                runtime._condition.wait()
            invocation = runtime._queue.popleft() if runtime._queue else None
            if invocation is not None:
                invocation.dispatched_ns = time.monotonic_ns()
                runtime._events.append(
                    LogEntry(
                        invocation.dispatched_ns,
                        "dispatch",
                        {"number": invocation.number, "request_id": invocation.request_id},
                    )
                )
        if invocation is None:
            self._error(500, "ServiceStopping", "the local runtime is shutting down")
            return
        self._send(200, invocation.event, invocation.next_headers(runtime.function_arn, xray_sampled=False))
