"""What the local Lambda's parts share: the API paths, the log entries, invocations, and the function's environment."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

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

    @classmethod
    def new(cls, number: int, event: Any, timeout: float) -> Invocation:
        """Invocation *number* of *event* (JSON-serialisable, or bytes), with a new request id, due in *timeout* s."""
        return cls(
            number=number,
            request_id=str(uuid.uuid4()),
            event=event if isinstance(event, bytes) else json.dumps(event).encode(),
            deadline_ms=int((time.time() + timeout) * 1000),
        )

    def time_out(self, timeout: float) -> None:
        """Its deadline passed: the error Lambda gives the caller."""
        self.timed_out = True
        self.error = {"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {timeout:g} s"}

    @property
    def extension_overhead_ms(self) -> float | None:
        """How long extensions ran after the response, or None while the invocation is not complete."""
        if not self.completed_ns or not self.responded_ns:
            return None
        return (self.completed_ns - self.responded_ns) / 1e6

    def response_json(self) -> Any:
        return json.loads(self.response) if self.response is not None else None

    def next_headers(self, function_arn: str, *, xray_sampled: bool) -> dict[str, str]:
        """The headers of the ``/runtime/invocation/next`` answer that delivers this invocation."""
        return {
            "Lambda-Runtime-Aws-Request-Id": self.request_id,
            "Lambda-Runtime-Deadline-Ms": str(self.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": function_arn,
            "Lambda-Runtime-Trace-Id": xray_header(xray_sampled),
        }


class LocalLambda:
    """What both local Lambdas offer: a context manager, the API's address, the function's stdout lines."""

    _server: Any

    @property
    def events(self) -> list[LogEntry]:
        """Every step of the environment, as :class:`LogEntry`, in the order it happened."""
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def shutdown(self, *, graceful: bool = True) -> int | None:
        raise NotImplementedError

    def invoke(self, event: Any) -> Invocation:
        raise NotImplementedError

    def invoke_all(self, events: list[Any]) -> list[Invocation]:
        """Send *events* as this Lambda takes them (one environment: one after another); the invocations in order."""
        return [self.invoke(event) for event in events]

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    @property
    def address(self) -> str:
        """``host:port`` of the Runtime and Extensions APIs (``AWS_LAMBDA_RUNTIME_API``)."""
        if self._server is None:
            raise LocalRuntimeError("the local runtime is not started")
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def stdout_lines(self) -> list[str]:
        """Every line the function wrote to stdout, in the order it came."""
        return [entry.detail["line"] for entry in self.events if entry.kind == "stdout"]


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


def split_handler(handler: str) -> tuple[Path, str]:
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
