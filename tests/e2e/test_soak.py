"""Soak: 10,000 invocations in async mode with freeze on. Memory stays flat and every span id is
on stdout exactly once."""

from __future__ import annotations

from collections import Counter

from lambda_otel_lite.local.decode import decode_lines
from tests.e2e.support import runtime

INVOCATIONS = 10_000


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_ten_thousand_frozen_async_invocations_keep_memory_flat_and_export_every_span_once() -> None:
    rss: dict[int, int] = {}
    # Measure the function as it runs in Lambda: without the coverage tracer, which keeps state per
    # thread, and awslambdaric starts a thread to wait for every event.
    with runtime("spans", "async", env={"COVERAGE_PROCESS_CONFIG": None}) as local:
        for number in range(1, INVOCATIONS + 1):
            local.invoke({"children": 2})
            if number in (1_000, INVOCATIONS):
                assert local.pid is not None
                rss[number] = rss_kb(local.pid)
        spans, errors = decode_lines(local.stdout_lines())
    print(f"function RSS: {rss[1_000] / 1024:.1f} MB at 1k invocations, {rss[INVOCATIONS] / 1024:.1f} MB at 10k")
    assert errors == []
    assert len(spans) == 3 * INVOCATIONS
    assert [span_id for span_id, count in Counter(span.span_id for span in spans).items() if count != 1] == []
    assert (
        len({span.attributes["faas.invocation_id"] for span in spans if span.name == local.function_name})
        == INVOCATIONS
    )
    assert rss[INVOCATIONS] <= rss[1_000] * 1.05 + 2048  # flat: within 5% and 2 MB of the 1k figure
