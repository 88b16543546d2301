"""Per-invocation cost of tracing a handler, as ratios to calling the bare handler.

Usage: python benchmarks/invocation_overhead.py [--invocations N] [--rounds R]

Subjects, measured in one process, interleaved in shuffled rounds: the bare handler (the same
calls on a no-op tracer); the same
handler under ``@instrumented`` (typed with APIGatewayProxyEventV2, and untyped) and under
``traced_handler``; each with the default sync-mode export to stdout (redirected to /dev/null) and
with a processor that drops every span (the cost of instrumentation alone). The event is the
quickstart's HTTP API v2 event with a ``traceparent``; the handler makes N child spans.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from lambda_otel_lite import init_telemetry, instrumented, traced_handler
from lambda_otel_lite.events import APIGatewayProxyEventV2
from lambda_otel_lite.testing import LambdaContext

if TYPE_CHECKING:
    from collections.abc import Callable

EVENT = json.loads((Path(__file__).parent.parent / "examples" / "quickstart" / "event.json").read_text())


class Drop(SpanProcessor):
    def on_end(self, span: ReadableSpan) -> None:
        return None


def subjects(children: int, drop: bool) -> dict[str, Callable[[dict[str, Any], Any], Any]]:
    tracer, provider = init_telemetry("bench", span_processors=[Drop()] if drop else None)

    def work(tracer: trace.Tracer = tracer) -> None:
        for index in range(children):
            with tracer.start_as_current_span("child") as span:
                span.set_attributes({"a": 1, "b": "two", "c": 3.0, "d": True, "index": index})

    untraced = trace.NoOpTracer()

    def bare(event: dict[str, Any], context: Any) -> dict[str, Any]:
        work(untraced)  # the same calls, no tracing
        return {"statusCode": 200}

    @instrumented
    def typed(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
        work()
        return {"statusCode": 200}

    @instrumented
    def untyped(event: dict[str, Any], context: Any) -> dict[str, Any]:
        work()
        return {"statusCode": 200}

    def context_manager(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with traced_handler(tracer, provider, "GET /orders/{id}", event, context) as span:
            work()
            response = {"statusCode": 200}
            span.set_response(response)
            return response

    return {
        "bare handler": bare,
        "@instrumented typed": typed,
        "@instrumented untyped": untyped,
        "traced_handler": context_manager,
    }  # type: ignore[dict-item]


def measure(handler: Callable[[dict[str, Any], Any], Any], invocations: int) -> float:
    context = LambdaContext()
    start = time.perf_counter_ns()
    for _ in range(invocations):
        handler(EVENT, context)
    return (time.perf_counter_ns() - start) / invocations / 1000  # µs per invocation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print("| children | export | subject | median µs/invocation | x bare handler |\n|---|---|---|---|---|")
    for children in (0, 10):
        for export in ("stdout (sync)", "none (dropping processor)"):
            with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
                handlers = subjects(children, drop=export.startswith("none"))
                samples: dict[str, list[float]] = {name: [] for name in handlers}
                for handler in handlers.values():
                    measure(handler, 200)  # warm up
                for _ in range(args.rounds):
                    order = list(handlers)
                    random.shuffle(order)
                    for name in order:
                        samples[name].append(measure(handlers[name], args.invocations))
            base = statistics.median(samples["bare handler"])
            for name, values in samples.items():
                median = statistics.median(values)
                print(f"| {children} | {export} | {name} | {median:.1f} | {median / base:.2f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
