"""``lambda-otel-lite forward``: records posted to a real OTLP collector (rotel), and the spans arrive."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sysconfig
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambda_otel_lite.local.cli import main
from lambda_otel_lite.local.decode import decode_lines, is_telemetry_line

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Collector:
    """rotel's OTLP receiver on 127.0.0.1, printing every span it receives (its debug log)."""

    def __init__(self) -> None:
        import rotel

        agent = Path(rotel.__file__).parent / "rotel-agent"
        self.port = free_port()
        env = {**os.environ, "LD_LIBRARY_PATH": str(sysconfig.get_config_var("LIBDIR"))}
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            [
                str(agent),
                "start",
                "--otlp-http-endpoint",
                f"127.0.0.1:{self.port}",
                "--otlp-grpc-endpoint",
                f"127.0.0.1:{free_port()}",
                "--exporter",
                "blackhole",
                "--debug-log",
                "traces",
                "--debug-log-verbosity",
                "detailed",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 20
        while True:  # listening?
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                assert self.process.poll() is None, f"rotel exited: {self.lines}"
                assert time.monotonic() < deadline, f"rotel did not listen: {self.lines}"
                with self._changed:
                    self._changed.wait(0.05)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/traces"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            with self._changed:
                self.lines.append(raw.decode(errors="replace").rstrip())
                self._changed.notify_all()

    def wait_for(self, text: str, count: int = 1, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(text in line for line in self.lines) < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"{text!r} x{count} never arrived: {self.lines[-40:]}"
                self._changed.wait(remaining)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def collector() -> Iterator[Collector]:
    pytest.importorskip("rotel", reason="rotel ships a Linux x86_64 agent only")
    running = Collector()
    try:
        yield running
    finally:
        running.stop()


def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        import sys

        previous, sys.stdin = sys.stdin, io.StringIO(stdin)
        try:
            code = main(list(argv), stdout=out, stderr=err)
        finally:
            sys.stdin = previous
    else:
        code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_invoke_forward_sends_the_runs_spans_to_the_collector(collector: Collector) -> None:
    code, out, err = run(
        "invoke",
        f"{QUICKSTART / 'handler.py'}:handler",
        "--event",
        str(QUICKSTART / "event.json"),
        "--times",
        "2",
        "--forward",
        collector.endpoint,
    )
    assert code == 0, err
    assert f"Forwarded 2 telemetry record(s) to {collector.endpoint}" in out
    collector.wait_for("Name           : GET /orders/{id}", count=2)
    collector.wait_for("Name           : load_order", count=2)


def test_forward_posts_a_cloudwatch_copy_and_reports_bad_lines_by_number(collector: Collector, tmp_path: Path) -> None:
    code, _, err = run(
        "invoke", f"{QUICKSTART / 'handler.py'}:handler", "--event", str(QUICKSTART / "event.json"), "--raw"
    )
    assert code == 0, err
    _, raw, _ = run(
        "invoke", f"{QUICKSTART / 'handler.py'}:handler", "--event", str(QUICKSTART / "event.json"), "--raw"
    )
    records = [line for line in raw.splitlines() if is_telemetry_line(line)]
    spans, _ = decode_lines(records)
    log = [
        "START RequestId: 1 Version: $LATEST",
        *(f"2026-12-01T10:00:00.000Z\t1\t{line}" for line in records),  # as CloudWatch Logs shows them
        '{"__otel_otlp_stdout": "0.16.0", "payload": "!!! not base64", "base64": true}',
    ]
    code, out, err = run("forward", "--endpoint", collector.endpoint, stdin="\n".join(log))
    assert code == 1  # the corrupt line
    assert f"Forwarded {len(records)} telemetry record(s)" in out
    assert f"line {len(log)}: payload is not valid base64" in err
    for span in spans:
        collector.wait_for(f"ID             : {span.span_id}")


def test_a_refused_post_is_reported_with_the_status_and_the_body(tmp_path: Path) -> None:
    import http.server

    class Refusing(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b'{"message": "traces are not accepted here"}'
            self.send_response(415)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _, raw, _ = run(
            "invoke", f"{QUICKSTART / 'handler.py'}:handler", "--event", str(QUICKSTART / "event.json"), "--raw"
        )
        log = tmp_path / "log.txt"
        log.write_text(raw)
        url = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
        code, _, err = run("forward", str(log), "--endpoint", url)
    finally:
        server.shutdown()
        server.server_close()
    assert code == 1
    assert "answered 415 Unsupported Media Type" in err
    assert "traces are not accepted here" in err


def test_an_unreachable_endpoint_is_reported_and_the_endpoint_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, raw, _ = run(
        "invoke", f"{QUICKSTART / 'handler.py'}:handler", "--event", str(QUICKSTART / "event.json"), "--raw"
    )
    log = tmp_path / "log.txt"
    log.write_text(raw)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    code, _, err = run("forward", str(log))
    assert code == 1
    assert "cannot post to http://127.0.0.1:" in err
    assert "/v1/traces: " in err


def test_forward_without_an_endpoint_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    code, out, err = run("forward", "/dev/null")
    assert (code, out) == (2, "")
    assert "no endpoint: give one, or set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" in err
