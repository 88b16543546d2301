"""The lambda-otel-lite command: invoke each example, decode a captured CloudWatch log."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from lambda_otel_lite.local.cli import main
from lambda_otel_lite.local.decode import decode_lines, is_telemetry_line
from lambda_otel_lite.local.tree import render_tree

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "quickstart": ("examples/quickstart/handler.py:handler", "GET /orders/{id}  SERVER"),
    "orders_api": ("examples/orders_api/orders.py:handler", "GET /orders/{id}  SERVER"),
    "sqs_batch": ("examples/sqs_batch/batch.py:handler", "process orders-queue  CONSUMER"),
}


QUICKSTART = str(ROOT / "examples" / "quickstart" / "handler.py") + ":handler"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_invoke_prints_the_response_and_a_span_tree_for_each_example(example: str) -> None:
    handler, root_line = EXAMPLES[example]
    code, out, err = run(
        "invoke", str(ROOT / handler), "--event", str(ROOT / "examples" / example / "event.json"), "--mode", "async"
    )
    assert code == 0, err
    assert "Invocation 1 (" in out
    assert "  response: {" in out
    assert "extensions ran " in out
    assert root_line in out
    assert "async mode" in err


def test_decode_turns_a_captured_cloudwatch_log_into_the_same_tree(tmp_path: Path) -> None:
    handler, _ = EXAMPLES["orders_api"]
    event = str(ROOT / "examples/orders_api/event.json")
    code, raw, _ = run("invoke", str(ROOT / handler), "--event", event, "--times", "2", "--raw")
    assert code == 0
    telemetry = [line for line in raw.splitlines() if is_telemetry_line(line)]
    assert len(telemetry) == 2
    spans, _ = decode_lines(telemetry)
    log = [
        "START RequestId: 8f5e Version: $LATEST",
        f"2026-11-25T19:00:00.123Z\t8f5e\tINFO\t{telemetry[0]}",
        "some application log line",
        '2026-11-25T19:00:00.200Z\t8f5e\tINFO\t{"__otel_otlp_stdout": "0.16.0", "payload": "!!not base64!!"}',
        f"2026-11-25T19:00:01.456Z\t9a1c\tINFO\t{telemetry[1]}",
        "END RequestId: 9a1c",
    ]
    path = tmp_path / "captured.log"
    path.write_text("\n".join(log) + "\n")
    code, out, err = run("decode", str(path))
    assert code == 1  # one corrupt telemetry line
    assert out.strip() == render_tree(spans)
    assert err.splitlines() == [
        "lambda-otel-lite decode: line 4: payload is not valid base64: Only base64 data is allowed"
    ]


def test_decode_json_prints_otlp_json_with_hex_ids(tmp_path: Path) -> None:
    handler, _ = EXAMPLES["orders_api"]
    event = str(ROOT / "examples/orders_api/event.json")
    _, raw, _ = run("invoke", str(ROOT / handler), "--event", event, "--raw")
    path = tmp_path / "out.log"
    path.write_text(raw)
    code, out, _ = run("decode", "--json", str(path))
    assert code == 0
    import json

    (document,) = [json.loads(line) for line in out.splitlines()]
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert {span["traceId"] for span in spans} == {"0af7651916cd43dd8448eb211c80319c"}
    assert any(span.get("parentSpanId") == "b7ad6b7169203331" for span in spans)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["invoke", "nowhere.py:handler", "--event", "x.json"], "the file 'nowhere.py' does not exist"),
        (["invoke", "README.md:handler", "--event", "x.json"], "'README.md' is not a Python file"),
        (["invoke", "nothere.handler", "--event", "x.json"], "no module 'nothere' in the current directory"),
        (["invoke", QUICKSTART, "--event", "/no/such/event.json"], "cannot read the event file"),
        (["invoke", QUICKSTART, "--event", "-", "--env", "NOEQUALS"], None),
        (["decode", "/no/such/log"], "cannot read the log file '/no/such/log'"),
    ],
)
def test_usage_errors_exit_2_and_say_what_is_wrong(
    argv: list[str], message: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr("sys.stdin", io.StringIO("{}"))
    code, out, err = run(*argv)
    assert code == 2
    assert out == ""
    assert message is None or message in err
    if message is None:
        assert "--env 'NOEQUALS': expected K=V" in err


def test_a_handler_that_fails_to_import_exits_1_with_the_init_error(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("raise ImportError('missing dependency: orders_db')\n")
    (tmp_path / "event.json").write_text("{}")
    code, _, err = run("invoke", f"{tmp_path / 'broken.py'}:handler", "--event", str(tmp_path / "event.json"))
    assert code == 1
    assert "failed to initialise: init error" in err
    assert "missing dependency: orders_db" in err


def test_a_missing_handler_function_is_a_usage_error_in_the_runtimes_words(tmp_path: Path) -> None:
    (tmp_path / "raises.py").write_text("def handler(event, context):\n    raise ValueError('no')\n")
    (tmp_path / "event.json").write_text("{}")
    code, out, err = run("invoke", f"{tmp_path / 'raises.py'}:nope", "--event", str(tmp_path / "event.json"))
    assert (code, out) == (2, "")
    assert "handler 'raises.nope'" in err
    assert "nope" in err
    assert "Traceback" not in err  # a usage error, not the runtime's paragraph


def test_a_raising_handlers_traceback_prints_as_lines(tmp_path: Path) -> None:
    (tmp_path / "raises.py").write_text(
        "from lambda_otel_lite import instrumented\n\n"
        "@instrumented\ndef handler(event, context):\n    raise ValueError('order 42 is invalid')\n"
    )
    (tmp_path / "event.json").write_text("{}")
    code, _, err = run("invoke", f"{tmp_path / 'raises.py'}:handler", "--event", str(tmp_path / "event.json"))
    assert code == 1
    raw = err.encode()
    assert b"\r" not in raw  # awslambdaric's \r-joined traceback is split into lines
    assert "\u00a0".encode() not in raw
    lines = err.splitlines()
    assert "  | Traceback (most recent call last):" in lines
    assert any(line.startswith('  |   File "') and "raises.py" in line for line in lines)


def test_version() -> None:
    from lambda_otel_lite import __version__

    result = subprocess.run(
        [sys.executable, "-m", "lambda_otel_lite", "--version"], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout.strip()) == (0, f"lambda-otel-lite {__version__}")


def test_the_console_script_has_help_for_each_command() -> None:
    for command in ([], ["invoke"], ["decode"]):
        result = subprocess.run(
            [sys.executable, "-m", "lambda_otel_lite", *command, "--help"], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0
        assert "usage: lambda-otel-lite" in result.stdout


def test_invoke_as_managed_instances_sends_the_invocations_at_once_to_several_processes(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"children": 1, "hold": 0.2}')
    handler = str(ROOT / "tests" / "e2e" / "functions" / "parallel.py") + ":handler"
    code, out, err = run("invoke", handler, "--event", str(event), "--managed-instances", "2", "--times", "4")
    assert code == 0, err
    pids = {line.split('"pid": ')[1].rstrip("}") for line in out.splitlines() if '"pid": ' in line}
    assert len(pids) == 2
    assert "Spans: 8 in " in out  # 4 invocation spans and 4 children, every one exported


def test_managed_instances_needs_a_process_count_and_no_snap_start(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text("{}")
    handler = str(ROOT / "tests" / "e2e" / "functions" / "parallel.py") + ":handler"
    code, _, err = run("invoke", handler, "--event", str(event), "--managed-instances", "0")
    assert code == 2
    assert "--managed-instances takes a number of processes >= 1" in err
