"""The opt-in init span under the real awslambdaric: in the first invocation's trace only."""

from __future__ import annotations

import pytest

from lambda_otel_lite.local.decode import DecodedSpan, decode_lines
from lambda_otel_lite.local.runtime import LocalRuntime
from tests.e2e.support import runtime

ON: dict[str, str | None] = {"LAMBDA_OTEL_LITE_INIT_SPAN": "true"}
TICK_MS = 20  # /proc's starttime counts 10 ms clock ticks; the process starts before the runtime logs it


def traces(local: LocalRuntime) -> list[list[DecodedSpan]]:
    spans, errors = decode_lines(local.stdout_lines())
    assert errors == []
    by_trace: dict[str, list[DecodedSpan]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    roots = {span.trace_id: span for span in spans if span.name == local.function_name}
    order = [invocation.request_id for invocation in local.invocations]
    return sorted(
        by_trace.values(), key=lambda members: order.index(roots[members[0].trace_id].attributes["faas.invocation_id"])
    )


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_first_invocation_carries_the_init_span_as_a_child_and_warm_ones_do_not(mode: str) -> None:
    with runtime("spans", mode, env=ON) as local:
        for _ in range(3):
            local.invoke({"children": 1})
        started = next(entry.time_ns for entry in local.events if entry.kind == "init-start")
        dispatched = next(entry.time_ns for entry in local.events if entry.kind == "dispatch")
        first, *warm = traces(local)
    name = local.function_name
    assert sorted(span.name for span in first) == sorted(["child", name, "lambda.init"])
    handler = next(span for span in first if span.name == name)
    init = next(span for span in first if span.name == "lambda.init")
    assert init.parent_span_id == handler.span_id
    assert init.end_time_unix_nano == handler.start_time_unix_nano
    assert init.attributes == {"lambda_otel_lite.init.start": "process"}
    # it covers the process's init: at least the interpreter's start, at most start to first dispatch
    assert 1 < init.duration_ms <= (dispatched - started) / 1e6 + TICK_MS
    assert all(sorted(span.name for span in members) == sorted(["child", name]) for members in warm)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {**ON, "AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency"},
    ],
    ids=["off by default", "provisioned concurrency"],
)
def test_no_init_span(env: dict[str, str | None]) -> None:
    with runtime("spans", "sync", env=env) as local:
        local.invoke({})
        (first,) = traces(local)
    assert [span.name for span in first] == [local.function_name]
