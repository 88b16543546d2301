"""A minimal client of the Lambda Extensions API: register, ``/event/next`` kept alive, ``/exit/error``.

Plain sockets, not ``http.client``: its import (with ``ssl`` and ``email``) would add tens of
milliseconds to every cold start in async and finalize modes. The thread that uses the client is
:mod:`lambda_otel_lite._extension`; this module knows HTTP/1.1 and the API's paths, nothing of spans.
"""

from __future__ import annotations

import json
import logging
import socket
from typing import TYPE_CHECKING, Any, BinaryIO

from lambda_otel_lite import _config

if TYPE_CHECKING:
    from collections.abc import Callable
    from io import BufferedReader

logger = logging.getLogger("lambda_otel_lite.extension")

EXTENSION_NAME = "lambda-otel-lite-internal"
API_VERSION = "2020-01-01"
REGISTER_PATH = f"/{API_VERSION}/extension/register"
NEXT_PATH = f"/{API_VERSION}/extension/event/next"
EXIT_ERROR_PATH = f"/{API_VERSION}/extension/exit/error"
IDENTIFIER_HEADER = "Lambda-Extension-Identifier"
REGISTER_TIMEOUT_SECONDS = 2.0
"""Registration happens in the init phase; a black-holed API must not eat the init budget."""


class ExtensionApiError(Exception):
    """The Extensions API answered with an unexpected status, or could not be reached."""


_MAX_LINE = 65536


def _read_response(reader: BinaryIO) -> tuple[int, dict[str, str], bytes]:
    """Parse an HTTP/1.x response: status, headers (names lower-cased) and the whole body."""
    status_line = reader.readline(_MAX_LINE + 1)
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP response: {status_line[:100]!r}")
    headers: dict[str, str] = {}
    while True:
        line = reader.readline(_MAX_LINE + 1)
        if line in (b"\r\n", b"\n", b""):
            break
        name, separator, value = line.decode("latin-1").partition(":")
        if not separator:
            raise ValueError(f"malformed header line: {line[:100]!r}")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while size := int(reader.readline(_MAX_LINE + 1).split(b";", 1)[0].strip() or b"0", 16):
            chunks.append(reader.read(size))
            reader.readline(_MAX_LINE + 1)  # the CRLF after each chunk
        body = b"".join(chunks)
    elif "content-length" in headers:
        length = int(headers["content-length"])
        body = reader.read(length)
        if len(body) != length:
            raise ValueError(f"the connection closed after {len(body)} of {length} body bytes")
    else:
        body = reader.read()  # the server closes the connection after the body
    return int(parts[1]), headers, body


class ExtensionClient:
    """A minimal client of the Lambda Extensions API (HTTP/1.1 over plain sockets).

    ``register`` and ``exit_error`` use a connection each. ``next_event``, called once per
    invocation, keeps its connection open between calls (HTTP/1.1 keep-alive) and sends a request
    built once: no connect, accept and close per invocation, on the extension thread or on the API's
    side, between the flush and the return to ``/next``.

    Thread rules: ``next_event`` is called from the extension thread only.
    """

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ExtensionApiError(f"{_config.RUNTIME_API.name}={address!r} is not host:port")
        self.host = host.strip("[]")
        self.port = int(port)
        self.identifier = ""
        self._next_request = b""
        self._connection: socket.socket | None = None
        self._reader: BufferedReader | None = None

    def _call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        timeout: float | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP/1.1 exchange on a fresh connection; returns status, lower-cased headers, body.

        Plain sockets rather than ``http.client``, whose import (with ``ssl`` and ``email``) would
        add tens of milliseconds to every cold start in async and finalize modes.
        """
        payload = b"" if body is None else json.dumps(body).encode()
        headers = {
            "Host": f"{self.host}:{self.port}",
            "Connection": "close",
            "Content-Type": "application/json",
            "Content-Length": str(len(payload)),
            **(extra_headers or {}),
        }
        if self.identifier:
            headers[IDENTIFIER_HEADER] = self.identifier
        else:
            headers["Lambda-Extension-Name"] = EXTENSION_NAME
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode("latin-1") + payload
        try:
            with socket.create_connection((self.host, self.port), timeout=timeout) as connection:
                # no Nagle delay on these small request/response pairs
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                connection.sendall(request)
                with connection.makefile("rb") as reader:
                    return _read_response(reader)
        except (OSError, ValueError) as exc:
            raise ExtensionApiError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc

    def register(self, events: list[str]) -> str:
        status, headers, body = self._call("POST", REGISTER_PATH, {"events": events}, timeout=REGISTER_TIMEOUT_SECONDS)
        identifier = headers.get(IDENTIFIER_HEADER.lower())
        if status != 200 or not identifier:
            raise ExtensionApiError(f"register answered {status}: {body[:300].decode(errors='replace')}")
        self.identifier = identifier
        return identifier

    def next_event(self, on_arrival: Callable[[], object] | None = None) -> dict[str, Any]:
        """Block until the next event (no timeout: a frozen environment sits in this call).

        *on_arrival* is called once the answer begins to arrive, before it is read.
        """
        status, _, body = self._next_exchange(on_arrival)
        if status != 200:
            raise ExtensionApiError(f"event/next answered {status}: {body[:300].decode(errors='replace')}")
        event: dict[str, Any] = json.loads(body)
        return event

    def _next_exchange(self, on_arrival: Callable[[], object] | None) -> tuple[int, dict[str, str], bytes]:
        """``GET /event/next`` on the kept-alive connection, opening one when there is none.

        A kept-alive connection the API closed while it was idle fails before the first byte of the
        answer; the request is sent once more on a new connection, as HTTP clients do with an
        idempotent request. Any other failure, and any failure on a new connection, is an
        :class:`ExtensionApiError`.
        """
        if not self._next_request:
            self._next_request = (
                f"GET {NEXT_PATH} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"{IDENTIFIER_HEADER}: {self.identifier}\r\n\r\n"
            ).encode("latin-1")
        while True:
            reused = self._connection is not None
            try:
                connection, reader = self._connect()
                connection.sendall(self._next_request)
                answered = bool(reader.peek(1))  # blocks until the answer begins, or the connection ends
            except OSError as exc:
                self._disconnect()
                if reused:
                    continue  # stale: once more on a new connection (which is then not reused)
                raise ExtensionApiError(f"GET {NEXT_PATH}: {type(exc).__name__}: {exc}") from exc
            if answered or not reused:
                break
            self._disconnect()  # closed while idle: once more on a new connection
        if answered and on_arrival is not None:
            on_arrival()
        try:
            status, headers, body = _read_response(reader)
        except (OSError, ValueError) as exc:
            self._disconnect()
            raise ExtensionApiError(f"GET {NEXT_PATH}: {type(exc).__name__}: {exc}") from exc
        delimited = "content-length" in headers or headers.get("transfer-encoding", "").lower() == "chunked"
        if not delimited or headers.get("connection", "").lower() == "close":
            self._disconnect()  # the body ran to the end of the connection, or the API closes it
        return status, headers, body

    def _connect(self) -> tuple[socket.socket, BufferedReader]:
        if self._connection is None or self._reader is None:
            connection = socket.create_connection((self.host, self.port))
            try:
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._reader = connection.makefile("rb")
            except OSError:
                connection.close()
                raise
            self._connection = connection
        return self._connection, self._reader

    def close(self) -> None:
        """Close the kept-alive connection, if any (the extension thread keeps it for the process's life)."""
        self._disconnect()

    def _disconnect(self) -> None:
        reader, connection = self._reader, self._connection
        self._reader = self._connection = None
        for closable in (reader, connection):
            if closable is not None:
                try:
                    closable.close()
                except OSError:
                    logger.debug("closing the event/next connection failed", exc_info=True)

    def exit_error(self, error_type: str, message: str) -> None:
        body = {"errorMessage": message, "errorType": error_type, "stackTrace": []}
        try:
            self._call(
                "POST",
                EXIT_ERROR_PATH,
                body,
                timeout=REGISTER_TIMEOUT_SECONDS,
                extra_headers={"Lambda-Extension-Function-Error-Type": error_type},
            )
        except ExtensionApiError as exc:
            logger.debug("could not report the extension error: %s", exc)
