"""Lambda Managed Instances under the real awslambdaric: N processes, concurrent invocations, one stdout.

Every span is exported exactly once, each telemetry record stays a whole line on the stdout the
processes share, no extension is registered, and the first invocation of a process is not a cold
start (its init ran before the environment took traffic).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from lambda_otel_lite.local.decode import decode_lines, is_telemetry_line
from lambda_otel_lite.local.managed import ManagedInstancesRuntime
from tests.e2e.support import function

PROCESSES = 3
INVOCATIONS = 12
CHILDREN = 6


def managed(mode: str, **env: str) -> ManagedInstancesRuntime:
    return ManagedInstancesRuntime(
        function("parallel"), processes=PROCESSES, env={"LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": mode, **env}
    )


def run(mode: str, event: dict[str, Any]) -> tuple[ManagedInstancesRuntime, list[Any]]:
    local = managed(mode)
    with local:
        invocations = local.invoke_all([dict(event) for _ in range(INVOCATIONS)])
    return local, invocations


@pytest.mark.parametrize("mode", ["sync", "async", "finalize"])
def test_concurrent_invocations_export_every_span_once_as_whole_lines(mode: str) -> None:
    local, invocations = run(mode, {"children": CHILDREN, "kib": 40, "hold": 0.02})  # records of ~160 KB
    assert all(invocation.error is None for invocation in invocations), [i.error for i in invocations]
    pids = {invocation.response_json()["pid"] for invocation in invocations}
    assert len(pids) > 1  # the requests really ran in several processes
    lines = [line for line in local.stdout_lines() if is_telemetry_line(line)]
    spans, errors = decode_lines(lines)
    assert errors == []  # every record is a whole line
    # records larger than a pipe holds (in async mode a flush may also take spans of the next request)
    assert sum(len(line) > 1 << 16 for line in lines) >= INVOCATIONS // 2
    counts = Counter(span.span_id for span in spans)
    assert set(counts.values()) == {1}
    assert len(spans) == INVOCATIONS * (CHILDREN + 1)
    roots = [span for span in spans if span.name == local.function_name]
    assert sorted(span.attributes["faas.invocation_id"] for span in roots) == sorted(i.request_id for i in invocations)
    assert not any("faas.cold_start" in span.attributes for span in roots)
    kinds = [entry.kind for entry in local.events]
    assert "register" not in kinds
    assert "register-refused" not in kinds  # no extension tries to subscribe to INVOKE
    # finalize mode holds every span until the SIGTERM of the shutdown: each worker flushed then
    assert "sigkill" not in kinds


def test_negative_control_without_the_lock_big_records_of_concurrent_processes_interleave() -> None:
    corrupt = 0
    for _ in range(8):  # two writes must overlap; one round in eight or so has none: stop at the first
        local, _ = run("sync", {"children": CHILDREN, "kib": 40, "unlocked": True})
        lines = [line for line in local.stdout_lines() if is_telemetry_line(line) or '"payload"' in line]
        _, errors = decode_lines(lines)
        corrupt += len(errors)
        if corrupt:
            break
    assert corrupt > 0
