"""SNS, Kinesis, DynamoDB Streams, S3 and EventBridge: the invocation span of each, decoded from stdout.

Untyped handlers get their spans by shape detection, typed ones by their model; both naming modes.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest

from lambda_otel_lite import init_telemetry, instrumented
from lambda_otel_lite.testing import LambdaContext, sample_event
from tests.support import INVOCATION_CONTEXT_KEYS, StdoutTelemetry, shape

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE}-{PARENT}-01"
CONTEXT = LambdaContext(aws_request_id="r-1")


@pytest.fixture(params=["legacy", "http"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param != "legacy":
        monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", request.param)
    init_telemetry("triggers")
    return str(request.param)


def operation(mode: str) -> dict[str, str]:
    """The current messaging conventions in every naming mode (docs/faas/aws-lambda.md, v1.44.0:
    ``messaging.operation.type`` MUST be ``process``)."""
    return {"messaging.operation.type": "process", "messaging.operation.name": "process"}


def name(mode: str, destination: str) -> str:
    """``{operation} {destination}`` in every naming mode (docs/messaging/messaging-spans.md, "Span name")."""
    return f"process {destination}"


FUNCTION = CONTEXT.function_name
"""The span name of a trigger the conventions name nothing else for (docs/faas/aws-lambda.md)."""


def invocation_span(event: dict[str, Any], stdout: StdoutTelemetry) -> dict[str, Any]:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> None:
        return None

    handler(copy.deepcopy(event), CONTEXT)
    (span,) = stdout.spans()
    result = shape(span)
    for key in INVOCATION_CONTEXT_KEYS:
        result["attributes"].pop(key, None)
    return result


def test_sns(mode: str, stdout_telemetry: StdoutTelemetry) -> None:
    span = invocation_span(sample_event("sns"), stdout_telemetry)
    assert span == {
        "name": name(mode, "sns-lambda"),
        "kind": "CONSUMER",
        "status": "UNSET",
        "status_message": "",
        "parent": None,
        "attributes": {
            "faas.trigger": "pubsub",
            "messaging.system": "aws.sns",
            **operation(mode),
            # one message per invocation: its id, and no batch count (messaging-spans.md: SHOULD NOT)
            "messaging.message.id": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "messaging.destination.name": "sns-lambda",
            "aws.sns.topic.arn": "arn:aws:sns:us-east-2:123456789012:sns-lambda",
        },
        "links": [],
        "events": [],
    }


def test_kinesis(mode: str, stdout_telemetry: StdoutTelemetry) -> None:
    span = invocation_span(sample_event("kinesis"), stdout_telemetry)
    assert (span["name"], span["kind"]) == (name(mode, "lambda-stream"), "CONSUMER")
    assert span["attributes"] == {
        "faas.trigger": "pubsub",
        "messaging.system": "aws.kinesis",
        **operation(mode),
        "messaging.batch.message_count": 2,
        "messaging.destination.name": "lambda-stream",
    }


def test_dynamodb_is_a_datasource(mode: str, stdout_telemetry: StdoutTelemetry) -> None:
    event = sample_event("dynamodb")
    span = invocation_span(event, stdout_telemetry)
    assert (span["name"], span["kind"]) == (FUNCTION, "SERVER")  # named after the function
    assert {record["eventName"] for record in event["Records"]} == {"INSERT", "MODIFY", "REMOVE"}
    assert span["attributes"] == {
        "faas.trigger": "datasource",
        "faas.document.collection": "ExampleTableWithStream",
        # required on a datasource span (model/faas/spans.yaml): the first record's, like the time
        "faas.document.operation": "insert",
        "faas.document.time": "2015-04-09T00:00:00Z",
    }


def test_dynamodb_operation_is_the_first_records(stdout_telemetry: StdoutTelemetry) -> None:
    init_telemetry("triggers")
    event = sample_event("dynamodb")
    event["Records"][0]["eventName"] = "REMOVE"
    assert invocation_span(event, stdout_telemetry)["attributes"]["faas.document.operation"] == "delete"


def test_s3_is_a_datasource(mode: str, stdout_telemetry: StdoutTelemetry) -> None:
    span = invocation_span(sample_event("s3"), stdout_telemetry)
    assert (span["name"], span["kind"]) == (FUNCTION, "SERVER")
    assert span["attributes"] == {
        "faas.trigger": "datasource",
        "faas.document.collection": "amzn-s3-demo-bucket",
        "faas.document.name": "b21b84d653bb07b05b1e6b33684dc11b",
        "faas.document.operation": "insert",
        "faas.document.time": "2019-09-03T19:37:27.192Z",
    }


def test_an_eventbridge_event_is_pubsub_with_its_source_and_detail_type(
    mode: str, stdout_telemetry: StdoutTelemetry
) -> None:
    span = invocation_span(sample_event("eventbridge"), stdout_telemetry)
    assert (span["name"], span["kind"]) == (name(mode, "com.mycompany.myapp"), "CONSUMER")
    assert span["attributes"] == {
        "faas.trigger": "pubsub",
        "messaging.system": "aws.eventbridge",
        "cloudevents.event_source": "com.mycompany.myapp",
        "cloudevents.event_type": "myDetailType",
        "cloudevents.event_id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        **operation(mode),
    }


def test_a_scheduled_event_is_a_timer(mode: str, stdout_telemetry: StdoutTelemetry) -> None:
    span = invocation_span(sample_event("eventbridge-scheduled"), stdout_telemetry)
    assert (span["name"], span["kind"]) == (FUNCTION, "SERVER")
    assert span["attributes"] == {"faas.trigger": "timer", "faas.time": "2016-12-30T18:44:49Z"}


def test_an_s3_event_through_eventbridge_is_a_datasource(mode: str, stdout_telemetry: StdoutTelemetry) -> None:
    span = invocation_span(sample_event("eventbridge-s3"), stdout_telemetry)
    assert span["kind"] == "SERVER"
    assert span["attributes"] == {
        "faas.trigger": "datasource",
        "faas.document.collection": "amzn-s3-demo-bucket1",
        "faas.document.name": "example-key",
        "faas.document.operation": "insert",
        "faas.document.time": "2021-11-12T00:00:00Z",
    }


def test_an_sqs_batch_from_two_queues_says_so_and_names_no_destination(
    mode: str, stdout_telemetry: StdoutTelemetry
) -> None:
    event = sample_event("sqs")
    event["Records"] = [copy.deepcopy(event["Records"][0]) for _ in range(2)]
    event["Records"][1]["eventSourceARN"] = "arn:aws:sqs:us-east-2:123456789012:other-queue"
    span = invocation_span(event, stdout_telemetry)
    assert span["name"] == "process multiple_sources"
    assert "messaging.destination.name" not in span["attributes"]
    assert "aws.sqs.queue.url" not in span["attributes"]


# --- links ---------------------------------------------------------------------------------------


def links(event: dict[str, Any], stdout: StdoutTelemetry) -> list[tuple[str, str]]:
    init_telemetry("triggers")
    return list(invocation_span(event, stdout)["links"])


def test_an_sns_notification_with_a_traceparent_is_a_link(stdout_telemetry: StdoutTelemetry) -> None:
    event = sample_event("sns")
    event["Records"][0]["Sns"]["MessageAttributes"]["traceparent"] = {"Type": "String", "Value": TRACEPARENT}
    assert links(event, stdout_telemetry) == [(TRACE, PARENT)]


def test_an_sqs_message_carrying_an_sns_notification_links_to_its_context(stdout_telemetry: StdoutTelemetry) -> None:
    import json

    event = sample_event("sqs-sns")
    record = event["Records"][0]
    notification = json.loads(record["body"])
    notification["MessageAttributes"]["traceparent"] = {"Type": "String", "Value": TRACEPARENT}
    record["body"] = json.dumps(notification)
    record["messageAttributes"] = {}
    assert links(event, stdout_telemetry) == [(TRACE, PARENT)]


def test_an_sqs_aws_trace_header_is_a_link_without_any_propagator(stdout_telemetry: StdoutTelemetry) -> None:
    event = sample_event("sqs")
    for record in event["Records"]:
        record["messageAttributes"] = {}
        record["attributes"]["AWSTraceHeader"] = (
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        )
    found = links(event, stdout_telemetry)
    assert found == [("5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8")] * len(event["Records"])


def test_a_w3c_message_attribute_wins_over_the_aws_trace_header(stdout_telemetry: StdoutTelemetry) -> None:
    event = sample_event("sqs")
    record = event["Records"][0]
    event["Records"] = [record]
    record["messageAttributes"] = {"traceparent": {"stringValue": TRACEPARENT, "dataType": "String"}}
    record["attributes"]["AWSTraceHeader"] = (
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    )
    assert links(event, stdout_telemetry) == [(TRACE, PARENT)]


@pytest.mark.parametrize(
    "header",
    ["Root=1-nothex-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", "Root=1-5759e988-bd86;Parent=xyz", "garbage"],
)
def test_a_malformed_aws_trace_header_gives_no_link_and_one_warning(
    header: str, stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    event = sample_event("sqs")
    for record in event["Records"]:
        record["messageAttributes"] = {}
        record["attributes"]["AWSTraceHeader"] = header
    with caplog.at_level(logging.WARNING, logger="lambda_otel_lite"):
        assert links(event, stdout_telemetry) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "malformed X-Ray trace header of an SQS message's AWSTraceHeader" in warnings[0]


@pytest.mark.parametrize("sampled", ["Sampled=0", "Sampled=?", ""])
def test_an_unsampled_aws_trace_header_is_no_link(sampled: str, stdout_telemetry: StdoutTelemetry) -> None:
    """One rule for X-Ray headers wherever they come from (as for the environment's): only a segment
    X-Ray recorded is linked; an unsampled one was recorded nowhere."""
    event = sample_event("sqs")
    for record in event["Records"]:
        record["messageAttributes"] = {}
        record["attributes"]["AWSTraceHeader"] = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8" + (
            f";{sampled}" if sampled else ""
        )
    assert links(event, stdout_telemetry) == []


@pytest.mark.parametrize(
    ("sample", "place"),
    [("sqs", "an SQS message"), ("sns", "an SNS notification"), ("sqs-sns", "an SNS notification")],
)
def test_a_malformed_traceparent_in_a_record_gives_no_link_and_one_warning_naming_the_place(
    sample: str, place: str, stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    import json

    event = sample_event(sample)
    for record in event["Records"]:
        if sample == "sqs":
            record["messageAttributes"] = {"traceparent": {"stringValue": "00-zz-broken-01", "dataType": "String"}}
        elif sample == "sns":
            record["Sns"]["MessageAttributes"]["traceparent"] = {"Type": "String", "Value": "00-zz-broken-01"}
        else:
            notification = json.loads(record["body"])
            notification["MessageAttributes"]["traceparent"] = {"Type": "String", "Value": "00-zz-broken-01"}
            record["body"] = json.dumps(notification)
    with caplog.at_level(logging.WARNING, logger="lambda_otel_lite"):
        assert links(event, stdout_telemetry) == []
        links(event, stdout_telemetry)  # a second invocation: no second warning
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"Ignoring the malformed traceparent of {place} ('00-zz-broken-01'): expected 00-<32 hex>-<16 hex>-<2 hex>, "
        "not all zeros"
    ]


# --- typed handlers get the same spans --------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "model"),
    [
        ("sns", "SNSEvent"),
        ("kinesis", "KinesisStreamEvent"),
        ("dynamodb", "DynamoDBStreamEvent"),
        ("s3", "S3Event"),
        ("eventbridge", "EventBridgeEvent"),
        ("eventbridge-scheduled", "EventBridgeEvent"),
        ("eventbridge-scheduler", "EventBridgeEvent"),
        ("eventbridge-s3", "EventBridgeEvent"),
        ("sqs-sns", "SQSEvent"),
    ],
)
def test_a_typed_handler_gets_the_span_of_the_untyped_one(
    sample: str, model: str, stdout_telemetry: StdoutTelemetry
) -> None:
    from lambda_otel_lite import events

    init_telemetry("triggers")
    event_type: Any = getattr(events, model)
    received: list[object] = []

    def typed(event: Any, context: Any) -> None:
        received.append(event)

    typed.__annotations__["event"] = event_type
    untyped = invocation_span(sample_event(sample), stdout_telemetry)
    instrumented(typed)(sample_event(sample), CONTEXT)
    (span,) = stdout_telemetry.spans()
    typed_span = shape(span)
    for key in INVOCATION_CONTEXT_KEYS:
        typed_span["attributes"].pop(key, None)
    assert isinstance(received[0], event_type)
    assert {**typed_span, "name": untyped["name"]} == untyped
    assert typed_span["name"] in (untyped["name"], "typed")  # the function's own name where the span is named so
