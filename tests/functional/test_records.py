"""A span per record of a batch, and partial batch responses (``batchItemFailures``), decoded from stdout."""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_otel_lite import init_telemetry, instrumented, process_records, traced_records
from lambda_otel_lite.events import SQSEvent, SQSRecord
from lambda_otel_lite.local.decode import DecodedSpan
from lambda_otel_lite.testing import LambdaContext, sample_event
from tests.functional.test_fuzz_events import FUZZ, mutated
from tests.support import StdoutTelemetry

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"
CONTEXT = LambdaContext(aws_request_id="r-1")


def sqs_batch(count: int = 3, queue: str = "orders") -> dict[str, Any]:
    event = sample_event("sqs")
    template = event["Records"][0]
    event["Records"] = []
    for index in range(count):
        record = copy.deepcopy(template)
        record["messageId"] = f"m-{index}"
        record["eventSourceARN"] = f"arn:aws:sqs:us-east-2:123456789012:{queue}"
        record["messageAttributes"] = (
            {"traceparent": {"stringValue": f"00-{TRACE}-{PARENT}-01", "dataType": "String"}} if index == 0 else {}
        )
        event["Records"].append(record)
    return event


def by_name(spans: list[DecodedSpan]) -> tuple[DecodedSpan, list[DecodedSpan]]:
    (batch,) = [span for span in spans if "faas.trigger" in span.attributes]
    records = sorted(
        (span for span in spans if span is not batch), key=lambda span: str(span.attributes["messaging.message.id"])
    )
    return batch, records


@pytest.fixture(autouse=True)
def telemetry() -> None:
    init_telemetry("records")


def test_each_record_gets_a_child_span_linked_to_its_producer(stdout_telemetry: StdoutTelemetry) -> None:
    seen: list[str] = []

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> None:
        for record, span in traced_records(event):
            with span:
                seen.append(record["messageId"])

    handler(sqs_batch(), CONTEXT)
    batch, records = by_name(stdout_telemetry.spans())
    assert seen == ["m-0", "m-1", "m-2"]
    assert [span.parent_span_id for span in records] == [batch.span_id] * 3
    assert [span.trace_id for span in records] == [batch.trace_id] * 3
    assert [(span.name, span.kind) for span in records] == [("orders process", "CONSUMER")] * 3
    assert records[0].attributes == {
        "messaging.message.id": "m-0",
        "messaging.system": "aws_sqs",
        "messaging.operation": "process",
        "messaging.destination.name": "orders",
    }
    assert [[(link.trace_id, link.span_id) for link in span.links] for span in records] == [[(TRACE, PARENT)], [], []]
    assert all(batch.start_time_unix_nano <= span.start_time_unix_nano for span in records)
    assert all(span.end_time_unix_nano <= batch.end_time_unix_nano for span in records)


def test_each_record_context_is_read_once_for_the_batch_link_and_the_record_span(
    monkeypatch: pytest.MonkeyPatch, stdout_telemetry: StdoutTelemetry
) -> None:
    from lambda_otel_lite.sources.sqs import SqsSource

    reads: list[str] = []
    original = SqsSource.record_context

    def counted(self: SqsSource, record: Any) -> Any:
        reads.append(record["messageId"])
        return original(self, record)

    monkeypatch.setattr(SqsSource, "record_context", counted)

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> None:
        for _, span in traced_records(event):
            with span:
                pass

    handler(sqs_batch(), CONTEXT)
    assert reads == ["m-0", "m-1", "m-2"]  # once each, when the invocation started
    batch, records = by_name(stdout_telemetry.spans())
    assert [(link.trace_id, link.span_id) for link in batch.links] == [(TRACE, PARENT)]
    assert [[(link.trace_id, link.span_id) for link in span.links] for span in records] == [[(TRACE, PARENT)], [], []]


def test_typed_handlers_get_their_record_models(stdout_telemetry: StdoutTelemetry) -> None:
    kinds: list[type] = []

    @instrumented
    def handler(event: SQSEvent, context: Any) -> None:
        for record, span in traced_records(event):
            with span:
                kinds.append(type(record))

    handler(sqs_batch(2), CONTEXT)  # type: ignore[arg-type]
    assert kinds == [SQSRecord, SQSRecord]
    _, records = by_name(stdout_telemetry.spans())
    assert [span.attributes["messaging.message.id"] for span in records] == ["m-0", "m-1"]


def test_an_exception_is_recorded_on_its_record_span_and_propagates(stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> None:
        for record, span in traced_records(event):
            try:
                with span:
                    if record["messageId"] == "m-1":
                        raise ValueError("bad order")
            except ValueError:
                pass

    handler(sqs_batch(), CONTEXT)
    batch, records = by_name(stdout_telemetry.spans())
    assert [(span.status, span.status_message) for span in records] == [
        ("UNSET", ""),
        ("ERROR", "ValueError: bad order"),
        ("UNSET", ""),
    ]
    assert [event.name for event in records[1].events] == ["exception"]
    assert batch.status == "UNSET"


def test_process_records_reports_the_failures_as_powertools_does(stdout_telemetry: StdoutTelemetry) -> None:
    handled: list[str] = []

    def handle(record: SQSRecord) -> None:
        handled.append(record.message_id)
        if record.message_id == "m-1":
            raise RuntimeError("payment declined")

    @instrumented
    def handler(event: SQSEvent, context: Any) -> dict[str, Any]:
        return process_records(event, handle)

    response = handler(sqs_batch(), CONTEXT)  # type: ignore[arg-type]
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert handled == ["m-0", "m-1", "m-2"]
    batch, records = by_name(stdout_telemetry.spans())
    assert [span.status for span in records] == ["UNSET", "ERROR", "UNSET"]
    assert records[1].status_message == "The record is in the handler's batchItemFailures"
    assert batch.attributes["lambda_otel_lite.batch.failed_count"] == 1
    assert batch.status == "UNSET"


def test_a_batch_whose_every_record_failed_is_an_error(stdout_telemetry: StdoutTelemetry) -> None:
    def handle(record: dict[str, Any]) -> None:
        raise RuntimeError("down")

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, handle)

    assert len(handler(sqs_batch(), CONTEXT)["batchItemFailures"]) == 3
    batch, records = by_name(stdout_telemetry.spans())
    assert (batch.status, batch.status_message) == ("ERROR", "Every record of the batch failed (3)")
    assert {span.status for span in records} == {"ERROR"}


def test_a_response_built_elsewhere_marks_the_record_spans_it_names(stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        for _, span in traced_records(event):
            with span:
                pass
        return {"batchItemFailures": [{"itemIdentifier": "m-2"}, {"itemIdentifier": "m-0"}]}

    handler(sqs_batch(), CONTEXT)
    batch, records = by_name(stdout_telemetry.spans())
    assert [span.status for span in records] == ["ERROR", "UNSET", "ERROR"]
    assert batch.attributes["lambda_otel_lite.batch.failed_count"] == 2


def test_without_record_spans_the_batch_span_still_counts_the_failures(stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"batchItemFailures": []}

    handler(sqs_batch(), CONTEXT)
    (batch,) = stdout_telemetry.spans()
    assert batch.attributes["lambda_otel_lite.batch.failed_count"] == 0


def test_on_a_fifo_queue_the_records_after_a_failure_are_not_processed_and_reported(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    handled: list[str] = []

    def handle(record: dict[str, Any]) -> None:
        handled.append(record["messageId"])
        if record["messageId"] == "m-1":
            raise RuntimeError("out of stock")

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, handle)

    response = handler(sqs_batch(4, queue="orders.fifo"), CONTEXT)
    assert handled == ["m-0", "m-1"]
    assert response == {"batchItemFailures": [{"itemIdentifier": f"m-{n}"} for n in (1, 2, 3)]}


@pytest.mark.parametrize(("sample", "identifier"), [("kinesis", "sequenceNumber"), ("dynamodb", "SequenceNumber")])
def test_streams_report_their_sequence_numbers(sample: str, identifier: str, stdout_telemetry: StdoutTelemetry) -> None:
    event = sample_event(sample)
    inner = "kinesis" if sample == "kinesis" else "dynamodb"
    first = event["Records"][0][inner][identifier]

    def handle(record: dict[str, Any]) -> None:
        if record[inner][identifier] == first:
            raise RuntimeError("poison record")

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, handle)

    assert handler(event, CONTEXT) == {"batchItemFailures": [{"itemIdentifier": first}]}
    spans = stdout_telemetry.spans()
    (batch,) = [span for span in spans if "faas.trigger" in span.attributes]
    assert batch.attributes["lambda_otel_lite.batch.failed_count"] == 1
    assert sum(span.status == "ERROR" for span in spans) == 1
    assert len(spans) == 1 + len(event["Records"])


def test_outside_an_instrumented_handler_record_spans_end_at_once(stdout_telemetry: StdoutTelemetry) -> None:
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    for _, span in traced_records(sqs_batch(2)):
        with span:
            pass
    provider.force_flush()  # type: ignore[attr-defined]
    spans = stdout_telemetry.spans()
    assert [span.name for span in spans] == ["orders process", "orders process"]


def test_a_timeout_cuts_the_open_record_span_and_keeps_the_finished_ones(
    monkeypatch: pytest.MonkeyPatch, stdout_telemetry: StdoutTelemetry
) -> None:
    monkeypatch.setenv("LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS", "200")
    init_telemetry("records")
    waited = threading.Event()

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> None:
        for record, span in traced_records(event):
            with span as current:
                if record["messageId"] == "m-1":
                    deadline = time.monotonic() + 10
                    while current.is_recording() and time.monotonic() < deadline:  # until the watchdog cut it
                        waited.wait(0.002)

    handler(sqs_batch(2), LambdaContext(timeout_millis=500))
    batch, records = by_name(stdout_telemetry.spans())
    assert batch.attributes["error.type"] == "timeout"
    assert [span.status for span in records] == ["UNSET", "ERROR"]
    assert records[1].status_message == "Cut short: the invocation ended (timeout) first"


@FUZZ
@given(event=st.one_of(*(mutated(sample) for sample in ("sqs", "sqs-sns", "sns", "kinesis", "dynamodb"))))
def test_record_spans_of_any_mutated_batch_never_raise_into_the_handler(
    event: Any, stdout_telemetry: StdoutTelemetry
) -> None:
    tracer, provider = init_telemetry("fuzz")
    seen: list[Any] = []

    @instrumented(tracer=tracer, tracer_provider=provider)
    def handler(event: dict[str, Any], context: Any) -> Any:
        return process_records(event, seen.append)

    response = handler(copy.deepcopy(event), CONTEXT)
    assert response == {"batchItemFailures": []}
    records = event.get("Records") if isinstance(event, dict) else None
    assert len(seen) == (len(records) if isinstance(records, list) else 0)
    spans = stdout_telemetry.spans()
    assert len(spans) == 1 + len(seen)
