"""The export path alone: spans per second from finished spans to a telemetry line on stdout.

Usage: python benchmarks/export_path.py [--rounds R] [--batches B]

Subjects, in one process, interleaved in shuffled rounds, each writing to /dev/null:
- ``otlp-stdout-span-exporter``: ``OTLPStdoutSpanExporter`` (protobuf ``encode_spans``, gzip, base64, JSON);
- ``StdoutSpanExporter``: lambda-otel-lite's own encoder writing the same record;
- each one's encoding step alone (``encode_spans(...).SerializeToString()`` against ``_otlp.encode_spans``).

The batches are what the field benchmark's handler makes: one HTTP API (v2) invocation span with
the Lambda resource and N child spans with 5 attributes each; batch sizes 11 and 101 spans. Before
timing, both exporters' payloads are decoded and compared, so the figures are for the same bytes.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import io
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as reference_encode
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from otlp_stdout_span_exporter import OTLPStdoutSpanExporter

from lambda_otel_lite import StdoutSpanExporter, _otlp
from lambda_otel_lite.resource import LambdaResource, get_lambda_resource

sys.path.insert(0, str(Path(__file__).resolve().parent / "field" / "functions"))
from workload import make_children  # the field benchmark's workload, so both time the same spans

if TYPE_CHECKING:
    from collections.abc import Callable

LAMBDA_ENV = {
    "AWS_REGION": "eu-west-1",
    "AWS_LAMBDA_FUNCTION_NAME": "orders-api",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
}


def batch(children: int) -> list[ReadableSpan]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=LambdaResource.of(get_lambda_resource()))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("orders-api")
    root_attributes = {
        "faas.trigger": "http",
        "faas.invocation_id": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "cloud.account.id": "123456789012",
        "http.method": "GET",
        "http.target": "/orders/42",
        "http.route": "/orders/{id}",
        "http.scheme": "https",
        "http.status_code": 200,
        "faas.cold_start": False,
    }
    with tracer.start_as_current_span("GET /orders/{id}", attributes=root_attributes):
        make_children(tracer, children)
    provider.shutdown()
    return list(exporter.get_finished_spans())


def same_payload(spans: list[ReadableSpan]) -> None:
    """Both exporters' records carry the same decompressed payload (else the comparison is void)."""
    payloads = []
    for exporter in (OTLPStdoutSpanExporter(), StdoutSpanExporter()):
        capture = io.StringIO()
        with contextlib.redirect_stdout(capture):
            exporter.export(spans)
        record = json.loads(capture.getvalue())
        payloads.append(gzip.decompress(base64.b64decode(record["payload"])))
    if payloads[0] != payloads[1]:
        raise SystemExit("the two exporters wrote different payloads; fix that before timing them")


def spans_per_second(work: Callable[[], Any], spans: int, batches: int) -> float:
    started = time.perf_counter_ns()
    for _ in range(batches):
        work()
    return spans * batches / ((time.perf_counter_ns() - started) / 1e9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batches", type=int, default=200, help="exports per subject per round (11-span batches)")
    args = parser.parse_args()
    os.environ.update(LAMBDA_ENV)
    package, ours = OTLPStdoutSpanExporter(), StdoutSpanExporter()
    results: dict[tuple[str, int], list[float]] = {}
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        for size in (11, 101):
            spans = batch(size - 1)
            same_payload(spans)
            batches = max(args.batches * 11 // size, 10)
            subjects: dict[str, Callable[[], Any]] = {
                "otlp-stdout-span-exporter": lambda spans=spans: package.export(spans),
                "StdoutSpanExporter": lambda spans=spans: ours.export(spans),
                "reference encode_spans": lambda spans=spans: reference_encode(spans).SerializeToString(),
                "our encode_spans": lambda spans=spans: _otlp.encode_spans(spans),
            }
            for name in subjects:
                results[name, size] = []
            rng = random.Random(size)
            for _ in range(args.rounds):
                for name in rng.sample(list(subjects), len(subjects)):
                    results[name, size].append(spans_per_second(subjects[name], size, batches))
    rows = ["| subject | spans per batch | spans/s (median) | x otlp-stdout-span-exporter |", "|---|---|---|---|"]
    for (name, size), values in results.items():
        base = "otlp-stdout-span-exporter" if "exporter" in name.lower() else "reference encode_spans"
        ratio = statistics.median(values) / statistics.median(results[base, size])
        rows.append(f"| {name} | {size} | {statistics.median(values):,.0f} | {ratio:.2f} |")
    print(f"Python {sys.version.split()[0]}; {args.rounds} rounds; the encoders' ratio is to the reference encoder")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
