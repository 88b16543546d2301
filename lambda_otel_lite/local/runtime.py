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

import itertools
import json
import sys
import threading
import time
from typing import Any

from lambda_otel_lite._config import InitializationType
from lambda_otel_lite.local.api import Server, handler_class
from lambda_otel_lite.local.environment import Environment
from lambda_otel_lite.local.model import (
    ACCOUNT_ID,
    EXTENSION_PREFIX,
    GRACE_SECONDS,
    RUNTIME_PREFIX,
    Invocation,
    LocalLambda,
    LocalRuntimeError,
    LogEntry,
    function_environment,
    split_handler,
)
from lambda_otel_lite.local.process import FunctionProcess

__all__ = [
    "ACCOUNT_ID",
    "EXTENSION_PREFIX",
    "GRACE_SECONDS",
    "RUNTIME_PREFIX",
    "Invocation",
    "LocalRuntime",
    "LocalRuntimeError",
    "LogEntry",
    "function_environment",
]


class LocalRuntime(LocalLambda):
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
        >>> import json
        >>> from pathlib import Path
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
        self.task_root, self.handler = split_handler(handler)
        self.function_name = function_name or self.handler.rsplit(".", 1)[0].replace(".", "-")
        self.user_env = dict(env or {})
        self.timeout = timeout
        self.init_timeout = init_timeout
        self.freeze = freeze
        self.python = python
        self.snap_start = (
            snap_start or (env or {}).get("AWS_LAMBDA_INITIALIZATION_TYPE") == InitializationType.SNAP_START
        )
        self.xray_tracing = xray_tracing
        self.region = (env or {}).get("AWS_REGION") or "us-east-1"
        self.function_arn = f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"

        self.environment = Environment(
            snap_start=self.snap_start,
            drop_extension_next_after=drop_extension_next_after,
            on_complete=self._completed,
        )
        self.invocations: list[Invocation] = []
        self.exit_code: int | None = None
        self._numbers = itertools.count(1)
        self._server: Server | None = None
        self._process: FunctionProcess | None = None

    # --- the event log ----------------------------------------------------------------------

    @property
    def events(self) -> list[LogEntry]:
        """Everything that happened, in order (:class:`LogEntry`), the function's output lines included."""
        return self.environment.events

    @property
    def init_error(self) -> dict[str, Any] | None:
        """What the runtime posted to ``/runtime/init/error``, if it did."""
        return self.environment.init_error

    @property
    def extensions(self) -> dict[str, Any]:
        return self.environment.extensions

    def log(self, kind: str, **detail: Any) -> None:
        self.environment.log(kind, **detail)

    def wait_for(self, kind: str, timeout: float = 10.0) -> LogEntry:
        """The first logged entry of *kind*, waiting up to *timeout* seconds for it."""
        found: list[LogEntry] = []

        def logged() -> bool:
            found[:] = [entry for entry in self.events if entry.kind == kind][:1]
            return bool(found)

        if not self.environment.wait_until(logged, timeout):
            raise LocalRuntimeError(f"no {kind!r} event within {timeout:g} s")
        return found[0]

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the API server (once) and the function; return when its init phase is over."""
        if self._server is None:
            self._server = Server(
                ("127.0.0.1", 0),
                handler_class(
                    self.environment,
                    function_arn=self.function_arn,
                    function_name=self.function_name,
                    handler=self.handler,
                    xray_tracing=self.xray_tracing,
                ),
            )
            threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name="local-lambda-api", daemon=True
            ).start()
            self.log("server", address=self.address)
        self._spawn()

    def _alive(self) -> bool:
        return self._process is not None and not self._process.exited.is_set()

    def _spawn(self) -> None:
        environment = self.environment
        environment.reset()
        env = function_environment(
            self.address,
            self.function_name,
            self.region,
            self.task_root,
            self.handler,
            self.user_env,
            InitializationType.SNAP_START if self.snap_start else InitializationType.ON_DEMAND,
        )
        self._process = process = FunctionProcess(
            [self.python, "-m", "awslambdaric", self.handler], self.task_root, env, environment
        )
        self.log("init-start", pid=process.pid, handler=self.handler)
        environment.wait_until(
            lambda: environment.initialised or environment.init_error is not None or process.exited.is_set(),
            self.init_timeout,
        )
        if not environment.initialised:
            code = process.poll()
            self._kill()
            reason = (
                f"init error {json.dumps(environment.init_error)}"
                if environment.init_error
                else f"exited with {code}"
                if code is not None
                else f"no /next within {self.init_timeout:g} s"
            )
            raise LocalRuntimeError(f"the function {self.handler!r} failed to initialise: {reason}")
        self.log("init-done", extensions=[e.name for e in environment.extensions.values()])
        if environment.snapshot_taken and self.freeze:
            process.freeze()  # the snapshot: nothing runs until the restore
            self.log("snapshot")

    def _thaw(self) -> None:
        if self._process is not None and self._process.thaw():
            self.log("thaw")

    def _kill(self) -> None:
        if self._process is None:
            return
        self.exit_code = self._process.kill()
        self.log("exit", code=self.exit_code)

    def _completed(self, invocation: Invocation) -> None:
        """The environment's completion hook (its condition held): drain, stamp, freeze."""
        if self._process is not None:
            self._process.streams.drain()
        invocation.completed_ns = time.monotonic_ns()
        events = self.environment.events
        events.append(
            LogEntry(
                invocation.completed_ns,
                "complete",
                {"number": invocation.number, "extension_overhead_ms": invocation.extension_overhead_ms},
            )
        )
        if self.freeze and self._process is not None:
            self._process.freeze()
            events.append(LogEntry(time.monotonic_ns(), "freeze", {}))

    # --- invocations --------------------------------------------------------------------------

    def invoke(self, event: Any, *, wait_complete: bool = True) -> Invocation:
        """Dispatch *event* (JSON-serialisable, or bytes) and return when the runtime responded.

        With *wait_complete*, also wait until the invocation is complete (extensions back in
        ``/next``) and the environment frozen.
        """
        if not self._alive():
            self._spawn()
        environment = self.environment
        invocation = Invocation.new(next(self._numbers), event, self.timeout)
        self._thaw()
        if environment.request_restore():  # /runtime/restore/next returns: after-restore hooks run
            self.log("restore")
        ready = environment.wait_until(lambda: environment.ready_for_dispatch() or not self._alive(), self.timeout)
        if not self._alive():
            if environment.restore_error is not None:  # the restore failed: this invocation fails with it
                self.invocations.append(invocation)
                self._exited_during(invocation)
                return invocation
            code = self._process_code()
            raise LocalRuntimeError(f"the function exited ({code}) before invocation {invocation.number}")
        if not ready:
            raise LocalRuntimeError("the runtime or an extension did not come back to /next")
        if self._process is not None:
            self._process.streams.drain()
        self.invocations.append(invocation)
        environment.dispatch(invocation)
        environment.wait_until(lambda: invocation.done.is_set() or not self._alive(), self.timeout)
        if not invocation.done.is_set():
            if not self._alive():
                self._exited_during(invocation)
            else:
                self._timed_out(invocation)
            return invocation
        if wait_complete:
            self.wait_complete(invocation)
        return invocation

    def wait_complete(self, invocation: Invocation, timeout: float | None = None) -> bool:
        """Wait until *invocation* is complete; False if the function exited or *timeout* passed."""
        self.environment.wait_until(
            lambda: invocation.complete.is_set() or not self._alive(),
            timeout if timeout is not None else self.timeout,
        )
        return invocation.complete.is_set()

    def _process_code(self) -> int | None:
        return self._process.poll() if self._process is not None else None

    def _exited_during(self, invocation: Invocation) -> None:
        environment = self.environment
        code = self._process_code()
        invocation.error = {"errorType": "Runtime.ExitError", "errorMessage": f"the runtime exited with {code}"}
        if environment.restore_error is not None:  # as Lambda answers the invocation whose restore failed
            invocation.error = {
                "errorType": environment.restore_error_type or "Runtime.RestoreError",
                "errorMessage": str(environment.restore_error.get("errorMessage", "")),
                "cause": environment.restore_error,
            }
        if self._process is not None:
            self._process.streams.close()
        self.exit_code = code
        self.log("exit", code=code, number=invocation.number)
        invocation.done.set()

    def _timed_out(self, invocation: Invocation) -> None:
        """The reset after a timeout: SIGTERM first when an extension registered (as at shutdown), then SIGKILL."""
        invocation.time_out(self.timeout)
        self.log("timeout", number=invocation.number, request_id=invocation.request_id)
        process = self._process
        if process is not None and self.environment.extensions and process.poll() is None:
            self.log("sigterm", pid=process.pid, reason="reset after the timeout")
            if not process.terminate(GRACE_SECONDS):
                self.log("sigkill", reason="grace period over")
        elif process is not None:
            self.log("sigkill", reason="timeout, no extension registered, so no SIGTERM")
        self._kill()
        invocation.done.set()

    def shutdown(self, *, graceful: bool = True) -> int | None:
        """End the environment as Lambda does; return the function's exit code (negative: signal).

        With *graceful* false the function is killed without the SIGTERM of Lambda's shutdown.
        """
        process = self._process
        if process is not None and process.poll() is None:
            self._thaw()
            if not graceful:
                self.log("sigkill", reason="stopped without the shutdown phase")
            elif self.environment.extensions:
                self.log("sigterm", pid=process.pid)
                if not process.terminate(GRACE_SECONDS):
                    self.log("sigkill", reason="grace period over")
            else:
                self.log("sigkill", reason="no extension registered, so no SIGTERM")
            self.exit_code = process.kill()
            self.log("exit", code=self.exit_code)
        elif process is not None:
            process.streams.close()
            self.exit_code = process.popen.returncode
        if self._server is not None:
            self.environment.stop()
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        return self.exit_code
