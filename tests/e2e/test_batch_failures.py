"""A failed record reaches Lambda's retry, under the real awslambdaric, with every span exported.

The function (``functions/batch_failures.py``) runs ``process_records`` over AWS's sample event of
each trigger, and its last record fails. For SQS, Kinesis and DynamoDB Streams the runtime posts a
successful response that names exactly that record (Lambda retries it alone); for SNS and S3 it
posts the invocation's error with the function's own ``errorType`` (Lambda retries the event, then
sends it to the dead-letter queue or on-failure destination). An EventBridge event is no batch:
``TypeError``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambda_otel_lite import semconv
from lambda_otel_lite._config import SemconvMode
from lambda_otel_lite.local.decode import DecodedSpan, decode_lines
from lambda_otel_lite.local.runtime import Invocation, LocalRuntime
from lambda_otel_lite.sources import detect_source
from lambda_otel_lite.testing import sample_event
from tests.e2e.support import export_violations, runtime

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"

FAILURE = "the last record of the batch cannot be processed"
ERROR_TYPE = "batch_failures.RecordFailed"
"""``error.type`` of the function's exception: its canonical class name (the handler module is ``batch_failures``)."""
MODES = ["sync", "async"]


def item_id(sample: str, record: dict[str, Any]) -> str:
    """The record's ``itemIdentifier`` as AWS documents it for the trigger."""
    if sample == "kinesis":
        return str(record["kinesis"]["sequenceNumber"])
    if sample == "dynamodb":
        return str(record["dynamodb"]["SequenceNumber"])
    return str(record["messageId"])


def record_span(record: dict[str, Any], event: dict[str, Any], *, failed: bool) -> dict[str, Any]:
    """The span of *record* as the rules say: named and described by the event's source (the
    function's default naming), ERROR with the function's exception when it *failed*."""
    attributes: dict[str, Any] = {}
    name = detect_source(event).describe_record(record, semconv.attribute_names(SemconvMode.LEGACY), attributes)
    if not failed:
        return {
            "name": name,
            "kind": "CONSUMER",
            "status": "UNSET",
            "message": "",
            "attributes": attributes,
            "events": [],
        }
    attributes[semconv.ERROR_TYPE] = ERROR_TYPE
    return {
        "name": name,
        "kind": "CONSUMER",
        "status": "ERROR",
        "message": FAILURE,
        "attributes": attributes,
        "events": [("exception", ERROR_TYPE, FAILURE)],
    }


def shape(span: DecodedSpan) -> dict[str, Any]:
    return {
        "name": span.name,
        "kind": span.kind,
        "status": span.status,
        "message": span.status_message,
        "attributes": span.attributes,
        "events": [
            (event.name, event.attributes.get("exception.type"), event.attributes.get("exception.message"))
            for event in span.events
        ],
    }


def outcome(span: DecodedSpan) -> dict[str, Any]:
    """What the invocation span says of the failure."""
    return {
        "status": span.status,
        "message": span.status_message,
        semconv.ERROR_TYPE: span.attributes.get(semconv.ERROR_TYPE),
        "lambda_otel_lite.batch.failed_count": span.attributes.get("lambda_otel_lite.batch.failed_count"),
        "events": [(event.name, event.attributes.get("exception.type")) for event in span.events],
    }


def exported(local: LocalRuntime, invocation: Invocation) -> tuple[DecodedSpan, list[DecodedSpan], list[DecodedSpan]]:
    """The invocation span, its record spans (in the order they started) and the spans under them."""
    spans, errors = decode_lines(local.stdout_lines())
    assert errors == []
    (root,) = [span for span in spans if span.attributes.get("faas.invocation_id") == invocation.request_id]
    records = sorted(
        (span for span in spans if span.parent_span_id == root.span_id), key=lambda span: span.start_time_unix_nano
    )
    record_ids = {span.span_id for span in records}
    children = [span for span in spans if span.parent_span_id in record_ids]
    assert len(spans) == 1 + len(records) + len(children)  # nothing else, nothing twice
    return root, records, children


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sample", ["sqs", "kinesis", "dynamodb"])
def test_a_partial_batch_trigger_gets_a_response_naming_exactly_the_failed_record(sample: str, mode: str) -> None:
    event = sample_event(sample)
    count = len(event["Records"])
    assert count > 1  # AWS's samples: the records before the failed one are processed and not named
    with runtime("batch_failures", mode) as local:
        invocation = local.invoke(event)
        assert invocation.error is None
        failed = item_id(sample, event["Records"][-1])
        assert invocation.response_json() == {"batchItemFailures": [{"itemIdentifier": failed}]}
        assert export_violations(local, spans_per_invocation=1 + 2 * count) == []
        root, records, children = exported(local, invocation)
    assert [shape(span) for span in records] == [
        record_span(record, event, failed=index == count - 1) for index, record in enumerate(event["Records"])
    ]
    assert [span.name for span in children] == ["handle record"] * count
    assert outcome(root) == {
        "status": "UNSET",
        "message": "",
        semconv.ERROR_TYPE: None,
        "lambda_otel_lite.batch.failed_count": 1,
        "events": [],
    }


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sample", ["sns", "s3"])
def test_any_other_trigger_gets_the_invocation_error_with_the_functions_error_type(sample: str, mode: str) -> None:
    event = sample_event(sample)
    (record,) = event["Records"]  # SNS and S3 deliver one record per event
    with runtime("batch_failures", mode) as local:
        invocation = local.invoke(event)
        assert invocation.response is None
        assert invocation.error is not None
        assert (invocation.error["errorType"], invocation.error["errorMessage"]) == ("RecordFailed", FAILURE)
        assert export_violations(local, spans_per_invocation=3) == []
        root, records, children = exported(local, invocation)
    assert [shape(span) for span in records] == [record_span(record, event, failed=True)]
    assert [(span.name, span.status) for span in children] == [("handle record", "ERROR")]
    assert outcome(root) == {
        "status": "ERROR",
        "message": FAILURE,
        semconv.ERROR_TYPE: ERROR_TYPE,
        "lambda_otel_lite.batch.failed_count": None,
        "events": [("exception", ERROR_TYPE)],
    }


def test_an_eventbridge_event_is_no_batch_and_fails_with_a_type_error() -> None:
    with runtime("batch_failures", "sync") as local:
        invocation = local.invoke(sample_event("eventbridge"))
        assert invocation.error is not None
        assert invocation.error["errorType"] == "TypeError"
        assert "it got an event of source 'eventbridge' (faas.trigger 'pubsub')" in invocation.error["errorMessage"]
        assert export_violations(local, spans_per_invocation=1) == []
        root, records, _ = exported(local, invocation)
    assert records == []
    assert (root.status, root.attributes[semconv.ERROR_TYPE]) == ("ERROR", "TypeError")


def test_the_notifications_example_fails_the_invocation_and_exports_its_spans() -> None:
    event = json.loads((EXAMPLES_DIR / "batch_records" / "notification.json").read_text())
    with LocalRuntime(f"{EXAMPLES_DIR / 'batch_records' / 'notifications'}.py:handler") as local:
        invocation = local.invoke(event)
        assert invocation.error is not None
        assert invocation.error["errorType"] == "JSONDecodeError"
        assert export_violations(local, spans_per_invocation=2) == []
        root, records, children = exported(local, invocation)
    (record,) = event["Records"]
    assert [(span.name, span.status, span.attributes[semconv.ERROR_TYPE]) for span in records] == [
        (record_span(record, event, failed=True)["name"], "ERROR", "json.decoder.JSONDecodeError")
    ]
    assert children == []  # it failed before its child span
    assert (root.status, root.attributes[semconv.ERROR_TYPE]) == ("ERROR", "json.decoder.JSONDecodeError")
