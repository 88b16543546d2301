"""A span per record of a batch, and where a failed record goes: a partial batch response
(``batchItemFailures``) for SQS, Kinesis and DynamoDB Streams, a failed invocation for every other
trigger. Spans decoded from stdout.

Record span names and attributes are derived from the event sources (``describe_record``), not
written out here: the sources own them.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_otel_lite import init_telemetry, instrumented, process_records, traced_records
from lambda_otel_lite.events import EventBridgeEvent, SNSEvent, SQSEvent, SQSRecord
from lambda_otel_lite.local.decode import DecodedSpan
from lambda_otel_lite.semconv import BATCH_ITEM_FAILURE, ERROR_TYPE, error_type
from lambda_otel_lite.sources import detect_source
from lambda_otel_lite.telemetry import STATE
from lambda_otel_lite.testing import LambdaContext, sample_event
from tests.functional.test_fuzz_events import FUZZ, mutated
from tests.support import StdoutTelemetry

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"
CONTEXT = LambdaContext(aws_request_id="r-1")
FAILED_COUNT = "lambda_otel_lite.batch.failed_count"
IN_RESPONSE = "The record is in the handler's batchItemFailures"
PARTIAL = ["sqs", "kinesis", "dynamodb"]
"""The triggers whose partial batch response Lambda honours."""
WHOLE = ["sns", "s3"]
"""Batch triggers that ignore it: a failed record fails the invocation."""


class OutOfStock(Exception):
    """A user's own exception: ``error.type`` is its canonical class name."""


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


def batch_of(sample: str, count: int) -> dict[str, Any]:
    """AWS's sample event *sample* with *count* records: its first one, repeated with new identifiers."""
    event = sample_event(sample)
    template = event["Records"][0]
    event["Records"] = []
    for index in range(count):
        record = copy.deepcopy(template)
        if sample == "sns":
            record["Sns"]["MessageId"] = f"sns-{index}"
        elif sample == "s3":
            record["s3"]["object"]["key"] = f"object-{index}"
        elif sample == "kinesis":
            record["kinesis"]["sequenceNumber"] = f"4959033827149025660855969253836157109592157598913658889{index}"
        elif sample == "dynamodb":
            record["dynamodb"]["SequenceNumber"] = f"11{index}"
        else:
            record["messageId"] = f"m-{index}"
        event["Records"].append(record)
    return event


def item_id(sample: str, record: dict[str, Any]) -> str:
    """The record's ``itemIdentifier`` as AWS documents it for the trigger."""
    if sample == "kinesis":
        return str(record["kinesis"]["sequenceNumber"])
    if sample == "dynamodb":
        return str(record["dynamodb"]["SequenceNumber"])
    return str(record["messageId"])


def without_id(sample: str, record: dict[str, Any]) -> None:
    """Remove the record's ``itemIdentifier``."""
    if sample == "kinesis":
        del record["kinesis"]["sequenceNumber"]
    elif sample == "dynamodb":
        del record["dynamodb"]["SequenceNumber"]
    else:
        del record["messageId"]


def events_of(span: DecodedSpan) -> list[tuple[str, Any, Any]]:
    return [
        (event.name, event.attributes.get("exception.type"), event.attributes.get("exception.message"))
        for event in span.events
    ]


def shape(span: DecodedSpan) -> dict[str, Any]:
    """A record span as one comparable structure."""
    return {
        "name": span.name,
        "kind": span.kind,
        "status": span.status,
        "status_message": span.status_message,
        "attributes": span.attributes,
        "events": events_of(span),
    }


def expected(
    record: dict[str, Any], event: dict[str, Any], *, raised: BaseException | None = None, named: bool = False
) -> dict[str, Any]:
    """The span of *record* as the rules say: UNSET; ERROR with the exception when its processing
    *raised*; ERROR ``batch_item_failure`` when the response *named* it without an exception. Its
    name and attributes are what the event's source gives it under the current config."""
    attributes: dict[str, Any] = {}
    name = detect_source(event).describe_record(record, STATE.names, attributes)
    status, message, events = "UNSET", "", []
    if raised is not None:
        attributes[ERROR_TYPE] = error_type(raised)
        status, message = "ERROR", str(raised)
        events = [("exception", error_type(raised), str(raised))]
    elif named:
        attributes[ERROR_TYPE] = BATCH_ITEM_FAILURE
        status, message = "ERROR", IN_RESPONSE
    return {
        "name": name,
        "kind": "CONSUMER",
        "status": status,
        "status_message": message,
        "attributes": attributes,
        "events": events,
    }


def outcome(span: DecodedSpan) -> dict[str, Any]:
    """What the invocation (batch) span says of the failures."""
    return {
        "status": span.status,
        "status_message": span.status_message,
        ERROR_TYPE: span.attributes.get(ERROR_TYPE),
        FAILED_COUNT: span.attributes.get(FAILED_COUNT),
        "events": events_of(span),
    }


def ok(failed_count: int | None = None) -> dict[str, Any]:
    return {"status": "UNSET", "status_message": "", ERROR_TYPE: None, FAILED_COUNT: failed_count, "events": []}


def split(spans: list[DecodedSpan]) -> tuple[DecodedSpan, list[DecodedSpan]]:
    """The invocation (batch) span, and the record spans (its children) in the order they started."""
    (batch,) = [span for span in spans if "faas.trigger" in span.attributes]
    records = sorted((span for span in spans if span is not batch), key=lambda span: span.start_time_unix_nano)
    assert [span.parent_span_id for span in records] == [batch.span_id] * len(records)
    return batch, records


def by_name(spans: list[DecodedSpan]) -> tuple[DecodedSpan, list[DecodedSpan]]:
    (batch,) = [span for span in spans if "faas.trigger" in span.attributes]
    records = sorted(
        (span for span in spans if span is not batch), key=lambda span: str(span.attributes["messaging.message.id"])
    )
    return batch, records


@pytest.fixture(autouse=True)
def telemetry() -> None:
    init_telemetry("records")


# --- record spans -----------------------------------------------------------------------------


def test_each_record_gets_a_child_span_linked_to_its_producer(stdout_telemetry: StdoutTelemetry) -> None:
    seen: list[str] = []

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> None:
        for record, span in traced_records(event):
            with span:
                seen.append(record["messageId"])

    event = sqs_batch()
    handler(copy.deepcopy(event), CONTEXT)
    batch, records = split(stdout_telemetry.spans())
    assert seen == ["m-0", "m-1", "m-2"]
    assert [span.trace_id for span in records] == [batch.trace_id] * 3
    assert [shape(span) for span in records] == [expected(record, event) for record in event["Records"]]
    assert records[0].attributes["messaging.message.id"] == "m-0"
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


def test_an_exception_is_recorded_on_its_record_span_with_its_type_and_message_and_propagates(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    raised: list[OutOfStock] = []

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> None:
        for record, span in traced_records(event):
            try:
                with span:
                    if record["messageId"] == "m-1":
                        raise OutOfStock("bad order")
            except OutOfStock as exc:
                raised.append(exc)

    event = sqs_batch()
    handler(copy.deepcopy(event), CONTEXT)
    batch, records = split(stdout_telemetry.spans())
    (exc,) = raised
    assert [shape(span) for span in records] == [
        expected(event["Records"][0], event),
        expected(event["Records"][1], event, raised=exc),
        expected(event["Records"][2], event),
    ]
    assert records[1].attributes[ERROR_TYPE] == "tests.functional.test_records.OutOfStock"
    assert records[1].status_message == "bad order"  # the message alone: error.type says the type
    assert outcome(batch) == ok()


def test_outside_an_instrumented_handler_record_spans_end_at_once(stdout_telemetry: StdoutTelemetry) -> None:
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    event = sqs_batch(2)
    for _, span in traced_records(event):
        with span:
            pass
    provider.force_flush()  # type: ignore[attr-defined]
    spans = stdout_telemetry.spans()
    assert [shape(span) for span in spans] == [expected(record, event) for record in event["Records"]]


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


# --- SQS, Kinesis, DynamoDB Streams: a partial batch response -----------------------------------


def test_process_records_reports_the_failures_as_powertools_does(stdout_telemetry: StdoutTelemetry) -> None:
    handled: list[str] = []
    declined = RuntimeError("payment declined")

    def handle(record: SQSRecord) -> None:
        handled.append(record.message_id)
        if record.message_id == "m-1":
            raise declined

    @instrumented
    def handler(event: SQSEvent, context: Any) -> dict[str, Any]:
        return process_records(event, handle)

    event = sqs_batch()
    response = handler(copy.deepcopy(event), CONTEXT)  # type: ignore[arg-type]
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert handled == ["m-0", "m-1", "m-2"]
    batch, records = split(stdout_telemetry.spans())
    assert [shape(span) for span in records] == [
        expected(event["Records"][0], event),
        expected(event["Records"][1], event, raised=declined),  # named too, but it keeps its exception
        expected(event["Records"][2], event),
    ]
    assert outcome(batch) == ok(failed_count=1)


@pytest.mark.parametrize("sample", PARTIAL)
def test_a_failed_record_of_a_partial_batch_trigger_is_named_by_its_identifier(
    sample: str, stdout_telemetry: StdoutTelemetry
) -> None:
    event = batch_of(sample, 3)
    failing = item_id(sample, event["Records"][1])
    poison = OutOfStock(f"poison record {failing}")
    handled: list[str] = []

    def handle(record: dict[str, Any]) -> None:
        handled.append(item_id(sample, record))
        if item_id(sample, record) == failing:
            raise poison

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, handle)

    assert handler(copy.deepcopy(event), CONTEXT) == {"batchItemFailures": [{"itemIdentifier": failing}]}
    assert handled == [item_id(sample, record) for record in event["Records"]]  # the others are processed
    batch, records = split(stdout_telemetry.spans())
    assert [shape(span) for span in records] == [
        expected(event["Records"][0], event),
        expected(event["Records"][1], event, raised=poison),
        expected(event["Records"][2], event),
    ]
    assert outcome(batch) == ok(failed_count=1)


def fail_the_second_record(
    event: dict[str, Any], poison: Exception
) -> tuple[list[int], pytest.ExceptionInfo[OutOfStock]]:
    """Run *event* through process_records with a handle that raises *poison* on the second record;
    the indexes of the records handled and the exception the handler raised."""
    handled: list[int] = []

    def handle(record: dict[str, Any]) -> None:
        handled.append(len(handled))
        if len(handled) == 2:
            raise poison

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, handle)

    with pytest.raises(OutOfStock) as caught:
        handler(copy.deepcopy(event), CONTEXT)
    return handled, caught


@pytest.mark.parametrize("sample", PARTIAL)
def test_a_failed_record_without_an_identifier_fails_the_whole_batch(
    sample: str, stdout_telemetry: StdoutTelemetry
) -> None:
    """It cannot be named in batchItemFailures: its exception propagates, so that Lambda retries the batch."""
    event = batch_of(sample, 3)
    without_id(sample, event["Records"][1])
    poison = OutOfStock("a record without an identifier")
    handled, caught = fail_the_second_record(event, poison)
    assert caught.value is poison
    assert handled == [0, 1]  # the record after it is not processed: the whole batch comes back
    batch, records = split(stdout_telemetry.spans())
    assert [shape(span) for span in records] == [
        expected(event["Records"][0], event),
        expected(event["Records"][1], event, raised=poison),
    ]
    assert outcome(batch) == {
        "status": "ERROR",
        "status_message": str(poison),
        ERROR_TYPE: error_type(poison),
        FAILED_COUNT: None,
        "events": [("exception", error_type(poison), str(poison))],
    }


def test_a_response_built_elsewhere_marks_the_record_spans_it_names(stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        for _, span in traced_records(event):
            with span:
                pass
        return {"batchItemFailures": [{"itemIdentifier": "m-2"}, {"itemIdentifier": "m-0"}]}

    event = sqs_batch()
    handler(copy.deepcopy(event), CONTEXT)
    batch, records = split(stdout_telemetry.spans())
    assert [shape(span) for span in records] == [
        expected(event["Records"][0], event, named=True),
        expected(event["Records"][1], event),
        expected(event["Records"][2], event, named=True),
    ]
    assert outcome(batch) == ok(failed_count=2)


def test_without_record_spans_the_batch_span_still_counts_the_failures(stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"batchItemFailures": []}

    handler(sqs_batch(), CONTEXT)
    (batch,) = stdout_telemetry.spans()
    assert outcome(batch) == ok(failed_count=0)


@pytest.mark.parametrize("sample", PARTIAL)
def test_a_batch_whose_every_record_failed_is_a_batch_item_failure(
    sample: str, stdout_telemetry: StdoutTelemetry
) -> None:
    down = OutOfStock("down")

    def handle(record: dict[str, Any]) -> None:
        raise down

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, handle)

    event = batch_of(sample, 3)
    response = handler(copy.deepcopy(event), CONTEXT)
    named = [{"itemIdentifier": item_id(sample, record)} for record in event["Records"]]
    assert response == {"batchItemFailures": named}
    batch, records = split(stdout_telemetry.spans())
    assert [shape(span) for span in records] == [expected(record, event, raised=down) for record in event["Records"]]
    assert outcome(batch) == {
        "status": "ERROR",
        "status_message": "Every record of the batch failed (3)",
        ERROR_TYPE: BATCH_ITEM_FAILURE,
        FAILED_COUNT: 3,
        "events": [],
    }


def test_on_a_fifo_queue_the_records_after_a_failure_are_not_processed_and_reported(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    handled: list[str] = []
    failure = OutOfStock("out of stock")

    def handle(record: dict[str, Any]) -> None:
        handled.append(record["messageId"])
        if record["messageId"] == "m-1":
            raise failure

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, handle)

    event = sqs_batch(4, queue="orders.fifo")
    response = handler(copy.deepcopy(event), CONTEXT)
    assert handled == ["m-0", "m-1"]
    assert response == {"batchItemFailures": [{"itemIdentifier": f"m-{n}"} for n in (1, 2, 3)]}
    batch, records = split(stdout_telemetry.spans())
    assert [shape(span) for span in records] == [  # the records not processed have no span
        expected(event["Records"][0], event),
        expected(event["Records"][1], event, raised=failure),
    ]
    assert outcome(batch) == ok(failed_count=3)


def test_a_typed_batch_outside_an_instrumented_handler_keeps_its_identifiers() -> None:
    model = SQSEvent.model_validate(sqs_batch(2))

    def handle(record: SQSRecord) -> None:
        if record.message_id == "m-1":
            raise OutOfStock("no stock")

    assert process_records(model, handle) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}


# --- SNS, S3 and any other Records event: a failed record fails the invocation ---------------------


@pytest.mark.parametrize("sample", WHOLE)
def test_a_failed_record_of_any_other_trigger_reraises_its_exception_and_stops(
    sample: str, stdout_telemetry: StdoutTelemetry
) -> None:
    """Lambda ignores batchItemFailures there: the invocation fails, and the records after the failed
    one are not processed (Lambda's retry delivers them again)."""
    event = batch_of(sample, 3)
    poison = OutOfStock("cannot deliver")
    handled, caught = fail_the_second_record(event, poison)
    assert caught.value is poison  # the user's own exception, not a wrapper
    assert caught.traceback[-1].name == "handle"  # and its own traceback
    assert handled == [0, 1]
    batch, records = split(stdout_telemetry.spans())
    assert [shape(span) for span in records] == [
        expected(event["Records"][0], event),
        expected(event["Records"][1], event, raised=poison),
    ]
    assert outcome(batch) == {
        "status": "ERROR",
        "status_message": str(poison),
        ERROR_TYPE: error_type(poison),
        FAILED_COUNT: None,
        "events": [("exception", error_type(poison), str(poison))],
    }


@pytest.mark.parametrize("sample", WHOLE)
def test_a_batch_of_any_other_trigger_that_succeeds_returns_an_empty_response(
    sample: str, caplog: pytest.LogCaptureFixture, stdout_telemetry: StdoutTelemetry
) -> None:
    event = sample_event(sample)

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, lambda record: None)

    assert handler(copy.deepcopy(event), CONTEXT) == {"batchItemFailures": []}
    batch, records = split(stdout_telemetry.spans())
    assert [shape(span) for span in records] == [expected(record, event) for record in event["Records"]]
    assert outcome(batch) == ok()
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_a_typed_sns_handler_reraises_too(stdout_telemetry: StdoutTelemetry) -> None:
    poison = OutOfStock("typed")

    def handle(record: Any) -> None:
        raise poison

    @instrumented
    def handler(event: SNSEvent, context: Any) -> dict[str, Any]:
        return process_records(event, handle)

    with pytest.raises(OutOfStock):
        handler(sample_event("sns"), CONTEXT)  # type: ignore[arg-type]
    batch, (record,) = split(stdout_telemetry.spans())
    assert shape(record) == expected(sample_event("sns")["Records"][0], sample_event("sns"), raised=poison)
    assert outcome(batch)[ERROR_TYPE] == error_type(poison)


def test_a_records_event_of_no_known_source_fails_the_invocation_too(stdout_telemetry: StdoutTelemetry) -> None:
    event = {"Records": [{"eventSource": "aws:ses", "id": "1"}, {"eventSource": "aws:ses", "id": "2"}]}
    poison = OutOfStock("unknown")

    def handle(record: dict[str, Any]) -> None:
        raise poison

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, handle)

    with pytest.raises(OutOfStock):
        handler(copy.deepcopy(event), CONTEXT)
    _, records = split(stdout_telemetry.spans())
    assert [shape(span) for span in records] == [expected(event["Records"][0], event, raised=poison)]


# --- events that are not batches ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "what", "trigger"),
    [
        ("eventbridge", "an event of source 'eventbridge'", "pubsub"),
        ("eventbridge-scheduled", "an event of source 'eventbridge'", "timer"),
        ("apigateway-http-v2", "an event of source 'apigateway-v2'", "http"),
    ],
)
def test_process_records_of_an_event_that_is_not_a_batch_is_a_type_error(
    sample: str, what: str, trigger: str, stdout_telemetry: StdoutTelemetry
) -> None:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, lambda record: None)

    with pytest.raises(TypeError) as caught:
        handler(sample_event(sample), CONTEXT)
    assert f"it got {what} (faas.trigger {trigger!r})" in str(caught.value)
    assert "process_records needs a batch event, one with a 'Records' list" in str(caught.value)
    (span,) = stdout_telemetry.spans()
    assert (span.status, span.attributes[ERROR_TYPE]) == ("ERROR", "TypeError")


def test_a_typed_event_that_is_not_a_batch_is_a_type_error_naming_its_raw_event() -> None:
    @instrumented
    def handler(event: EventBridgeEvent[dict[str, Any]], context: Any) -> dict[str, Any]:
        return process_records(event, lambda record: None)

    with pytest.raises(TypeError, match=r"it got an event of source 'eventbridge' \(faas.trigger 'pubsub'\)"):
        handler(sample_event("eventbridge"), CONTEXT)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("event", "what"),
    [
        ({"orderId": "A-1"}, "an event of no known source (faas.trigger 'other')"),
        ({"Records": "not a list"}, "an event of no known source (faas.trigger 'other')"),
        (None, "a NoneType, not an event (faas.trigger 'other')"),
        ([], "a list, not an event (faas.trigger 'other')"),
    ],
)
def test_process_records_outside_a_handler_names_what_it_got(event: Any, what: str) -> None:
    with pytest.raises(TypeError) as caught:
        process_records(event, lambda record: None)
    assert str(caught.value) == (
        "process_records needs a batch event, one with a 'Records' list (SQS, Kinesis, DynamoDB Streams, SNS, S3); "
        f"it got {what} without one. Process a single event in the handler itself"
    )


def test_an_empty_batch_is_a_batch_of_none(stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, lambda record: None)

    assert handler({"Records": []}, CONTEXT) == {"batchItemFailures": []}
    (span,) = stdout_telemetry.spans()
    assert outcome(span) == ok()


# --- a partial batch response Lambda ignores ---------------------------------------------------


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name == "lambda_otel_lite.records"
    ]


@pytest.mark.parametrize("sample", WHOLE)
def test_batch_item_failures_of_any_other_trigger_are_reported_lost_once_per_process(
    sample: str, caplog: pytest.LogCaptureFixture, stdout_telemetry: StdoutTelemetry
) -> None:
    event = batch_of(sample, 2)

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        for index, (_, span) in enumerate(traced_records(event)):
            with span:
                if index == 1:
                    failures.append({"itemIdentifier": span.record_id or "1"})
        return {"batchItemFailures": failures}

    caplog.set_level(logging.DEBUG, logger="lambda_otel_lite.records")
    for _ in range(2):
        handler(copy.deepcopy(event), CONTEXT)
    assert warnings_of(caplog) == [
        f"The handler of an event of source {sample!r} returned batchItemFailures naming 1 record(s), but Lambda "
        "honours a partial batch response only for SQS, Kinesis and DynamoDB Streams: it ignores this one, and "
        "those records are lost (no retry, no dead-letter queue or on-failure destination). Raise instead: let "
        "the record's exception propagate (process_records does), so that the invocation fails and Lambda "
        "retries it"
    ]
    spans = stdout_telemetry.spans()
    for trace_id in {span.trace_id for span in spans}:
        batch, records = split([span for span in spans if span.trace_id == trace_id])
        named = sample == "sns"  # S3 records have no identifier: no record span can be named
        assert [shape(span) for span in records] == [
            expected(event["Records"][0], event),
            expected(event["Records"][1], event, named=named),
        ]
        assert outcome(batch) == {
            "status": "ERROR",
            "status_message": "Lambda ignores batchItemFailures for this trigger: 1 failed record(s) are not retried",
            ERROR_TYPE: BATCH_ITEM_FAILURE,
            FAILED_COUNT: 1,
            "events": [],
        }


def test_batch_item_failures_of_an_eventbridge_event_are_reported_lost(
    caplog: pytest.LogCaptureFixture, stdout_telemetry: StdoutTelemetry
) -> None:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": event["id"]}]}

    handler(sample_event("eventbridge"), CONTEXT)
    (span,) = stdout_telemetry.spans()
    assert (span.status, span.attributes[ERROR_TYPE], span.attributes[FAILED_COUNT]) == (
        "ERROR",
        BATCH_ITEM_FAILURE,
        1,
    )
    assert len(warnings_of(caplog)) == 1


@pytest.mark.parametrize("event", [{"orderId": "A-1"}, sample_event("apigateway-http-v2")])
def test_batch_item_failures_returned_to_a_caller_that_reads_them_are_not_judged(
    event: dict[str, Any], caplog: pytest.LogCaptureFixture, stdout_telemetry: StdoutTelemetry
) -> None:
    """A direct invocation or an HTTP request: the caller gets the response, nothing is lost."""

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": "x"}]}

    handler(event, CONTEXT)
    (span,) = stdout_telemetry.spans()
    assert outcome(span) == ok()
    assert warnings_of(caplog) == []


@pytest.mark.parametrize("sample", WHOLE)
def test_an_empty_response_of_any_other_trigger_is_no_failure(
    sample: str, caplog: pytest.LogCaptureFixture, stdout_telemetry: StdoutTelemetry
) -> None:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"batchItemFailures": []}

    handler(sample_event(sample), CONTEXT)
    (span,) = stdout_telemetry.spans()
    assert outcome(span) == ok()
    assert warnings_of(caplog) == []


def test_a_response_whose_own_property_raises_is_not_a_partial_batch_response(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    class Response:
        @property
        def batch_item_failures(self) -> list[Any]:
            raise RuntimeError("the response's own bug")

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> Response:
        return Response()

    assert isinstance(handler(sqs_batch(), CONTEXT), Response)
    (span,) = stdout_telemetry.spans()
    assert outcome(span) == ok()


# --- any event ---------------------------------------------------------------------------------


@FUZZ
@given(event=st.one_of(*(mutated(sample) for sample in ("sqs", "sqs-sns", "sns", "kinesis", "dynamodb", "s3"))))
def test_record_spans_of_any_mutated_batch_never_raise_into_the_handler(
    event: Any, stdout_telemetry: StdoutTelemetry
) -> None:
    """Whatever the records hold, telemetry raises nothing; only an event without a Records list is refused."""
    tracer, provider = init_telemetry("fuzz")
    seen: list[Any] = []

    @instrumented(tracer=tracer, tracer_provider=provider)
    def handler(event: dict[str, Any], context: Any) -> Any:
        return process_records(event, seen.append)

    records = event.get("Records") if isinstance(event, dict) else None
    if isinstance(records, list):
        assert handler(copy.deepcopy(event), CONTEXT) == {"batchItemFailures": []}
    else:
        with pytest.raises(TypeError, match="process_records needs a batch event"):
            handler(copy.deepcopy(event), CONTEXT)
    assert len(seen) == (len(records) if isinstance(records, list) else 0)
    spans = stdout_telemetry.spans()
    assert len(spans) == 1 + len(seen)
