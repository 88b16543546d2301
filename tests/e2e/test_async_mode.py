"""Async mode under the real awslambdaric: every span out before the next dispatch, whatever happened."""

from __future__ import annotations

from lambda_otel_lite.local.decode import decode_lines
from tests.e2e.support import export_violations, log_lines, runtime, spans_with_dispatch


def test_twenty_frozen_invocations_each_export_their_spans_before_the_next_dispatch() -> None:
    with runtime("spans", "async") as local:
        for _ in range(20):
            invocation = local.invoke({"children": 3})
            assert invocation.response_json() == {"statusCode": 200, "children": 3}
        assert export_violations(local, spans_per_invocation=4) == []
        kinds = [entry.kind for entry in local.events]
        assert kinds.count("freeze") == 20
        assert kinds.count("thaw") == 19


def test_raising_handlers_lose_no_span_either() -> None:
    with runtime("spans", "async") as local:
        for _ in range(20):
            invocation = local.invoke({"children": 2, "raise": True})
            assert invocation.error is not None
            assert invocation.error["errorType"] == "RuntimeError"
        assert export_violations(local, spans_per_invocation=3) == []
        spans, errors = decode_lines(local.stdout_lines())
        assert errors == []
        roots = [span for span in spans if span.name == local.function_name]
        assert len(roots) == 20
        assert {span.status for span in roots} == {"ERROR"}


def test_the_check_catches_a_thread_that_ends_its_span_after_the_handler_returned() -> None:
    """Negative control: a leaked thread's span reaches stdout only after the next dispatch."""
    with runtime("spans", "async") as local:
        local.invoke({"leak": True})
        local.invoke({})
        local.invoke({})
        problems = export_violations(local, spans_per_invocation=1)
    assert problems
    assert any("invocation 1" in problem and "leaked" in problem for problem in problems), problems


def test_the_extension_runs_after_the_response_not_before() -> None:
    with runtime("spans", "async") as local:
        invocation = local.invoke({"children": 50})
        kinds = [entry.kind for entry in local.events if entry.kind in ("response", "stdout", "complete")]
    assert kinds == ["response", "stdout", "complete"]
    assert invocation.extension_overhead_ms is not None
    assert invocation.extension_overhead_ms > 0


def test_the_extension_registers_for_invoke_during_init() -> None:
    with runtime("spans", "async") as local:
        kinds = [entry.kind for entry in local.events]
        register = next(entry for entry in local.events if entry.kind == "register")
        assert register.detail["events"] == ["INVOKE"]
        assert register.detail["name"] == "lambda-otel-lite-internal"
        assert kinds.index("register") < kinds.index("init-done")
        assert log_lines(local) == []


def test_a_span_a_leaked_thread_ends_after_its_handler_returned_goes_out_with_the_next_flush() -> None:
    """Late, never lost: the leaked span ends during invocation 2 and is exported by its flush."""
    with runtime("spans", "async") as local:
        local.invoke({"leak": True})
        local.invoke({})  # releases the leaked thread, whose span then ends
        local.invoke({})
        found = spans_with_dispatch(local)
    leaked = [dispatched for span, dispatched in found if span.name == "leaked"]
    assert leaked == [2]  # once, before invocation 3 was dispatched
