"""Time from the handler's return to the runtime's response POST, with 1 and 101 spans per invocation.

Usage: python benchmarks/response_latency.py [--invocations N]

The functions (benchmarks/functions/latency.py) run under the real awslambdaric against the local
Lambda (lambda_otel_lite.local.runtime), frozen between invocations. Each stamps CLOCK_MONOTONIC
just before returning; the local runtime stamps the arrival of the response POST.

- async: the spans are exported by the extension thread after the response, so this latency
  should not grow with the span count beyond what the control shows;
- sync: exports before the response, for contrast;
- control: a function without any telemetry that works before returning for as long as the async
  handler spent making its 100 child spans. Busy work just before the POST slows the POST itself
  on a loaded 2-core machine (caches, scheduling), so the growth of async mode is read against the
  growth of the control, both measured in this run.

Light and heavy invocations alternate in one environment per row; medians and ratios are printed
as a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

from lambda_otel_lite.local.runtime import LocalRuntime

FUNCTIONS = Path(__file__).resolve().parent / "functions" / "latency.py"


def measure(handler: str, mode: str, events: tuple[dict[str, Any], dict[str, Any]], invocations: int) -> list[Any]:
    """Alternate the two events; return per event the latencies (µs) and the work times (ns)."""
    samples: list[tuple[list[float], list[int]]] = [([], []), ([], [])]
    env: dict[str, str | None] = {"LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": mode}
    with LocalRuntime(f"{FUNCTIONS}:{handler}", env=env) as local:
        for warmup in range(6):
            local.invoke(events[warmup % 2])
        for index in range(invocations * 2):
            invocation = local.invoke(events[index % 2])
            response = invocation.response_json()
            samples[index % 2][0].append((invocation.responded_ns - response["returned_ns"]) / 1000)
            samples[index % 2][1].append(response["work_ns"])
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations", type=int, default=200, help="invocations per row and event")
    args = parser.parse_args()
    spans = ({"children": 0}, {"children": 100})
    rows: dict[str, list[Any]] = {
        "async": measure("handler", "async", spans, args.invocations),
        "sync": measure("handler", "sync", spans, args.invocations),
    }
    work_ns = int(statistics.median(rows["async"][1][1]))
    rows["control"] = measure("plain", "sync", ({"work_ns": 0}, {"work_ns": work_ns}), args.invocations)
    print(f"work before returning in the heavy invocations: {work_ns / 1000:.0f} µs (100 child spans)\n")
    print("| function | invocation | median µs return → response POST | p90 µs | x its light invocation |")
    print("|---|---|---|---|---|")
    labels = {
        "async": ("1 span", "101 spans"),
        "sync": ("1 span", "101 spans"),
        "control": ("no work", f"{work_ns / 1000:.0f} µs work"),
    }
    for name, samples in rows.items():
        light = statistics.median(samples[0][0])
        for label, (latencies, _) in zip(labels[name], samples, strict=True):
            median = statistics.median(latencies)
            p90 = statistics.quantiles(latencies, n=10)[-1]
            print(f"| {name} | {label} | {median:.0f} | {p90:.0f} | {median / light:.2f} |")


if __name__ == "__main__":
    main()
