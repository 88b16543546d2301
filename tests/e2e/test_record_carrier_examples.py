"""The examples of examples/record_carriers/ run in the local Lambda and export the links their README describes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambda_otel_lite.local.decode import decode_lines
from lambda_otel_lite.local.runtime import LocalRuntime

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "record_carriers"
A = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
B = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")


@pytest.mark.parametrize(
    ("module", "response"),
    [
        ("kinesis", {"batchItemFailures": []}),
        ("sqs_body", {"batchItemFailures": [{"itemIdentifier": "7b2f4e10-0000-4000-8000-000000000002"}]}),
    ],
)
def test_each_record_carrier_example_links_the_batch_and_record_spans_to_the_producers(
    module: str, response: dict[str, object]
) -> None:
    event = json.loads((EXAMPLES / f"{module}.json").read_text())
    with LocalRuntime(f"{EXAMPLES / module}.py:handler") as local:
        assert local.invoke(event).response_json() == response
        assert local.shutdown() in (0, -9)
        spans, errors = decode_lines(local.stdout_lines())
    assert errors == []
    (batch,) = [span for span in spans if "faas.trigger" in span.attributes]
    records = sorted((span for span in spans if span is not batch), key=lambda span: span.start_time_unix_nano)
    assert {
        "batch": [(link.trace_id, link.span_id) for link in batch.links],
        "records": [[(link.trace_id, link.span_id) for link in span.links] for span in records],
    } == {"batch": [A, B], "records": [[A], [B], []]}
