"""AWS's Runtime Interface Emulator (RIE), run on 127.0.0.1 with a function under ``awslambdaric``.

The binary comes from the ``aws-sam-cli`` wheel (``./noxw -s conformance`` downloads and extracts
it) and is named by ``LAMBDA_OTEL_LITE_RIE``. RIE starts the runtime at the first invocation,
prints ``START``/``END`` lines per request and copies the function's stdout into its own output,
so the order of that output shows whether an invocation's spans were out before the next began.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.e2e.support import FUNCTIONS

RIE_ENV = "LAMBDA_OTEL_LITE_RIE"
INVOKE_PATH = "/2015-03-31/functions/function/invocations"


def rie_binary() -> Path:
    """The RIE binary named by ``LAMBDA_OTEL_LITE_RIE`` (the conformance session sets it)."""
    return Path(os.environ[RIE_ENV])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Emulator:
    """One RIE process serving ``tests/e2e/functions/<module>.py:handler``."""

    def __init__(self, module: str, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.lines: list[str] = []
        self._changed = threading.Condition()
        function_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_EXTENSION", "OTEL_"))},
            "LAMBDA_TASK_ROOT": str(FUNCTIONS),
            "PYTHONPATH": os.pathsep.join([str(FUNCTIONS), str(Path.cwd())]),
            "AWS_LAMBDA_FUNCTION_NAME": "conformance",
            "AWS_REGION": "us-east-1",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_FUNCTION_TIMEOUT": "10",
            **env,
        }
        self.process = subprocess.Popen(
            [
                str(rie_binary()),
                "--runtime-interface-emulator-address",
                f"127.0.0.1:{self.port}",
                "--runtime-api-address",
                f"127.0.0.1:{_free_port()}",
                sys.executable,
                "-m",
                "awslambdaric",
                f"{module}.handler",
            ],
            cwd=FUNCTIONS,
            env=function_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self._reader.start()
        self._wait_listening()

    def _read(self, stream: Any) -> None:
        for raw in stream:
            with self._changed:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self.lines.append("<eof>")
            self._changed.notify_all()

    def _wait_listening(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"RIE did not listen on 127.0.0.1:{self.port}: {self.lines}") from None
                with self._changed:  # woken by RIE's next line of output, or retried shortly
                    self._changed.wait(0.02)

    def invoke(self, event: Any) -> Any:
        """POST *event* to RIE's invoke endpoint and return the decoded response (text if it is not JSON)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{INVOKE_PATH}", data=json.dumps(event).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        try:
            return json.loads(body)
        except ValueError:  # RIE answers a timeout in plain text: "Task timed out after 1.00 seconds"
            return body.decode(errors="replace")

    def wait_for_line(self, predicate: Any, timeout: float = 10.0) -> str:
        """The first output line for which *predicate* is true, waiting for it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if predicate(line):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0 or "<eof>" in self.lines:
                    raise AssertionError(f"no such line in RIE's output: {self.lines}")
                self._changed.wait(remaining)

    def stop(self) -> int:
        """SIGTERM RIE (it shuts the runtime down as Lambda does) and return its exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._reader.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.stop()
