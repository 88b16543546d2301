"""The local Lambda's environment state machine, with no socket and no process: the rules themselves."""

from __future__ import annotations

import threading
from typing import Any

from lambda_otel_lite.local.environment import DROPPED, REFUSED, Environment
from lambda_otel_lite.local.model import Invocation


def invocation(number: int = 1) -> Invocation:
    return Invocation(number=number, request_id=f"r-{number}", event=b"{}", deadline_ms=0)


def in_thread(call: Any) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    return thread, result


def test_registration_closes_at_the_runtimes_first_next() -> None:
    environment = Environment()
    assert environment.register("early", ["INVOKE"]) is not None
    thread, _ = in_thread(environment.runtime_next)
    assert environment.wait_until(lambda: environment.initialised, 5)
    assert environment.register("late", []) is None
    assert [entry.kind for entry in environment.events] == ["register", "register-refused"]
    environment.stop()
    thread.join(5)


def test_dispatch_waits_for_every_invoke_extension_and_completion_for_all_to_come_back() -> None:
    completed: list[int] = []
    environment = Environment(on_complete=lambda done: completed.append(done.number))
    identifier = environment.register("ext", ["INVOKE"])
    assert identifier is not None
    extension = environment.extensions[identifier]
    runtime, runtime_got = in_thread(environment.runtime_next)
    assert environment.wait_until(lambda: environment.runtime_waiting, 5)
    assert not environment.ready_for_dispatch()  # the extension has not called /next yet
    ext, ext_got = in_thread(lambda: environment.extension_next(extension))
    assert environment.wait_until(environment.ready_for_dispatch, 5)

    first = invocation()
    environment.dispatch(first)
    runtime.join(5)
    ext.join(5)
    assert runtime_got == [first]
    assert ext_got == [first]
    assert environment.runtime_result("r-1", "response", b'{"ok": true}', 0)
    assert not environment.runtime_result("r-1", "response", b"{}", 0)  # answered already
    assert not first.complete.is_set()  # the runtime and the extension are not back in /next

    runtime, _ = in_thread(environment.runtime_next)
    assert environment.wait_until(lambda: environment.runtime_waiting, 5)
    assert not first.complete.is_set()  # the extension still runs
    ext, _ = in_thread(lambda: environment.extension_next(extension))
    assert environment.wait_until(first.complete.is_set, 5)
    assert completed == [1]
    environment.stop()
    runtime.join(5)
    ext.join(5)


def test_an_extension_that_fails_no_longer_holds_the_barrier() -> None:
    environment = Environment()
    identifier = environment.register("ext", ["INVOKE"])
    assert identifier is not None
    runtime, _ = in_thread(environment.runtime_next)
    assert environment.wait_until(lambda: environment.runtime_waiting, 5)
    environment.extension_failed(environment.extensions[identifier], "init", {"errorType": "X"}, "Extension.X")
    assert environment.ready_for_dispatch()
    environment.stop()
    runtime.join(5)


def test_the_fault_injection_drops_an_extensions_next_after_the_limit() -> None:
    environment = Environment(drop_extension_next_after=0)
    identifier = environment.register("ext", ["INVOKE"])
    assert identifier is not None
    assert environment.extension_next(environment.extensions[identifier]) == DROPPED
    assert environment.extensions[identifier].exited


def test_snapstart_init_ends_at_restore_next_which_returns_at_the_restore() -> None:
    environment = Environment(snap_start=True)
    thread, outcome = in_thread(environment.restore_next)
    assert environment.wait_until(lambda: environment.snapshot_taken, 5)
    assert environment.initialised
    assert not environment.registration_open
    assert environment.restore_next() == REFUSED  # once only
    assert environment.request_restore()
    thread.join(5)
    assert outcome == [None]
    assert not environment.request_restore()  # restored already
