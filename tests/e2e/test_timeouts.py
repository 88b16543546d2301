"""Timed-out invocations under the real awslambdaric: the spans are ended, marked and exported first."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from lambda_otel_lite.local.decode import DecodedSpan, decode_lines
from lambda_otel_lite.local.runtime import LocalRuntime
from lambda_otel_lite.testing import sample_event
from tests.e2e.support import log_lines, runtime

TIMEOUT_S = 1.0


def spans_of(local: LocalRuntime, request_id: str) -> dict[str, DecodedSpan]:
    spans, errors = decode_lines(local.stdout_lines())
    assert errors == []
    (root,) = [span for span in spans if span.attributes.get("faas.invocation_id") == request_id]
    members = [span for span in spans if span.trace_id == root.trace_id]
    by_name = {span.name: span for span in members}
    assert len(by_name) == len(members), "a span was exported twice"
    return by_name


def kinds(local: LocalRuntime) -> list[str]:
    return [entry.kind for entry in local.events if entry.kind in ("timeout", "sigterm", "sigkill", "exit")]


@pytest.mark.parametrize("mode", ["sync", "async", "finalize"])
def test_a_timed_out_invocation_is_exported_with_its_open_spans_cut_short(mode: str) -> None:
    with runtime("slow", mode, timeout=TIMEOUT_S) as local:
        invocation = local.invoke({"seconds": 5})
        assert invocation.error is not None
        assert invocation.error["errorType"] == "Sandbox.Timedout"
        spans = spans_of(local, invocation.request_id)
        logs = log_lines(local)

    name = local.function_name
    assert set(spans) == {name, "quick-step", "slow-step"}
    root, quick, slow = spans[name], spans["quick-step"], spans["slow-step"]
    assert (root.status, root.attributes["error.type"]) == ("ERROR", "timeout")
    assert root.status_message == "Timeout: the invocation was still running 100 ms before its deadline"
    assert (slow.status, slow.attributes["error.type"]) == ("ERROR", "timeout")
    assert slow.status_message == "Cut short: the invocation ended (timeout) first"
    assert (quick.status, "error.type" in quick.attributes) == ("UNSET", False)  # it had ended: exported as it was
    assert slow.parent_span_id == root.span_id
    assert slow.end_time_unix_nano == root.end_time_unix_nano
    # ended about one margin before the deadline, not at the end of the 5 s of work
    assert 0.7 * TIMEOUT_S * 1000 < root.duration_ms < TIMEOUT_S * 1000
    assert not [line for line in logs if "wrap the handler" in line]
    if mode == "sync":
        assert kinds(local) == ["timeout", "sigkill", "exit"]  # no extension: no SIGTERM, nothing else saves it
    else:
        assert kinds(local)[:2] == ["timeout", "sigterm"]


@pytest.mark.parametrize("mode", ["async", "finalize"])
def test_with_the_watchdog_off_the_sigterm_of_the_reset_still_exports_the_invocation(mode: str) -> None:
    env: dict[str, str | None] = {"LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS": "0"}
    with runtime("slow", mode, timeout=TIMEOUT_S, env=env) as local:
        invocation = local.invoke({"seconds": 5})
        spans = spans_of(local, invocation.request_id)
        logs = log_lines(local)
    name = local.function_name
    assert set(spans) == {name, "quick-step", "slow-step"}
    assert spans[name].status_message == "Timeout: the invocation was still running at its deadline"
    assert spans["slow-step"].attributes["error.type"] == "timeout"
    assert not [line for line in logs if "wrap the handler" in line]


def test_the_invocation_after_the_reset_is_a_cold_start_in_a_new_process() -> None:
    with runtime("slow", "sync", timeout=TIMEOUT_S) as local:
        timed_out = local.invoke({"seconds": 5})
        first_pid = [entry.detail["pid"] for entry in local.events if entry.kind == "init-start"]
        after = local.invoke({})
        again = local.invoke({})
        pids = [entry.detail["pid"] for entry in local.events if entry.kind == "init-start"]
        cold = {
            number: spans_of(local, invocation.request_id)[local.function_name].attributes.get("faas.cold_start")
            for number, invocation in enumerate((timed_out, after, again), 1)
        }
    assert after.response_json() == {"statusCode": 200}
    assert len(first_pid) == 1
    assert len(pids) == 2
    assert pids[0] != pids[1]
    assert cold == {1: True, 2: True, 3: None}


def test_a_handler_that_finishes_in_time_is_not_marked() -> None:
    with runtime("slow", "sync", timeout=TIMEOUT_S) as local:
        invocation = local.invoke({"seconds": 0.2})
        spans = spans_of(local, invocation.request_id)
    assert invocation.response_json() == {"statusCode": 200}
    assert {span.status for span in spans.values()} == {"UNSET"}


def batch_of(*message_ids: str) -> dict[str, Any]:
    event = sample_event("sqs")
    event["Records"] = [dict(event["Records"][0], messageId=message_id) for message_id in message_ids]
    return event


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_record_spans_entered_before_during_and_after_a_timeout_are_each_exported_once(mode: str) -> None:
    env: dict[str, str | None] = {"LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS": "800"}
    with runtime("slow_batch", mode, timeout=2.0, env=env) as local:
        timed_out = local.invoke(batch_of("before", "during", "after"))
        local.invoke(batch_of())  # async mode: the span of "after" goes out with the next flush
    assert timed_out.response_json() == {"batchItemFailures": []}  # returned inside the margin
    spans, errors = decode_lines(local.stdout_lines())
    assert errors == []
    assert [span_id for span_id, n in Counter(span.span_id for span in spans).items() if n > 1] == []
    (root,) = [span for span in spans if span.attributes.get("faas.invocation_id") == timed_out.request_id]
    assert (root.status, root.attributes["error.type"]) == ("ERROR", "timeout")
    records = {
        span.attributes["messaging.message.id"]: (span.status, span.attributes.get("error.type"), span.status_message)
        for span in spans
        if span.parent_span_id == root.span_id
    }
    assert records == {
        "before": ("ERROR", "ValueError", "failed before the timeout"),
        "during": ("ERROR", "timeout", "Cut short: the invocation ended (timeout) first"),
        "after": ("UNSET", None, ""),
    }
