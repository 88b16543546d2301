"""SnapStart under the real awslambdaric: the restore phase, the spans of init, cold starts after a restore."""

from __future__ import annotations

import pytest

from lambda_otel_lite.local.decode import decode_line, decode_lines
from tests.e2e.support import runtime

LIFECYCLE = {"init-done", "snapshot", "restore", "dispatch", "response", "complete", "exit"}


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_restore_phase_runs_the_hooks_and_the_first_invocation_after_it_is_a_cold_start(mode: str) -> None:
    with runtime("snap", mode, snap_start=True) as local:
        first = local.invoke({})
        second = local.invoke({})
        events = [entry for entry in local.events if entry.kind in LIFECYCLE or entry.kind == "stdout"]
        spans, errors = decode_lines(local.stdout_lines())
    assert (first.response_json(), second.response_json()) == ({"statusCode": 200}, {"statusCode": 200})
    assert errors == []

    def label(line: str) -> str | None:
        if decode_line(line):
            return "span line"
        return "hook" if "after-restore hook ran" in line else None

    order = [entry.kind if entry.kind != "stdout" else label(entry.detail["line"]) for entry in events]
    order = [kind for kind in order if kind is not None]
    # the span of init is out before the snapshot; the runtime runs the hook after the restore, before dispatch
    assert order[:6] == ["span line", "init-done", "snapshot", "restore", "hook", "dispatch"], order
    name = local.function_name
    assert sorted(span.name for span in spans) == sorted(["child", "child", name, name, "warm-up"])
    handlers = [span for span in spans if span.name == name]
    assert [span.attributes.get("faas.cold_start") for span in handlers] == [True, None]


def test_a_failing_after_restore_hook_is_reported_as_a_restore_error() -> None:
    with runtime("snap", "sync", snap_start=True, env={"SNAP_FAIL_RESTORE": "1"}) as local:
        invocation = local.invoke({})
        kinds = [entry.kind for entry in local.events]
    assert invocation.error is not None
    assert invocation.error["errorType"] == "Runtime.AfterRestoreError"
    assert invocation.error["cause"]["errorType"] == "ConnectionError"
    assert "the database is unreachable after the restore" in invocation.error["errorMessage"]
    assert "restore-error" in kinds
    assert "dispatch" not in kinds
