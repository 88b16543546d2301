"""The internal Lambda extension: async and finalize modes, and the SIGTERM flush.

Lambda considers an invocation complete, and may freeze the execution environment, only when the
runtime and every extension subscribed to INVOKE events are back in their ``/next`` calls. An
*internal* extension is a thread of the function's own process that registers with the Extensions
API; it can subscribe to INVOKE only (Lambda refuses SHUTDOWN for internal extensions), and its
only shutdown hook is the SIGTERM Lambda sends to the runtime process.

Async mode (``LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE=async``): the extension thread registers for
INVOKE inside :func:`~lambda_otel_lite.init_telemetry` (registration closes at the runtime's first
``/runtime/invocation/next``). For each INVOKE event it waits for the instrumented handler to
finish (``traced_handler`` / ``@instrumented`` signal it), flushes the tracer provider, and only then
calls ``/extension/event/next``. The caller already has the response; the export runs before Lambda
may freeze the process, so no span waits in a frozen queue. What the thread does per invocation is
kept off the handler's way: it reads the INVOKE event only once the handler signalled (reading it
would take the GIL while the runtime starts the handler), the signal costs the handler a list
append and a lock release, and ``/event/next`` goes over one kept-alive connection.

Finalize mode: the extension registers for no events at all. That keeps SIGTERM coming at shutdown;
the user's processors (``BatchSpanProcessor``) export on their own schedule.

SIGTERM (async and finalize): flush every processor within Lambda's grace period (500 ms with only
internal extensions), shut the provider down, then call the handler that was installed before, or
exit with status 0. Python runs signal handlers only on the main thread while it executes Python
code, and ``awslambdaric`` keeps the main thread in native code or on a lock while it waits for the
next event; the kernel may also deliver SIGTERM to another thread. So the flush is also driven from
the interpreter's signal wake-up fd, by a named daemon thread: it runs whatever the main thread is
doing, with or without a managed ``AWS_EXECUTION_ENV``. Only when something else (an asyncio loop,
say) already owns the wake-up fd does the flush depend on the main thread running the handler.

Failures never reach the handler and lose no span: no ``AWS_LAMBDA_RUNTIME_API``, a refused
registration or an unreachable API give sync mode with one warning; an extension thread that fails
reports ``/extension/exit/error``, flushes, and switches the process to sync mode.

Thread rules: one named daemon thread; the handler thread only appends a signal and releases a
wake-up lock; waits are bounded by the invocation's deadline.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from lambda_otel_lite import _config
from lambda_otel_lite._log import OnceLogger

if TYPE_CHECKING:
    from collections.abc import Callable
    from io import BufferedReader
    from types import FrameType

    from lambda_otel_lite._config import Config
    from lambda_otel_lite._flusher import ProcessFlusher

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)

EXTENSION_NAME = "lambda-otel-lite-internal"
THREAD_NAME = "lambda-otel-lite-extension"
SIGTERM_THREAD_NAME = "lambda-otel-lite-sigterm"
API_VERSION = "2020-01-01"
REGISTER_PATH = f"/{API_VERSION}/extension/register"
NEXT_PATH = f"/{API_VERSION}/extension/event/next"
EXIT_ERROR_PATH = f"/{API_VERSION}/extension/exit/error"
IDENTIFIER_HEADER = "Lambda-Extension-Identifier"
REGISTER_TIMEOUT_SECONDS = 2.0
"""Registration happens in the init phase; a black-holed API must not eat the init budget."""
SIGTERM_BUDGET_MILLIS = 400
"""Lambda gives 500 ms between SIGTERM and SIGKILL when only internal extensions are registered."""
READ_AFTER_HANDLER_SECONDS = 0.1
"""Async mode reads an INVOKE event after the handler signalled, or after this long (a longer or an
uninstrumented handler): a bound, so a failing answer is not left unread."""


class Hooks(NamedTuple):
    """What the extension thread, the process flusher and the SIGTERM flush call, given by ``telemetry``.

    This module never imports ``telemetry`` (as the SDK's batch processor knows only its exporter):
    ``telemetry`` builds the hooks over its state and hands them over when it starts a mode.
    """

    provider: Callable[[], object]
    """The active tracer provider (None before ``init_telemetry``)."""
    flush: Callable[[object], None]
    """Flush one provider; logs a failure once, never raises."""
    fell_back: Callable[[object], None]
    """The thread (the argument) is gone: export inline, in sync mode, from now on."""
    is_current: Callable[[object], bool]
    """Whether the argument is still the process's extension (not replaced by a later init)."""


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


class _Completions:
    """Handler-complete signals, keyed by request id.

    Thread rules: handler threads call :meth:`complete`, which costs the handler a list append and
    a lock release (two C calls, no Python-level condition variable); the extension thread alone
    calls :meth:`wait`, blocked on the wake-up lock that :meth:`complete` releases, with the
    invocation's deadline as its timeout.
    """

    def __init__(self) -> None:
        self._signals: list[tuple[str | None, object]] = []  # appended by handlers, popped by wait()
        self._wakeup = threading.Lock()
        self._wakeup.acquire()  # held while no signal is pending: wait() blocks on it
        self._last_provider: object = None

    def complete(self, request_id: str | None, provider: object) -> None:
        self._signals.append((request_id, provider))
        # try/except, not contextlib.suppress: this runs in every handler, and a try costs nothing
        try:  # noqa: SIM105
            self._wakeup.release()
        except RuntimeError:  # released already: a wake-up is pending, and wait() reads every signal
            pass

    def wait(self, request_id: str | None, deadline: float) -> tuple[bool, list[object]]:
        """Wait until *request_id* (or an invocation without id) completed, or *deadline* (monotonic).

        Returns whether it completed, and the providers to flush: those of every signal read (a late
        signal of an earlier invocation is stale, but its provider is flushed too), or, when none
        arrived, the provider of the last signal ever read (None: the active provider).
        """
        providers: list[object] = []
        while True:
            completed = False
            while self._signals:
                signalled, provider = self._signals.pop(0)
                completed = completed or signalled == request_id or signalled is None
                if not any(provider is known for known in providers):
                    providers.append(provider)
                self._last_provider = provider
            if completed:
                self._wakeup.acquire(blocking=False)  # its wake-up, if still pending, is spent
                return True, providers
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False, providers or [self._last_provider]
            self._wakeup.acquire(timeout=min(remaining, threading.TIMEOUT_MAX))

    def take_all(self) -> list[object]:
        """Block until a signal is pending; read every pending one; their providers (one each, in order)."""
        while True:
            self._wakeup.acquire()
            providers: list[object] = []
            while self._signals:
                _, provider = self._signals.pop(0)
                if not any(provider is known for known in providers):
                    providers.append(provider)
            if providers:
                return providers

    def wait_signal(self, timeout: float) -> None:
        """Block until a signal is pending, or for *timeout* seconds; the signal stays for :meth:`wait`."""
        if not self._signals:
            self._wakeup.acquire(timeout=timeout)


class CompletionThread:
    """A thread that exports after the handlers signal their invocations' end (:meth:`handler_complete`).

    The internal extension is one (it also speaks to the Extensions API); the process flusher of
    Managed Instances is the other.
    """

    thread_name = THREAD_NAME

    def __init__(self, mode: _config.ProcessorMode, hooks: Hooks) -> None:
        self.mode = mode
        self.hooks = hooks
        self.completions = _Completions()
        self.thread: threading.Thread | None = None
        self.alive = False
        self.invocations = 0

    def start(self) -> None:
        self.alive = True
        self.thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self.thread.start()

    def handler_complete(self, request_id: str | None, provider: object) -> bool:
        """Signal the end of an invocation; False when the thread is gone (flush inline instead)."""
        if not self.alive:
            return False
        self.completions.complete(request_id, provider)
        return True

    def _run(self) -> None:
        raise NotImplementedError

    def _flush_each(self, providers: list[object]) -> None:
        """Flush every provider of *providers* once (None: the active one)."""
        hooks = self.hooks
        flushed: list[object] = []
        for provider in providers:
            target = provider if provider is not None else hooks.provider()
            if not any(target is done for done in flushed):
                hooks.flush(target)
                flushed.append(target)


class InternalExtension(CompletionThread):
    """The extension thread: flushes per invocation in async mode; in finalize mode it only waits."""

    def __init__(self, client: ExtensionClient, mode: _config.ProcessorMode, hooks: Hooks) -> None:
        super().__init__(mode, hooks)
        self.client = client

    def _run(self) -> None:
        on_arrival = self._read_after_handler if self.mode is _config.ProcessorMode.ASYNC else None
        try:
            while True:
                event = self.client.next_event(on_arrival)  # finalize mode: blocks for good, which ends the init
                if self.mode is not _config.ProcessorMode.ASYNC or event.get("eventType") != "INVOKE":
                    continue
                request_id = event.get("requestId")
                deadline_ms = event.get("deadlineMs")
                seconds_left = deadline_ms / 1000 - time.time() if isinstance(deadline_ms, int | float) else 900.0
                completed, providers = self.completions.wait(request_id, time.monotonic() + max(seconds_left, 0.0))
                if not completed:
                    self._report_deadline(request_id)
                self._flush_each(providers)
                self.invocations += 1
        except BaseException as exc:  # the thread must never die silently
            self._die(exc)

    @staticmethod
    def _report_deadline(request_id: object) -> None:
        from lambda_otel_lite._timeouts import WATCHDOG

        if any(invocation.request_id == request_id for invocation in WATCHDOG.running()):
            _once.warning(
                "deadline-running",
                "async mode: invocation %s reached its deadline with its instrumented handler still running "
                "(the timeout watchdog is off: %s=0); spans are flushed now",
                request_id,
                _config.TIMEOUT_MARGIN_MS.name,
            )
            return
        _once.warning(
            "no-completion",
            "async mode: invocation %s reached its deadline and no instrumented handler ran for it "
            "(wrap the handler with @instrumented or traced_handler, or use sync mode); spans are flushed now",
            request_id,
        )

    def _read_after_handler(self) -> None:
        """The INVOKE event is arriving: read it once the handler signalled (or after a bound).

        Reading and parsing it takes the GIL exactly while the runtime reads its own copy of the
        event and starts the handler; after the handler, the same work waits for nothing.
        """
        self.completions.wait_signal(READ_AFTER_HANDLER_SECONDS)

    def _die(self, exc: BaseException) -> None:
        hooks = self.hooks
        self.alive = False
        if not hooks.is_current(self):  # replaced by a later init_telemetry(): nothing to hand over
            return
        hooks.fell_back(self)
        logger.warning(
            "The lambda-otel-lite extension thread failed (%s: %s); spans are exported in sync mode from now on",
            type(exc).__name__,
            exc,
        )
        hooks.flush(hooks.provider())  # what the last handler queued before the switch
        self.client.exit_error("Extension.Crash", f"{type(exc).__name__}: {exc}")


class _SigtermHandler:
    """Flush and shut down on SIGTERM, then chain to the previous handler or exit 0.

    Python runs signal handlers on the main thread only, and only while it executes Python code.
    The kernel may deliver SIGTERM to any thread of the process (it picks another one when the main
    thread has a signal pending, e.g. the SIGCONT of the thaw that precedes Lambda's shutdown), and
    then a main thread blocked on a lock, such as ``awslambdaric`` joining its ``/next`` poller,
    never runs the handler. So the handler also sets the interpreter's signal wake-up fd: a named
    daemon thread reads it and flushes, whatever thread the signal reached and whatever the main
    thread is blocked in (this also covers ``awslambdaric`` without a managed ``AWS_EXECUTION_ENV``,
    whose main thread sits in native code). The flush runs once, on whichever side gets there first.
    """

    def __init__(self, previous: Any, provider: Callable[[], object]) -> None:
        self.previous = previous
        self.provider = provider
        self._lock = threading.Lock()
        self._flushed = False
        self._pipe: tuple[int, int] | None = None

    def flush_once(self) -> bool:
        """Flush and shut the provider down; True for the one call that did it (and may exit)."""
        with self._lock:  # a second caller waits here until the flush is over
            if self._flushed:
                return False
            self._flushed = True
            started = time.monotonic()
            try:
                from lambda_otel_lite._timeouts import time_out_running

                time_out_running(shutting_down=True)  # the reset after a timeout: end what still runs
            except Exception:
                logger.warning("SIGTERM: ending the running invocation failed", exc_info=True)
            provider: Any = self.provider()
            if provider is not None:
                try:
                    provider.force_flush(SIGTERM_BUDGET_MILLIS)
                except Exception:
                    logger.warning("SIGTERM: flushing the tracer provider failed", exc_info=True)
                remaining = SIGTERM_BUDGET_MILLIS / 1000 - (time.monotonic() - started)
                # shutdown() may join processor threads without a timeout: bound it.
                closer = threading.Thread(target=provider.shutdown, name="lambda-otel-lite-shutdown", daemon=True)
                closer.start()
                closer.join(max(remaining, 0.0))
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:
                    logger.debug("could not flush %r", stream)
            return True

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        """The Python-level handler, on the main thread."""
        flushed_here = self.flush_once()
        if callable(self.previous):
            self.previous(signum, frame)
        elif flushed_here:
            # The runtime's poller thread (non-daemon) would keep the interpreter alive past the
            # grace period, so sys.exit() could end in SIGKILL; the telemetry is out, leave now.
            os._exit(0)
        # else the wake-up fd thread flushed, and it ends the process: one exit, from one thread

    def watch(self) -> bool:
        """Start the wake-up fd reader; False when something else already owns the wake-up fd."""
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        if previous_fd != -1:  # someone else's (e.g. an asyncio loop): leave it to them
            signal.set_wakeup_fd(previous_fd)
            os.close(read_end)
            os.close(write_end)
            return False
        self._pipe = (read_end, write_end)
        threading.Thread(target=self._watch, args=(read_end,), name=SIGTERM_THREAD_NAME, daemon=True).start()
        return True

    def _watch(self, read_end: int) -> None:
        try:
            while data := os.read(read_end, 64):  # empty: the write end was closed by unwatch()
                # With a previous handler, the process ends as that handler decides: Python calls it
                # on the main thread when the main thread next runs Python code.
                if signal.SIGTERM in data and self.flush_once() and not callable(self.previous):
                    os._exit(0)
        except OSError:
            logger.debug("the SIGTERM wake-up pipe failed", exc_info=True)
        finally:
            os.close(read_end)

    def unwatch(self) -> None:
        if self._pipe is not None:
            if signal.set_wakeup_fd(-1) not in (-1, self._pipe[1]):
                logger.debug("the signal wake-up fd had been replaced")
            os.close(self._pipe[1])
            self._pipe = None


def uninstall_sigterm_handler() -> None:
    """Put back the SIGTERM handler that was there before :func:`install_sigterm_handler`. Tests only."""
    current = signal.getsignal(signal.SIGTERM)
    if isinstance(current, _SigtermHandler):
        current.unwatch()
        previous = current.previous
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def install_sigterm_handler(provider: Callable[[], object]) -> bool:
    """Install the SIGTERM flush of the provider *provider* returns (once per process). False off the main thread."""
    current = signal.getsignal(signal.SIGTERM)
    if isinstance(current, _SigtermHandler):
        return True
    handler = _SigtermHandler(current, provider)
    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        _once.warning(
            "sigterm-thread",
            "init_telemetry() ran outside the main thread, so no SIGTERM handler was installed; spans still "
            "queued at shutdown may be lost",
        )
        return False
    if not handler.watch():
        logger.debug("the signal wake-up fd is in use; SIGTERM is handled on the main thread only")
    return True


def start(config: Config, hooks: Hooks) -> tuple[_config.ProcessorMode, InternalExtension | ProcessFlusher | None]:
    """Register the internal extension for *config.mode*.

    Returns the mode in effect and the extension (None in sync mode): sync, with one warning, when
    the Extensions API is missing, unreachable or refuses the registration.
    """
    mode = config.mode
    if config.managed_instances:
        return _start_without_extension(mode, hooks)
    if config.runtime_api is None:
        logger.warning(
            "%s=%s needs the Lambda Extensions API, but %s is not set (not running in Lambda?); "
            "spans are exported in sync mode instead",
            _config.MODE.name,
            mode.value,
            _config.RUNTIME_API.name,
        )
        return _config.ProcessorMode.SYNC, None
    events = ["INVOKE"] if mode is _config.ProcessorMode.ASYNC else []
    try:
        client = ExtensionClient(config.runtime_api)
        client.register(events)
    except ExtensionApiError as exc:
        logger.warning(
            "%s=%s: registering the internal extension failed (%s); spans are exported in sync mode instead",
            _config.MODE.name,
            mode.value,
            exc,
        )
        return _config.ProcessorMode.SYNC, None
    extension = InternalExtension(client, mode, hooks)
    extension.start()  # Lambda ends the init phase only when every registered extension called /next
    install_sigterm_handler(hooks.provider)
    return mode, extension


def _start_without_extension(
    mode: _config.ProcessorMode, hooks: Hooks
) -> tuple[_config.ProcessorMode, ProcessFlusher | None]:
    """Lambda Managed Instances: no INVOKE subscription, nothing frozen, a process per request.

    Async mode exports from a thread of the process after each invocation; finalize mode leaves it
    to your processors. Both flush on the SIGTERM of the environment's shutdown. No extension is
    registered from a worker process.
    """
    install_sigterm_handler(hooks.provider)
    if mode is not _config.ProcessorMode.ASYNC:
        return mode, None
    from lambda_otel_lite._flusher import ProcessFlusher

    flusher = ProcessFlusher(hooks, mode)
    flusher.start()
    return mode, flusher
