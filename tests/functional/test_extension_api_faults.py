"""An Extensions API that answers wrongly or not at all: sync mode, one warning, no span lost.

A raw TCP server on 127.0.0.1 plays the misbehaving API, one canned answer per test.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator

import pytest

from lambda_otel_lite import init_telemetry, traced_handler
from lambda_otel_lite._config import ProcessorMode
from lambda_otel_lite.telemetry import STATE
from lambda_otel_lite.testing import LambdaContext
from tests.support import StdoutTelemetry


def http(status: str, body: bytes) -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


ANSWERS = {
    "500": http("500 Internal Server Error", b"{}"),
    "403": http("403 Forbidden", b'{"errorType": "Extension.RegistrationClosed"}'),
    "200 without an identifier": http("200 OK", b"{}"),
    "garbage": b"\x00\xffnot http at all\r\n\r\n",
    "closed without answering": b"",
    "hangs": None,
}
EXPECTED = {
    "500": "register answered 500",
    "403": "register answered 403",
    "200 without an identifier": "register answered 200",
    "garbage": "not an HTTP response",
    "closed without answering": "not an HTTP response: b''",
    "hangs": "timed out",
}


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Iterator[str]:
    answer: bytes | None = ANSWERS[request.param]
    server = socket.create_server(("127.0.0.1", 0))
    release = threading.Event()

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)  # the registration request
            if answer is None:
                release.wait(10)  # never answer (until the test is over)
            else:
                connection.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    release.set()
    thread.join(5)
    server.close()


@pytest.mark.parametrize("api", list(ANSWERS), indirect=True)
def test_a_misbehaving_extensions_api_gives_sync_mode_one_warning_and_every_span(
    api: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    stdout_telemetry: StdoutTelemetry,
) -> None:
    monkeypatch.setenv("LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE", "async")
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", api)
    with caplog.at_level(logging.WARNING):
        tracer, provider = init_telemetry("faults")
        results = []
        for number in range(3):
            with traced_handler(tracer, provider, "handler", {}, LambdaContext()):
                results.append(number)
            assert len(stdout_telemetry.spans()) == 1  # exported before the handler returned
    assert (STATE.mode, results) == (ProcessorMode.SYNC, [0, 1, 2])
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "registering the internal extension failed" in warnings[0]
    assert EXPECTED[request.node.callspec.params["api"]] in warnings[0]
