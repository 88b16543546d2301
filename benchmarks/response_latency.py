"""Time from the handler's return to the runtime's response POST, with 0 and 100 spans per invocation.

Usage: python benchmarks/response_latency.py [--invocations N]

The function (benchmarks/functions/latency.py) runs under the real awslambdaric against the local
Lambda (lambda_otel_lite.local.runtime), frozen between invocations. It stamps CLOCK_MONOTONIC just
before returning; the local runtime stamps the arrival of the response POST. In async mode the
spans are exported by the extension thread after the response, so this latency should not grow
with the span count; sync mode, which exports before returning, is measured beside it for contrast.
Invocations with 0 and 100 spans alternate in one environment per mode; medians and ratios are
printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from lambda_otel_lite.local.runtime import LocalRuntime

FUNCTION = Path(__file__).resolve().parent / "functions" / "latency.py"


def measure(mode: str, invocations: int) -> dict[int, list[float]]:
    samples: dict[int, list[float]] = {0: [], 100: []}
    env: dict[str, str | None] = {"LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": mode}
    with LocalRuntime(f"{FUNCTION}:handler", env=env) as local:
        for warmup in range(5):
            local.invoke({"children": 100 if warmup % 2 else 0})
        for index in range(invocations * 2):
            children = 100 if index % 2 else 0
            invocation = local.invoke({"children": children})
            response = invocation.response_json()
            samples[children].append((invocation.responded_ns - response["returned_ns"]) / 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations", type=int, default=200, help="invocations per span count and mode")
    args = parser.parse_args()
    results = {mode: measure(mode, args.invocations) for mode in ("async", "sync")}
    base = statistics.median(results["async"][0])
    print("| mode | spans per invocation | median µs handler return → response POST | p90 µs | x async, 0 spans |")
    print("|---|---|---|---|---|")
    for mode, samples in results.items():
        for children, values in samples.items():
            median = statistics.median(values)
            p90 = statistics.quantiles(values, n=10)[-1]
            print(f"| {mode} | {children + 1} | {median:.0f} | {p90:.0f} | {median / base:.2f} |")


if __name__ == "__main__":
    main()
