"""The state of one execution environment, without sockets or processes: unit-testable on its own.

:class:`Environment` holds what Lambda's rules decide on: the registration window, the extensions
and what each waits for, the dispatch barrier, completion, and SnapStart's snapshot and restore.
The HTTP layer (:mod:`.api`) calls its ``runtime_*`` and ``extension_*`` methods from request
threads, which block where Lambda's API blocks; the facade (:mod:`.runtime`) dispatches and waits.
Every method takes the one condition, which also orders the event log.

Completion is announced through *on_complete*, called with the condition held (the facade drains
the function's output and freezes it there, so that what was printed before a completion is logged
before it).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lambda_otel_lite.local.model import Invocation, LogEntry, error_body

if TYPE_CHECKING:
    from collections.abc import Callable

REFUSED = "refused"
STOPPING = "stopping"
DROPPED = "dropped"


@dataclass(slots=True)
class Extension:
    """One registered extension and where it stands."""

    name: str
    events: list[str]
    waiting: bool = False
    ready: bool = False
    """Called /next at least once: done with its init."""
    pending: Invocation | None = None
    exited: bool = False


@dataclass
class Environment:
    """One execution environment's state machine (see the module docstring).

    Thread rules: every method may run on any thread; each takes :attr:`condition`.
    """

    snap_start: bool = False
    drop_extension_next_after: int | None = None
    """Fault injection: an extension's ``/event/next`` is closed once this many invocations completed."""
    on_complete: Callable[[Invocation], None] = lambda invocation: None
    condition: threading.Condition = field(default_factory=threading.Condition)
    events: list[LogEntry] = field(default_factory=list[LogEntry])
    stopping: bool = False

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """A new environment (after a timeout or an exit): everything but the event log."""
        with self.condition:
            self.registration_open = True
            self.extensions: dict[str, Extension] = {}
            self.runtime_waiting = False
            self.runtime_pending: Invocation | None = None
            self.current: Invocation | None = None
            self.init_error: dict[str, Any] | None = None
            self.initialised = False
            self.completed_count = 0
            self.snapshot_taken = False
            self.restore_requested = False
            self.restore_error: dict[str, Any] | None = None
            self.restore_error_type: str | None = None

    # --- the event log ----------------------------------------------------------------------

    def log(self, kind: str, **detail: Any) -> None:
        with self.condition:
            self.events.append(LogEntry(time.monotonic_ns(), kind, detail))
            self.condition.notify_all()

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait (on the condition) until *predicate* holds; False if *timeout* seconds passed first."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.condition.wait(remaining)
            return True

    def stop(self) -> None:
        """The service stops: every blocked ``/next`` answers 500."""
        with self.condition:
            self.stopping = True
            self.condition.notify_all()

    # --- the barrier, dispatch and completion ----------------------------------------------

    def ready_for_dispatch(self) -> bool:
        """The runtime and every extension subscribed to INVOKE wait in ``/next``, with nothing pending."""
        if not self.runtime_waiting or self.runtime_pending is not None:
            return False
        for extension in self.extensions.values():
            if extension.exited:
                continue
            if not extension.ready:
                return False  # still in its init
            if "INVOKE" in extension.events and (not extension.waiting or extension.pending is not None):
                return False
        return True

    def dispatch(self, invocation: Invocation) -> None:
        """Hand *invocation* to the runtime and to every extension subscribed to INVOKE."""
        with self.condition:
            self.current = invocation
            invocation.dispatched_ns = time.monotonic_ns()
            self.events.append(
                LogEntry(
                    invocation.dispatched_ns,
                    "dispatch",
                    {"number": invocation.number, "request_id": invocation.request_id},
                )
            )
            self.runtime_pending = invocation
            for extension in self.extensions.values():
                if "INVOKE" in extension.events and not extension.exited:
                    extension.pending = invocation
            self.condition.notify_all()

    def request_restore(self) -> bool:
        """SnapStart: let the runtime's ``/runtime/restore/next`` return; False if there is no snapshot to restore."""
        with self.condition:
            if not self.snapshot_taken or self.restore_requested:
                return False
            self.restore_requested = True
            self.condition.notify_all()
            return True

    def _check_complete(self) -> None:
        """With the condition held, whenever the runtime or an extension comes back to ``/next``."""
        invocation = self.current
        if invocation is None or not invocation.done.is_set() or invocation.complete.is_set():
            return
        if not self.ready_for_dispatch():
            return
        self.current = None
        self.completed_count += 1
        self.on_complete(invocation)
        invocation.complete.set()
        self.condition.notify_all()

    # --- the Runtime API ----------------------------------------------------------------------

    def runtime_next(self) -> Invocation | None:
        """``/runtime/invocation/next``: init ends at the first; block until an invocation (None: stopping)."""
        with self.condition:
            if self.registration_open:
                self.registration_open = False
                self.initialised = True
            self.runtime_waiting = True
            self._check_complete()
            self.condition.notify_all()
            while self.runtime_pending is None and not self.stopping:
                self.condition.wait()
            invocation = self.runtime_pending
            self.runtime_pending = None
            self.runtime_waiting = False
            return invocation

    def runtime_result(self, request_id: str, outcome: str, body: bytes, received_ns: int) -> bool:
        """``/runtime/invocation/{id}/response`` or ``/error``; False for an id that is not running."""
        with self.condition:
            invocation = self.current
            if invocation is None or invocation.request_id != request_id or invocation.done.is_set():
                return False
            if outcome == "response":
                invocation.response = body
            else:
                invocation.error = error_body(body)
            invocation.responded_ns = received_ns
            self.events.append(
                LogEntry(time.monotonic_ns(), outcome, {"number": invocation.number, "request_id": request_id})
            )
            # Done before the 202: the runtime's next /next must find the response recorded.
            invocation.done.set()
            self.condition.notify_all()
            return True

    def init_failed(self, error: dict[str, Any]) -> None:
        with self.condition:
            self.init_error = error
            self.condition.notify_all()
        self.log("init-error", error=error)

    def restore_next(self) -> str | None:
        """SnapStart's ``/runtime/restore/next``: the snapshot is taken, and the call returns at the restore.

        None once restored; :data:`REFUSED` for a second call, :data:`STOPPING` when the service stops.
        """
        with self.condition:
            if self.snapshot_taken:
                return REFUSED
            self.registration_open = False
            self.snapshot_taken = True
            self.initialised = True
            self.condition.notify_all()
            while not self.restore_requested and not self.stopping:
                self.condition.wait()
            return STOPPING if self.stopping else None

    def restore_failed(self, error: dict[str, Any], error_type: str | None) -> None:
        with self.condition:
            self.restore_error = error
            self.restore_error_type = error_type
            self.condition.notify_all()
        self.log("restore-error", error=error, error_type=error_type)

    # --- the Extensions API -------------------------------------------------------------------

    def register(self, name: str, events: list[str]) -> str | None:
        """``/extension/register``: the extension's identifier, or None once the window closed."""
        with self.condition:
            if not self.registration_open:
                refused = True
            else:
                refused = False
                identifier = str(uuid.uuid4())
                self.extensions[identifier] = Extension(name, list(events))
        if refused:
            self.log("register-refused", name=name, reason="Extension.RegistrationClosed")
            return None
        self.log("register", name=name, events=events, identifier=identifier)
        return identifier

    def extension_next(self, extension: Extension) -> Invocation | str | None:
        """``/extension/event/next``: block until an invocation; :data:`DROPPED` (a fault) or None (stopping)."""
        limit = self.drop_extension_next_after
        with self.condition:
            extension.waiting = True
            extension.ready = True
            self._check_complete()
            self.condition.notify_all()
            if limit is not None and self.completed_count >= limit:
                extension.exited = True
                self.events.append(LogEntry(time.monotonic_ns(), "fault", {"dropped": "extension event/next"}))
                self.condition.notify_all()
                return DROPPED
            while extension.pending is None and not self.stopping and not extension.exited:
                self.condition.wait()
            invocation = extension.pending
            extension.pending = None
            extension.waiting = False
            return invocation

    def extension_failed(self, extension: Extension, which: str, error: dict[str, Any], error_type: str | None) -> None:
        """``/extension/init/error`` or ``/exit/error``: the extension is gone; the barrier no longer waits for it."""
        with self.condition:
            extension.exited = True
            extension.waiting = False
            self._check_complete()
            self.condition.notify_all()
        self.log(f"extension-{which}-error", name=extension.name, error_type=error_type, error=error)
