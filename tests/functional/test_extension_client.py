"""The extension thread's side of the Extensions API: one kept-alive connection for ``/event/next``,
and the handler-complete signals it waits for.

A raw TCP server on 127.0.0.1 plays the API, with a script of what to do on each connection: answer
each request it reads (keeping the connection), answer then close, or close without answering.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from lambda_otel_lite import _extension as extension_module
from lambda_otel_lite._config import ProcessorMode
from lambda_otel_lite._extension import InternalExtension, _Completions
from lambda_otel_lite._extension_client import NEXT_PATH, ExtensionApiError, ExtensionClient
from lambda_otel_lite.telemetry import STATE, extension_hooks

IDENTIFIER = "0d6f1e9e-5d2c-4b7f-8f0e-3d1c2b4a5e6f"
RESET = b"<reset>"


def invoke(request_id: str, *, close: bool = False) -> bytes:
    body = json.dumps({"eventType": "INVOKE", "requestId": request_id, "deadlineMs": 1}).encode()
    connection = "Connection: close\r\n" if close else ""
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{connection}\r\n".encode() + body


@dataclass
class ScriptedApi:
    """Per connection, a list of answers: bytes to send for each request read, or None to close."""

    script: list[list[bytes | None]]
    requests: list[list[bytes]] = field(default_factory=list)
    server: socket.socket = field(default_factory=lambda: socket.create_server(("127.0.0.1", 0)))

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.getsockname()[1]}"

    def serve(self) -> None:
        for answers in self.script:
            try:
                connection, _ = self.server.accept()
            except OSError:  # closed by the fixture: the test did not use every scripted connection
                return
            seen: list[bytes] = []
            self.requests.append(seen)
            with connection:
                for answer in answers:
                    request = b""
                    while b"\r\n\r\n" not in request:
                        chunk = connection.recv(65536)
                        if not chunk:
                            return
                        request += chunk
                    seen.append(request)
                    if answer is None:
                        break
                    if answer is RESET:  # close with an RST, the request unanswered
                        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        break
                    connection.sendall(answer)


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Iterator[ScriptedApi]:
    scripted = ScriptedApi(request.param)
    thread = threading.Thread(target=scripted.serve, daemon=True)
    thread.start()
    yield scripted
    scripted.server.shutdown(socket.SHUT_RDWR)  # wakes an accept() still waiting
    scripted.server.close()
    thread.join(5)


@pytest.fixture
def client(api: ScriptedApi) -> Iterator[ExtensionClient]:
    client = ExtensionClient(api.address)
    client.identifier = IDENTIFIER
    yield client
    client.close()


@pytest.mark.parametrize("api", [[[invoke("r1"), invoke("r2"), invoke("r3")]]], indirect=True)
def test_consecutive_events_arrive_on_one_kept_alive_connection(api: ScriptedApi, client: ExtensionClient) -> None:
    events = [client.next_event()["requestId"] for _ in range(3)]
    assert (events, len(api.requests), len(api.requests[0])) == (["r1", "r2", "r3"], 1, 3)
    first = api.requests[0][0]
    assert first.startswith(f"GET {NEXT_PATH} HTTP/1.1\r\n".encode())
    assert f"Lambda-Extension-Identifier: {IDENTIFIER}\r\n".encode() in first
    assert b"Connection: close" not in first


@pytest.mark.parametrize(
    "api",
    [
        pytest.param([[invoke("r1")], [invoke("r2")]], id="closed-while-idle"),
        pytest.param([[invoke("r1"), None], [invoke("r2")]], id="closed-before-answering"),
        pytest.param([[invoke("r1"), RESET], [invoke("r2")]], id="reset-before-answering"),
    ],
    indirect=True,
)
def test_a_kept_alive_connection_the_api_closed_is_replaced_and_the_request_sent_again(
    api: ScriptedApi, client: ExtensionClient
) -> None:
    arrivals: list[int] = []
    assert [client.next_event(lambda: arrivals.append(1))["requestId"] for _ in range(2)] == ["r1", "r2"]
    assert len(api.requests) == 2
    assert api.requests[1] == [api.requests[0][0]]  # the same request, once more, on the new connection
    assert len(arrivals) == 2  # once per answer: not for the attempt that met the closed connection


@pytest.mark.parametrize("api", [[[invoke("r1", close=True)], [invoke("r2")]]], indirect=True)
def test_an_answer_with_connection_close_ends_the_connection_without_a_failed_attempt(
    api: ScriptedApi, client: ExtensionClient
) -> None:
    assert [client.next_event()["requestId"] for _ in range(2)] == ["r1", "r2"]
    assert [len(requests) for requests in api.requests] == [1, 1]


@pytest.mark.parametrize("api", [[[None]]], indirect=True)
def test_a_new_connection_closed_without_an_answer_is_an_error_with_no_second_attempt(
    api: ScriptedApi, client: ExtensionClient
) -> None:
    arrivals: list[int] = []
    with pytest.raises(ExtensionApiError, match=r"event/next: ValueError: not an HTTP response: b''"):
        client.next_event(lambda: arrivals.append(1))
    assert ([len(requests) for requests in api.requests], arrivals) == ([1], [])  # no answer arrived


@pytest.mark.parametrize("api", [[[invoke("r1"), None], [None]]], indirect=True)
def test_a_request_dropped_on_the_replacement_connection_too_is_an_error(
    api: ScriptedApi, client: ExtensionClient
) -> None:
    """A dying API: one more attempt on a new connection, then the error (and the thread's fallback)."""
    assert client.next_event()["requestId"] == "r1"
    with pytest.raises(ExtensionApiError, match="not an HTTP response"):
        client.next_event()
    assert [len(requests) for requests in api.requests] == [2, 1]


@pytest.mark.parametrize("api", [[[b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}"]]], indirect=True)
def test_an_answer_cut_short_on_a_kept_alive_connection_is_an_error_not_a_retry(
    api: ScriptedApi, client: ExtensionClient
) -> None:
    with pytest.raises(ExtensionApiError, match="the connection closed after 2 of 9 body bytes"):
        client.next_event()
    assert [len(requests) for requests in api.requests] == [1]


class _Provider:
    def __init__(self) -> None:
        self.flushed = threading.Event()
        self.flushes = 0

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        self.flushes += 1
        self.flushed.set()
        return True


class _EventsClient(ExtensionClient):
    """Hands the extension thread INVOKE events one at a time, then fails (which ends the thread).

    Each call waits for ``release``; it sets ``arrived`` before calling ``on_arrival`` (the event is
    there, not yet read) and appends to ``order`` once it is read.
    """

    def __init__(self, order: list[str] | None = None) -> None:
        super().__init__("127.0.0.1:9")
        self.events: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.arrived = threading.Event()
        self.order = order if order is not None else []

    def next_event(self, on_arrival: Callable[[], object] | None = None) -> dict[str, Any]:
        if not self.release.wait(10) or not self.events:
            raise ExtensionApiError("no more events")
        self.release.clear()
        self.arrived.set()
        if on_arrival is not None:
            on_arrival()
        self.order.append("read")
        return self.events.pop(0)


def _invoke_event(request_id: str, deadline_in_seconds: float = 3600.0) -> dict[str, Any]:
    return {
        "eventType": "INVOKE",
        "requestId": request_id,
        "deadlineMs": int((time.time() + deadline_in_seconds) * 1000),
    }


def _stop(client: _EventsClient, extension: InternalExtension) -> None:
    client.release.set()  # no more events: the thread ends
    assert extension.thread is not None
    extension.thread.join(10)
    assert not extension.thread.is_alive()


def test_the_extension_flushes_the_provider_of_every_signal_it_reads_once_each() -> None:
    """A stale signal (an earlier invocation's late handler) and the current one name two providers."""
    client = _EventsClient()
    extension = InternalExtension(client, ProcessorMode.ASYNC, extension_hooks())
    late, current = _Provider(), _Provider()
    extension.start()
    try:
        assert extension.handler_complete("r0", late)
        assert extension.handler_complete("r1", current)
        assert extension.handler_complete("r1", current)  # twice (one wake-up pending already): still one flush
        client.events.append(_invoke_event("r1"))
        client.release.set()
        assert late.flushed.wait(10)
        assert current.flushed.wait(10)
    finally:
        _stop(client, extension)
    assert (late.flushes, current.flushes, extension.invocations) == (1, 1, 1)
    assert STATE.extension is None  # the thread ended without falling back: it was never the active extension


def test_an_arriving_invoke_event_is_read_only_once_the_handler_signalled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the event would take the GIL while the runtime starts the handler: it waits for the signal."""
    monkeypatch.setattr(extension_module, "READ_AFTER_HANDLER_SECONDS", 30.0)  # only the signal ends the wait
    order: list[str] = []
    client = _EventsClient(order)
    extension = InternalExtension(client, ProcessorMode.ASYNC, extension_hooks())
    provider = _Provider()
    extension.start()
    try:
        client.events.append(_invoke_event("r1"))
        client.release.set()
        assert client.arrived.wait(10)  # the thread has the event, unread
        order.append("signal")
        assert extension.handler_complete("r1", provider)
        assert provider.flushed.wait(10)
    finally:
        _stop(client, extension)
    assert (order, extension.invocations) == (["signal", "read"], 1)


def test_an_invoke_event_no_handler_signals_is_read_after_the_bound_and_flushed_at_its_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An uninstrumented handler: the event is read after READ_AFTER_HANDLER_SECONDS, then the deadline ends it."""
    client = _EventsClient()
    extension = InternalExtension(client, ProcessorMode.ASYNC, extension_hooks())
    provider = _Provider()
    extension.start()
    try:
        assert extension.handler_complete("r0", provider)  # an earlier invocation: names the provider to flush
        client.events.append(_invoke_event("r0"))
        client.release.set()
        assert provider.flushed.wait(10)
        provider.flushed.clear()
        started = time.monotonic()
        client.events.append(_invoke_event("r1", deadline_in_seconds=0.3))
        with caplog.at_level(logging.WARNING):
            client.release.set()
            assert provider.flushed.wait(10)
    finally:
        _stop(client, extension)
    assert time.monotonic() - started >= 0.25  # the deadline, not the read bound, ended the wait
    assert (provider.flushes, extension.invocations) == (2, 2)
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "invocation r1 reached its deadline and no instrumented handler ran for it" in warnings[0]


def test_a_signal_from_a_handler_thread_wakes_the_waiting_extension_thread() -> None:
    """Whichever runs first, the wait (its deadline 30 s away) ends with the handler's signal."""
    completions = _Completions()
    results: list[tuple[bool, list[object]]] = []
    waiter = threading.Thread(target=lambda: results.append(completions.wait("r1", time.monotonic() + 30)))
    waiter.start()
    provider = object()
    handler = threading.Thread(target=completions.complete, args=("r1", provider))
    handler.start()
    handler.join(10)
    waiter.join(10)
    assert results == [(True, [provider])]


def test_an_api_that_stopped_listening_is_an_error_after_one_more_attempt() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    client = ExtensionClient(f"127.0.0.1:{server.getsockname()[1]}")
    client.identifier = IDENTIFIER

    def serve_once() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(invoke("r1"))
        server.close()  # nothing listens on the port from now on

    thread = threading.Thread(target=serve_once, daemon=True)
    thread.start()
    try:
        assert client.next_event()["requestId"] == "r1"
        thread.join(10)
        with pytest.raises(ExtensionApiError, match="event/next: ConnectionRefusedError"):
            client.next_event()
    finally:
        client.close()
