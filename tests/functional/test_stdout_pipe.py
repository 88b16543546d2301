"""The exported line reaches a real stdout pipe before the handler returns, not at process exit."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from tests.functional.seed import basic_usage
basic_usage.handler({"type": "order.created"}, None)
sys.stderr.write("returned\\n")
sys.stderr.flush()
sys.stdin.read()  # stay alive, like a frozen Lambda environment, until the test closes stdin
"""


def test_the_otlp_line_is_readable_from_the_pipe_while_the_process_is_still_alive() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        # A pipe, block-buffered as in Lambda: no PYTHONUNBUFFERED to hide a missing flush.
        env={name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        assert process.stdout is not None
        assert process.stderr.readline() == "returned\n"
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            assert selector.select(timeout=10), "no telemetry on stdout while the process is alive"
        line = process.stdout.readline()
        assert process.poll() is None
        assert json.loads(line)["__otel_otlp_stdout"]
        process.kill()
