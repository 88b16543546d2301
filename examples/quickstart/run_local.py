"""Invoke examples/quickstart/handler.py with its sample event and show what it exports.

Run with ``./noxw -s demo``. The handler runs as in Lambda: the module is imported once (the init
phase, with Lambda's variables set), then invoked; the OTLP lines it prints are decoded and shown as
a span tree.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAMBDA_ENV = {
    "AWS_REGION": "us-east-2",
    "AWS_LAMBDA_FUNCTION_NAME": "quickstart",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
    "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/25/[$LATEST]0123456789abcdef0123456789abcdef",
}


def main() -> int:
    for name, value in LAMBDA_ENV.items():
        os.environ.setdefault(name, value)
    from lambda_otel_lite.local.decode import decode_lines
    from lambda_otel_lite.local.tree import render_tree
    from lambda_otel_lite.testing import LambdaContext

    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        spec = importlib.util.spec_from_file_location("quickstart_handler", HERE / "handler.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        event = json.loads((HERE / "event.json").read_text())
        response = module.handler(event, LambdaContext(function_name="quickstart", region="us-east-2"))

    lines = captured.getvalue().splitlines()
    spans, errors = decode_lines(lines)
    print("Response:", json.dumps(response))
    print(f"\nstdout: {len(lines)} line(s), {sum(len(line) for line in lines)} bytes of OTLP, {len(spans)} spans:\n")
    print(render_tree(spans))
    for number, error in errors:
        print(f"line {number}: {error}", file=sys.stderr)
    return 1 if errors or not spans else 0


if __name__ == "__main__":
    sys.exit(main())
