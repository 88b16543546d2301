"""Helpers for the end-to-end tests: functions run by the real awslambdaric against the local runtime."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from lambda_otel_lite.local.decode import DecodedSpan, decode_line, is_telemetry_line
from lambda_otel_lite.local.runtime import LocalRuntime

FUNCTIONS = Path(__file__).resolve().parent / "functions"


def function(name: str) -> str:
    """The handler spec of ``tests/e2e/functions/<name>.py:handler``."""
    return f"{FUNCTIONS / name}.py:handler"


def runtime(
    name: str, mode: str | None = None, *, env: dict[str, str | None] | None = None, **options: Any
) -> LocalRuntime:
    """A local Lambda for ``tests/e2e/functions/<name>.py`` in *mode*."""
    env = dict(env or {})
    if mode is not None:
        env["LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE"] = mode
    return LocalRuntime(function(name), env=env, **options)


def spans_with_dispatch(runtime: LocalRuntime) -> list[tuple[DecodedSpan, int]]:
    """Every exported span, with the number of the last invocation dispatched before it was on stdout."""
    dispatched = 0
    found: list[tuple[DecodedSpan, int]] = []
    for entry in runtime.events:
        if entry.kind == "dispatch":
            dispatched = entry.detail["number"]
        elif entry.kind == "stdout":
            decoded = decode_line(entry.detail["line"])
            found += [(span, dispatched) for span in decoded or []]
    return found


def export_violations(runtime: LocalRuntime, spans_per_invocation: int) -> list[str]:
    """What breaks "the spans of invocation N are on stdout before N+1 is dispatched, once each".

    Spans belong to an invocation by trace: the trace of the span whose ``faas.invocation_id`` is
    the invocation's request id.
    """
    found = spans_with_dispatch(runtime)
    problems: list[str] = []
    duplicated = [span_id for span_id, count in Counter(span.span_id for span, _ in found).items() if count > 1]
    if duplicated:
        problems.append(f"exported more than once: {duplicated}")
    trace_of = {
        span.attributes.get("faas.invocation_id"): span.trace_id
        for span, _ in found
        if span.attributes.get("faas.invocation_id")
    }
    for invocation in runtime.invocations:
        trace_id = trace_of.get(invocation.request_id)
        if trace_id is None:
            problems.append(f"invocation {invocation.number}: no invocation span exported")
            continue
        members = [(span, dispatched) for span, dispatched in found if span.trace_id == trace_id]
        late = [span.name for span, dispatched in members if dispatched != invocation.number]
        if late:
            problems.append(f"invocation {invocation.number}: exported after the next dispatch: {late}")
        if len(members) != spans_per_invocation:
            names = sorted(span.name for span, _ in members)
            problems.append(
                f"invocation {invocation.number}: {len(members)} spans, not {spans_per_invocation}: {names}"
            )
    return problems


def log_lines(runtime: LocalRuntime) -> list[str]:
    """The function's own log: its stdout and stderr lines that are not telemetry.

    awslambdaric sends the ``logging`` output to stdout (as Lambda does, to CloudWatch Logs).
    """
    return [
        entry.detail["line"]
        for entry in runtime.events
        if entry.kind in ("stdout", "stderr") and not is_telemetry_line(entry.detail["line"])
    ]
