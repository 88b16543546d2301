"""Fallbacks to sync mode, and Lambda's shutdown (SIGTERM) in async and finalize modes."""

from __future__ import annotations

import pytest

from lambda_otel_lite.local.decode import decode_lines
from lambda_otel_lite.local.runtime import LocalRuntimeError
from tests.e2e.support import export_violations, log_lines, runtime

MANAGED: dict[str, str | None] = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"}


def test_registration_after_init_falls_back_to_sync_with_one_warning_and_loses_nothing() -> None:
    with runtime("late_init", "async") as local:
        responses = [local.invoke({}).response_json() for _ in range(3)]
        refused = [entry for entry in local.events if entry.kind == "register-refused"]
        assert export_violations(local, spans_per_invocation=2) == []
        warnings = [line for line in log_lines(local) if "registering the internal extension failed" in line]
    assert responses == [{"mode": "sync"}] * 3
    assert [entry.detail["reason"] for entry in refused] == ["Extension.RegistrationClosed"]
    assert len(warnings) == 1
    assert "Extension.RegistrationClosed" in warnings[0]


def test_a_failing_extension_thread_reports_exit_error_and_falls_back_to_sync() -> None:
    # Not frozen, so the thread fails (and falls back) before the invocations that follow. The API
    # drops the first /event/next that finds an invocation completed: the one after invocation 1 when
    # the extension came back after the runtime (it completes the invocation), else the one after
    # invocation 2 (the extension was back first, waiting, when the runtime completed invocation 1).
    with runtime("spans", "async", drop_extension_next_after=1, freeze=False) as local:
        local.invoke({"children": 2})
        try:
            local.wait_for("fault", timeout=0)  # logged with the completion, under the same lock
        except LocalRuntimeError:
            local.invoke({"children": 2})
        error = local.wait_for("extension-exit-error")
        for _ in range(3):
            local.invoke({"children": 2})
        assert export_violations(local, spans_per_invocation=3) == []
        warnings = [line for line in log_lines(local) if "extension thread failed" in line]
    assert error.detail["error_type"] == "Extension.Crash"
    assert error.detail["name"] == "lambda-otel-lite-internal"
    assert len(warnings) == 1


def test_an_extension_thread_failing_while_frozen_loses_nothing() -> None:
    """Frozen, the thread fails only on thaw, racing the next handler: its spans may be late, never lost."""
    with runtime("spans", "async", drop_extension_next_after=1) as local:
        for _ in range(4):
            local.invoke({"children": 2})
        local.wait_for("extension-exit-error")
        local.shutdown()
    problems = export_violations(local, spans_per_invocation=3)
    assert [problem for problem in problems if "exported after the next dispatch" not in problem] == []


@pytest.mark.parametrize("mode", ["async", "finalize"])
def test_sigterm_flushes_queued_spans_and_exits_0_within_the_grace_period(mode: str) -> None:
    local = runtime("batching", mode, env=MANAGED)
    local.start()
    for _ in range(2):
        local.invoke({})
    before, _ = decode_lines(local.stdout_lines())
    code = local.shutdown()
    after, errors = decode_lines(local.stdout_lines())
    kinds = [entry.kind for entry in local.events]
    assert errors == []
    assert code == 0, [(entry.kind, entry.time_ns // 1_000_000, entry.detail) for entry in local.events[-8:]]
    assert "sigterm" in kinds
    assert "sigkill" not in kinds  # out within the 500 ms grace period
    # the init span and, per invocation, the invocation span and its child: each exported once
    name = local.function_name
    assert sorted(span.name for span in after) == sorted(["child", "child", name, name, "init"])
    if mode == "finalize":
        assert before == []  # the BatchSpanProcessor held everything: the SIGTERM flush exported it


def test_sigterm_exports_what_is_queued_in_async_mode_when_nothing_was_invoked() -> None:
    local = runtime("batching", "async", env=MANAGED)
    local.start()
    assert local.shutdown() == 0
    spans, _ = decode_lines(local.stdout_lines())
    assert [span.name for span in spans] == ["init"]


@pytest.mark.parametrize("mode", ["async", "finalize"])
def test_without_a_managed_runtime_the_sigterm_flush_runs_on_its_own_thread(mode: str) -> None:
    """awslambdaric keeps the main thread in native code during /next unless AWS_EXECUTION_ENV names
    python3.12+, so Python never runs a SIGTERM handler there; the wake-up fd thread flushes anyway."""
    local = runtime("batching", mode, env={"AWS_EXECUTION_ENV": None})
    local.start()
    for _ in range(2):
        local.invoke({})
    code = local.shutdown()
    spans, errors = decode_lines(local.stdout_lines())
    assert (code, errors) == (0, [])
    assert "sigkill" not in [entry.kind for entry in local.events]
    name = local.function_name
    assert sorted(span.name for span in spans) == sorted(["child", "child", name, name, "init"])


def test_no_extension_means_no_sigterm_in_sync_mode() -> None:
    local = runtime("spans", "sync", env=MANAGED)
    local.start()
    local.invoke({"children": 1})
    assert export_violations(local, spans_per_invocation=2) == []
    assert local.shutdown() == -9
    sigkill = next(entry for entry in local.events if entry.kind == "sigkill")
    assert sigkill.detail["reason"] == "no extension registered, so no SIGTERM"


def test_a_function_that_times_out_is_killed_and_the_next_invocation_starts_a_new_environment() -> None:
    with runtime("spans", "async", timeout=1.0) as local:
        first = local.invoke({"hang": True})
        second = local.invoke({"children": 1})
        kinds = [entry.kind for entry in local.events]
    assert first.timed_out
    assert first.error is not None
    assert first.error["errorType"] == "Sandbox.Timedout"
    assert second.response_json() == {"statusCode": 200, "children": 1}
    assert kinds.count("init-start") == 2
