"""The HTTP routing of the Runtime and Extensions APIs: requests in, ``Environment`` calls, answers out."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from lambda_otel_lite.local.environment import DROPPED, REFUSED, STOPPING
from lambda_otel_lite.local.model import EXTENSION_PREFIX, RUNTIME_PREFIX, error_body

if TYPE_CHECKING:
    from lambda_otel_lite.local.environment import Environment, Extension


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A connection the function dropped (killed, timed out) is part of the job, not an error.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def handler_class(
    environment: Environment, *, function_arn: str, function_name: str, handler: str, xray_tracing: bool
) -> type[BaseHTTPRequestHandler]:
    """The request handler class of one environment's server."""

    class Handler(ApiHandler):
        pass

    Handler.environment = environment
    Handler.function_arn = function_arn
    Handler.function_name = function_name
    Handler.handler_name = handler
    Handler.xray_tracing = xray_tracing
    return Handler


class JsonHandler(BaseHTTPRequestHandler):
    """What both local Lambdas' API servers share: HTTP/1.1 keep-alive, no Nagle delay, JSON answers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def setup(self) -> None:
        super().setup()
        # Small request/response pairs: without this, Nagle's algorithm and delayed ACKs add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, status: int, body: object = None, headers: dict[str, str] | None = None) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body if body is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        try:
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:  # the function was killed or frozen for good: nobody reads this answer
            self.close_connection = True

    def _error(self, status: int, error_type: str, message: str) -> None:
        self._send(status, {"errorType": error_type, "errorMessage": message})

    def _stopping(self) -> None:
        self._error(500, "ServiceStopping", "the local runtime is shutting down")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class ApiHandler(JsonHandler):
    """The Runtime API and the Extensions API, on one server, as in Lambda."""

    environment: Environment
    function_arn: str
    function_name: str
    handler_name: str
    xray_tracing: bool

    def do_GET(self) -> None:
        snap_start = self.environment.snap_start
        if self.path == f"{RUNTIME_PREFIX}/invocation/next":
            self._runtime_next()
        elif self.path == f"{RUNTIME_PREFIX}/restore/next" and snap_start:
            self._restore_next()
        elif self.path == f"{EXTENSION_PREFIX}/event/next":
            self._extension_next()
        else:
            self._error(404, "InvalidRequest", f"unknown path {self.path}")

    def do_POST(self) -> None:
        received_ns = time.monotonic_ns()
        path = self.path
        body = self._body()
        environment = self.environment
        if path.startswith(f"{RUNTIME_PREFIX}/invocation/"):
            request_id, _, outcome = path[len(f"{RUNTIME_PREFIX}/invocation/") :].partition("/")
            if outcome not in ("response", "error"):
                self._error(404, "InvalidRequest", f"unknown path {path}")
            elif environment.runtime_result(request_id, outcome, body, received_ns):
                self._send(202, {"status": "OK"})
            else:
                self._error(400, "InvalidRequestID", f"no running invocation {request_id}")
        elif path == f"{RUNTIME_PREFIX}/init/error":
            environment.init_failed(error_body(body))
            self._send(202, {"status": "OK"})
        elif path == f"{RUNTIME_PREFIX}/restore/error" and environment.snap_start:
            environment.restore_failed(error_body(body), self.headers.get("Lambda-Runtime-Function-Error-Type"))
            self._send(202, {"status": "OK"})
        elif path == f"{EXTENSION_PREFIX}/register":
            self._register(body)
        elif path in (f"{EXTENSION_PREFIX}/init/error", f"{EXTENSION_PREFIX}/exit/error"):
            extension = self._extension()
            if extension is not None:
                error_type = self.headers.get("Lambda-Extension-Function-Error-Type")
                environment.extension_failed(extension, path.rsplit("/", 2)[-2], error_body(body), error_type)
                self._send(202, {"status": "OK"})
        else:
            self._error(404, "InvalidRequest", f"unknown path {path}")

    # --- Runtime API --------------------------------------------------------------------------

    def _runtime_next(self) -> None:
        invocation = self.environment.runtime_next()
        if invocation is None:
            self._stopping()
            return
        self._send(200, invocation.event, invocation.next_headers(self.function_arn, xray_sampled=self.xray_tracing))

    def _restore_next(self) -> None:
        """SnapStart: init is over, the snapshot is taken here; the answer is the restore."""
        outcome = self.environment.restore_next()
        if outcome == REFUSED:
            self._error(403, "InvalidStateTransition", "restore/next is called once, at the end of init")
        elif outcome == STOPPING:
            self._stopping()
        else:
            self._send(200, {})

    # --- Extensions API -----------------------------------------------------------------------

    def _register(self, body: bytes) -> None:
        environment = self.environment
        name = self.headers.get("Lambda-Extension-Name")
        if not name:
            self._error(400, "InvalidRequest", "missing Lambda-Extension-Name header")
            return
        try:
            events = json.loads(body or b"{}").get("events", [])
        except (ValueError, AttributeError):
            self._error(400, "InvalidRequest", "the body must be a JSON object with 'events'")
            return
        unknown = [event for event in events if event not in ("INVOKE", "SHUTDOWN")]
        if unknown or not isinstance(events, list):
            self._error(400, "InvalidRequest", f"unknown event types {unknown}")
            return
        if "SHUTDOWN" in events:
            self._error(403, "Extension.InvalidEventType", "internal extensions cannot register for SHUTDOWN")
            environment.log("register-refused", name=name, reason="Extension.InvalidEventType")
            return
        identifier = environment.register(name, events)
        if identifier is None:
            self._error(403, "Extension.RegistrationClosed", "registration is closed once the runtime called /next")
            return
        self._send(
            200,
            {"functionName": self.function_name, "functionVersion": "$LATEST", "handler": self.handler_name},
            {"Lambda-Extension-Identifier": identifier},
        )

    def _extension(self) -> Extension | None:
        identifier = self.headers.get("Lambda-Extension-Identifier", "")
        extension = self.environment.extensions.get(identifier)
        if extension is None:
            self._error(403, "Extension.UnknownExtensionIdentifier", f"unknown extension {identifier!r}")
        return extension

    def _extension_next(self) -> None:
        extension = self._extension()
        if extension is None:
            return
        invocation = self.environment.extension_next(extension)
        if invocation == DROPPED:  # fault injection: the API drops the connection
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if invocation is None or isinstance(invocation, str):
            self._stopping()
            return
        self._send(
            200,
            {
                "eventType": "INVOKE",
                "deadlineMs": invocation.deadline_ms,
                "requestId": invocation.request_id,
                "invokedFunctionArn": self.function_arn,
                "tracing": {"type": "X-Amzn-Trace-Id", "value": ""},
            },
            {"Lambda-Extension-Event-Identifier": str(uuid.uuid4())},
        )
