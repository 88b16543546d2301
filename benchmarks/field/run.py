"""lambda-otel-lite against the field: cold start, warm latency, response path, bytes per span.

Usage: python benchmarks/field/run.py [--rounds R] [--warm W] [--cold C] [--quick] [--out DIR]
(or ``./noxw -s bench``, which installs what this script needs first).

Every subject runs as a Lambda function would: its own process under the real ``awslambdaric``,
against the local Lambda of ``lambda_otel_lite.local`` (Runtime and Extensions APIs on 127.0.0.1,
frozen between invocations), with its own virtualenv whose packages are installed with compiled
bytecode, as a deployment package would ship them. The workload is an API Gateway HTTP API (v2)
event carrying a ``traceparent``; the handler makes N child spans with 5 attributes each (N = 0,
10, 100, from ``?children=N``) and returns a 200 response. ``functions/shim.py`` is the entry point
of every function: it calls the subject's handler and reports the handler's own time, its return
time and the peak RSS.

Figures, all from one run, subjects interleaved in shuffled order:
- cold start: from starting the function's process to the arrival of the first response (N=10):
  interpreter, imports, init, first invocation; and the peak RSS then; and the part of it after
  ``awslambdaric`` has started (the subject's imports, init and first invocation);
- warm handler latency, p50 and p99, per N;
- for every subject, the time from the handler's return to the response POST, how long
  extensions ran after the response, and the whole cycle from the handler's return until the
  runtime and every extension are back in ``/next`` (the invocation is complete only then), and
  that cycle less the bare handler's (what the subject's telemetry adds to it);
- bytes written to stdout per span, and spans exported against spans made (none may be lost).

The "pydantic floor" subject is the untyped decorator plus one pydantic model of one field: what
any handler that validates its event with pydantic pays. Ratios are to the bare handler, to the
SDK floor (a TracerProvider whose processor drops every span) and to lambda-otel-lite 0.15.0 in
the same processing mode. Results go to ``<out>/field.json`` and ``<out>/field.md``.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambda_otel_lite.local.decode import decode_line, is_telemetry_line
from lambda_otel_lite.local.runtime import LocalRuntime

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FUNCTIONS = HERE / "functions"
EVENT = json.loads((HERE / "event.json").read_text())
NS = (0, 10, 100)
COLD_N = 10

VENVS: dict[str, list[str]] = {
    "bare": ["awslambdaric"],
    "sdk": ["awslambdaric", "opentelemetry-sdk"],
    "v015": ["awslambdaric", "lambda-otel-lite==0.15.0"],
    "otel": [
        "awslambdaric",
        "opentelemetry-sdk",
        "opentelemetry-instrumentation-aws-lambda",
        "otlp-stdout-span-exporter",
    ],
    "ours": ["awslambdaric", str(ROOT)],
}


@dataclass(frozen=True)
class Subject:
    name: str
    venv: str
    module: str
    mode: str = "sync"
    env: dict[str, str] = field(default_factory=dict[str, str])

    @property
    def baseline(self) -> str:
        """The 0.15.0 subject in the same processing mode."""
        return "0.15.0 async" if self.mode == "async" else "0.15.0 sync"


SUBJECTS = [
    Subject("bare handler", "bare", "bare"),
    Subject("SDK floor", "sdk", "sdk_floor"),
    Subject("0.15.0 sync", "v015", "v015"),
    Subject("0.15.0 async", "v015", "v015", "async"),
    Subject(
        "otel-instrumentation-aws-lambda",
        "otel",
        "otel_instrumentation",
        env={"ORIG_HANDLER": "otel_instrumentation.handler"},
    ),
    Subject("ours traced_handler sync", "ours", "ours_traced"),
    Subject("ours @instrumented sync", "ours", "ours_instrumented"),
    Subject(
        "ours @instrumented sync + init span", "ours", "ours_instrumented", env={"LAMBDA_OTEL_LITE_INIT_SPAN": "true"}
    ),
    Subject(
        "ours @instrumented sync, unsampled", "ours", "ours_instrumented", env={"OTEL_TRACES_SAMPLER": "always_off"}
    ),
    Subject("ours @instrumented typed sync", "ours", "ours_typed"),
    Subject("pydantic floor (untyped + one model)", "ours", "ours_pydantic_floor"),
    Subject("ours @instrumented async", "ours", "ours_instrumented", "async"),
    Subject("ours @instrumented typed async", "ours", "ours_typed", "async"),
]


# --- virtualenvs --------------------------------------------------------------------------------


def _uv() -> list[str]:
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def venv_python(root: Path, name: str) -> Path:
    return root.absolute() / name / "bin" / "python"


def build_venvs(root: Path) -> dict[str, dict[str, str]]:
    """Create (or reuse) one virtualenv per package set; return each one's installed versions."""
    versions: dict[str, dict[str, str]] = {}
    for name, requirements in VENVS.items():
        target = root / name
        marker = target / "requirements.json"
        fresh = name == "ours" or not marker.exists() or json.loads(marker.read_text()) != requirements
        if fresh:
            shutil.rmtree(target, ignore_errors=True)
            subprocess.run([*_uv(), "venv", "-q", "--python", sys.executable, str(target)], check=True)
            subprocess.run(
                [
                    *_uv(),
                    "pip",
                    "install",
                    "-q",
                    "--compile-bytecode",
                    "--python",
                    str(venv_python(root, name)),
                    *requirements,
                ],
                check=True,
            )
            marker.write_text(json.dumps(requirements))
        listing = subprocess.run(
            [*_uv(), "pip", "list", "--format", "json", "--python", str(venv_python(root, name))],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        versions[name] = {entry["name"]: entry["version"] for entry in json.loads(listing)}
    return versions


# --- measurement --------------------------------------------------------------------------------


@dataclass
class Samples:
    cold_ms: list[float] = field(default_factory=list[float])
    init_ms: list[float] = field(default_factory=list[float])
    cold_rss_kb: list[int] = field(default_factory=list[int])
    handler_us: dict[int, list[float]] = field(default_factory=lambda: {n: [] for n in NS})
    return_to_post_us: dict[int, list[float]] = field(default_factory=lambda: {n: [] for n in NS})
    extension_ms: dict[int, list[float]] = field(default_factory=lambda: {n: [] for n in NS})
    cycle_us: dict[int, list[float]] = field(default_factory=lambda: {n: [] for n in NS})
    telemetry_bytes: dict[int, int] = field(default_factory=lambda: dict.fromkeys(NS, 0))
    spans_made: dict[int, int] = field(default_factory=lambda: dict.fromkeys(NS, 0))
    spans_exported: dict[int, int] = field(default_factory=lambda: dict.fromkeys(NS, 0))
    peak_rss_kb: int = 0


def event(children: int) -> dict[str, Any]:
    body = copy.deepcopy(EVENT)
    body["rawQueryString"] = f"children={children}"
    body["queryStringParameters"] = {"children": str(children)}
    return body


def runtime_for(subject: Subject, venvs: Path) -> LocalRuntime:
    env: dict[str, str | None] = {
        "BENCH_SUBJECT": subject.module,
        "LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": subject.mode,
        "PYTHONPATH": str(FUNCTIONS),
        "VIRTUAL_ENV": None,
        "OTEL_SERVICE_NAME": "orders-api",
        **subject.env,
    }
    return LocalRuntime(
        f"{FUNCTIONS / 'shim.py'}:handler",
        env=env,
        python=str(venv_python(venvs, subject.venv)),
        function_name="orders-api",
        timeout=60,
    )


def cold_start(local: LocalRuntime, samples: Samples) -> None:
    started = time.monotonic_ns()
    local.start()
    first = local.invoke(event(COLD_N))
    if first.error is not None:
        raise RuntimeError(f"{local.handler}: first invocation failed: {first.error}")
    samples.cold_ms.append((first.responded_ns - started) / 1e6)
    samples.init_ms.append((first.responded_ns - first.response_json()["shim_imported_ns"]) / 1e6)
    samples.cold_rss_kb.append(first.response_json()["maxrss_kb"])


def telemetry_in(local: LocalRuntime, since: int) -> tuple[int, int]:
    """Bytes of telemetry lines on stdout after event number *since*, and the spans they carry."""
    size = spans = 0
    for entry in local.events[since:]:
        if entry.kind == "stdout" and is_telemetry_line(entry.detail["line"]):
            size += len(entry.detail["line"].encode()) + 1
            spans += len(decode_line(entry.detail["line"]) or [])
    return size, spans


def warm(local: LocalRuntime, samples: Samples, children: int, warmup: int, count: int, decode: bool) -> None:
    for _ in range(warmup):
        local.invoke(event(children))
    since = len(local.events)
    for _ in range(count):
        invocation = local.invoke(event(children))
        if invocation.error is not None:
            raise RuntimeError(f"{local.handler}: invocation failed: {invocation.error}")
        body = invocation.response_json()
        samples.handler_us[children].append(body["handler_ns"] / 1000)
        samples.return_to_post_us[children].append((invocation.responded_ns - body["returned_ns"]) / 1000)
        samples.extension_ms[children].append(invocation.extension_overhead_ms or 0.0)
        if invocation.completed_ns:  # handler return until runtime and extensions are all back in /next
            samples.cycle_us[children].append((invocation.completed_ns - body["returned_ns"]) / 1000)
        samples.peak_rss_kb = max(samples.peak_rss_kb, body["maxrss_kb"])
    if decode:
        size, spans = telemetry_in(local, since)
        samples.telemetry_bytes[children] += size
        samples.spans_exported[children] += spans
        samples.spans_made[children] += count * (children + 1)


def measure(
    subjects: list[Subject], venvs: Path, rounds: int, warm_count: int, cold_extra: int, rng: random.Random
) -> dict[str, Samples]:
    results = {subject.name: Samples() for subject in subjects}
    for round_number in range(rounds):
        order = rng.sample(subjects, len(subjects))
        for subject in order:
            print(f"round {round_number + 1}/{rounds}: {subject.name}", file=sys.stderr, flush=True)
            local = runtime_for(subject, venvs)
            try:
                cold_start(local, results[subject.name])
                for children in rng.sample(NS, len(NS)):
                    traced = subject.name != "bare handler"
                    warm(local, results[subject.name], children, 20, warm_count, decode=traced and round_number == 0)
            finally:
                local.shutdown()
    cold_order = [subject for subject in subjects for _ in range(cold_extra)]
    rng.shuffle(cold_order)
    for index, subject in enumerate(cold_order):
        print(f"cold start {index + 1}/{len(cold_order)}: {subject.name}", file=sys.stderr, flush=True)
        local = runtime_for(subject, venvs)
        try:
            cold_start(local, results[subject.name])
        finally:
            local.shutdown(graceful=False)
    return results


# --- report -------------------------------------------------------------------------------------


def p50(values: list[float]) -> float:
    return statistics.median(values)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[-1] if len(values) > 1 else values[0]


def summarise(results: dict[str, Samples]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, samples in results.items():
        summary[name] = {
            "cold_start_ms_p50": p50(samples.cold_ms),
            "cold_start_samples": len(samples.cold_ms),
            "import_init_first_ms_p50": p50(samples.init_ms),
            "cold_rss_mb_p50": p50([kb / 1024 for kb in samples.cold_rss_kb]),
            "peak_rss_mb": samples.peak_rss_kb / 1024,
            "warm": {
                str(n): {
                    "handler_us_p50": p50(samples.handler_us[n]),
                    "handler_us_p99": p99(samples.handler_us[n]),
                    "return_to_post_us_p50": p50(samples.return_to_post_us[n]),
                    "extension_ms_p50": p50(samples.extension_ms[n]),
                    "cycle_us_p50": p50(samples.cycle_us[n]) if samples.cycle_us[n] else 0.0,
                    "invocations": len(samples.handler_us[n]),
                    "bytes_per_span": (
                        samples.telemetry_bytes[n] / samples.spans_exported[n] if samples.spans_exported[n] else None
                    ),
                    "spans_made": samples.spans_made[n],
                    "spans_exported": samples.spans_exported[n],
                }
                for n in NS
            },
        }
    return summary


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base else "-"


def markdown(summary: dict[str, Any], meta: dict[str, Any]) -> str:
    subjects = {subject.name: subject for subject in SUBJECTS}
    bare, floor = summary["bare handler"], summary["SDK floor"]
    lines = [
        f"Run {meta['date']} on {meta['machine']}, Python {meta['python']}; {meta['rounds']} rounds, "
        f"{meta['warm']} warm invocations per N per round, {meta['cold_samples']} cold starts per subject.",
        "",
        "**Cold start** (process start to first response, N=10) and memory",
        "",
        "| subject | cold start ms | x bare | x SDK floor | x 0.15.0 | import+init+first ms | x 0.15.0 "
        "| RSS at first response MB | x 0.15.0 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in summary.items():
        base = summary.get(subjects[name].baseline, row)
        cold, init = row["cold_start_ms_p50"], row["import_init_first_ms_p50"]
        lines.append(
            f"| {name} | {cold:.0f} | {_ratio(cold, bare['cold_start_ms_p50'])} | "
            f"{_ratio(cold, floor['cold_start_ms_p50'])} | {_ratio(cold, base['cold_start_ms_p50'])} | "
            f"{init:.0f} | {_ratio(init, base['import_init_first_ms_p50'])} | "
            f"{row['cold_rss_mb_p50']:.1f} | {_ratio(row['cold_rss_mb_p50'], base['cold_rss_mb_p50'])} |"
        )
    lines += [
        "",
        "**Warm handler latency** (the handler call as the runtime makes it, µs)",
        "",
        "| subject | N | p50 | p99 | x bare | x SDK floor | x 0.15.0 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in summary.items():
        base = summary.get(subjects[name].baseline, row)
        for n in NS:
            warm_row = row["warm"][str(n)]
            value = warm_row["handler_us_p50"]
            lines.append(
                f"| {name} | {n} | {value:.0f} | {warm_row['handler_us_p99']:.0f} | "
                f"{_ratio(value, bare['warm'][str(n)]['handler_us_p50'])} | "
                f"{_ratio(value, floor['warm'][str(n)]['handler_us_p50'])} | "
                f"{_ratio(value, base['warm'][str(n)]['handler_us_p50'])} |"
            )
    lines += [
        "",
        "**Response path** (handler return to the response POST, µs p50) and extensions after the response (ms p50)",
        "",
        "| subject | return→POST N=0 | N=10 | N=100 | N=100 / N=0 | growth x SDK floor's "
        "| extensions after response N=10 | N=100 | return→complete N=10 µs | x 0.15.0 "
        "| over the bare handler's µs | x 0.15.0 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def growth(row: dict[str, Any]) -> float:
        return float(row["warm"]["100"]["return_to_post_us_p50"] / row["warm"]["0"]["return_to_post_us_p50"])

    for name, row in summary.items():
        warm_rows = [row["warm"][str(n)] for n in NS]
        posts = [warm_row["return_to_post_us_p50"] for warm_row in warm_rows]
        base_cycle = summary.get(subjects[name].baseline, row)["warm"]["10"]["cycle_us_p50"]
        bare_cycle = bare["warm"]["10"]["cycle_us_p50"]
        over, base_over = warm_rows[1]["cycle_us_p50"] - bare_cycle, base_cycle - bare_cycle
        lines.append(
            f"| {name} | {posts[0]:.0f} | {posts[1]:.0f} | {posts[2]:.0f} | {_ratio(posts[2], posts[0])} | "
            f"{_ratio(growth(row), growth(floor))} | "
            f"{warm_rows[1]['extension_ms_p50']:.2f} | {warm_rows[2]['extension_ms_p50']:.2f} | "
            f"{warm_rows[1]['cycle_us_p50']:.0f} | {_ratio(warm_rows[1]['cycle_us_p50'], base_cycle)} | "
            f"{over:.0f} | {_ratio(over, base_over)} |"
        )
    lines += [
        "",
        "**Telemetry** (N=100, first round): bytes on stdout per span, spans exported / spans made",
        "",
        "| subject | bytes per span | x 0.15.0 | exported / made |",
        "|---|---|---|---|",
    ]
    for name, row in summary.items():
        if name == "bare handler":
            continue
        warm_row = row["warm"]["100"]
        base = summary.get(subjects[name].baseline, row)["warm"]["100"]
        per_span = warm_row["bytes_per_span"]
        shown = f"{per_span:.1f}" if per_span else "-"
        lines.append(
            f"| {name} | {shown} | {_ratio(per_span or 0, base['bytes_per_span'] or 0)} | "
            f"{warm_row['spans_exported']} / {warm_row['spans_made']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4, help="environments per subject, each measuring every N")
    parser.add_argument("--warm", type=int, default=500, help="measured warm invocations per N per round")
    parser.add_argument("--cold", type=int, default=24, help="extra cold starts per subject")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 round, 30 warm, 1 extra cold start")
    parser.add_argument("--seed", type=int, default=None, help="shuffle seed (default: random)")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated subject names to measure (the baselines bare handler, SDK floor and 0.15.0 are kept)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--venvs", type=Path, default=ROOT / ".bench" / "venvs")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.warm, args.cold = 1, 30, 1
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    versions = build_venvs(args.venvs)
    wanted = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = wanted - {subject.name for subject in SUBJECTS}
    if unknown:
        parser.error(f"--only: no subject named {', '.join(sorted(unknown))}")
    kept = wanted | {"bare handler", "SDK floor"} | {s.baseline for s in SUBJECTS if s.name in wanted}
    subjects = [subject for subject in SUBJECTS if not wanted or subject.name in kept]
    results = measure(subjects, args.venvs, args.rounds, args.warm, args.cold, random.Random(seed))
    summary = summarise(results)
    meta = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "rounds": args.rounds,
        "warm": args.warm,
        "cold_samples": args.rounds + args.cold,
        "seed": seed,
        "versions": versions,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "field.json").write_text(json.dumps({"meta": meta, "results": summary}, indent=2) + "\n")
    table = markdown(summary, meta)
    (args.out / "field.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
