"""Import and init cost of lambda-otel-lite in fresh interpreters, as ratios to `python -c pass`.

Usage: python benchmarks/import_cost.py [--runs N]

Each subject runs in a new process (as a Lambda cold start does), subjects interleaved in a
shuffled order each round so machine noise spreads evenly; medians are reported with their ratio
to the bare interpreter measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time

BASE = "import lambda_otel_lite; "
SUBJECTS = {
    "python -c pass": "pass",
    "import opentelemetry.sdk.trace": "import opentelemetry.sdk.trace",
    "import lambda_otel_lite": "import lambda_otel_lite",
    "import + init_telemetry()": BASE + "lambda_otel_lite.init_telemetry('bench')",
    "import pydantic": "import pydantic",
    "+ events.APIGatewayProxyEvent": BASE + "from lambda_otel_lite.events import APIGatewayProxyEvent",
    "+ events.APIGatewayProxyEventV2": BASE + "from lambda_otel_lite.events import APIGatewayProxyEventV2",
    "+ events.LambdaFunctionUrlEvent": BASE + "from lambda_otel_lite.events import LambdaFunctionUrlEvent",
    "+ events.ALBEvent": BASE + "from lambda_otel_lite.events import ALBEvent",
    "+ events.SQSEvent": BASE + "from lambda_otel_lite.events import SQSEvent",
}


def run_once(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    samples: dict[str, list[float]] = {name: [] for name in SUBJECTS}
    for code in SUBJECTS.values():  # warm the file cache
        run_once(code)
    for _ in range(args.runs):
        order = list(SUBJECTS)
        random.shuffle(order)
        for name in order:
            samples[name].append(run_once(SUBJECTS[name]))
    base = statistics.median(samples["python -c pass"])
    results = {name: statistics.median(values) for name, values in samples.items()}
    package = results["import lambda_otel_lite"]
    print("| subject | median ms | x python -c pass | added ms | added to `import lambda_otel_lite`, ms |")
    print("|---|---|---|---|---|")
    for name, median in results.items():
        over_package = f"{(median - package) * 1000:.1f}" if name.startswith("+") else ""
        print(f"| {name} | {median * 1000:.1f} | {median / base:.2f} | {(median - base) * 1000:.1f} | {over_package} |")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"runs": args.runs, "median_seconds": results}, handle, indent=2)


if __name__ == "__main__":
    main()
