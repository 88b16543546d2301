"""Event models: AWS sample events parse and round-trip; invalid events name field and value."""

from __future__ import annotations

import ast
import copy
import inspect
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel, to_pascal

import lambda_otel_lite.testing
from lambda_otel_lite.events import (
    ALBEvent,
    APIGatewayProxyEvent,
    APIGatewayProxyEventV2,
    DynamoDBStreamEvent,
    EventBridgeEvent,
    Headers,
    KinesisStreamEvent,
    LambdaFunctionUrlEvent,
    MultiValueHeaders,
    S3Event,
    S3EventBridgeDetail,
    SNSEvent,
    SNSNotification,
    SQSEvent,
    SQSRecord,
)

EVENTS = Path(lambda_otel_lite.testing.__file__).resolve().parent / "events"
SAMPLE_MODELS: dict[str, type[BaseModel] | None] = {
    "apigateway-rest-v1.json": APIGatewayProxyEvent,
    "apigateway-http-v2.json": APIGatewayProxyEventV2,
    "apigateway-authorizer-token.json": None,  # no model: a raw event (see RAW_SAMPLES)
    "apigateway-authorizer-request-v1.json": None,
    "apigateway-authorizer-request-v2.json": None,
    "function-url.json": LambdaFunctionUrlEvent,
    "alb.json": ALBEvent,
    "alb-multi-value.json": ALBEvent,
    "sqs.json": SQSEvent,
    "sqs-sns.json": SQSEvent,
    "sqs-s3.json": SQSEvent,
    "sns.json": SNSEvent,
    "eventbridge.json": EventBridgeEvent,
    "eventbridge-scheduled.json": EventBridgeEvent,
    "eventbridge-scheduler.json": EventBridgeEvent,
    "eventbridge-s3.json": EventBridgeEvent[S3EventBridgeDetail],
    "kinesis.json": KinesisStreamEvent,
    "dynamodb.json": DynamoDBStreamEvent,
    "s3.json": S3Event,
}
"""Every sample event file and its model; None for a file without one (tested as a raw event)."""
SAMPLES: dict[str, type[BaseModel]] = {name: model for name, model in SAMPLE_MODELS.items() if model is not None}
"""The samples that parse into a model: every one of them must, and round-trip with nothing lost."""
RAW_SAMPLES = sorted(name for name, model in SAMPLE_MODELS.items() if model is None)


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def test_every_sample_event_file_is_covered() -> None:
    assert sorted(path.name for path in EVENTS.glob("*.json")) == sorted(SAMPLE_MODELS)


def test_every_sample_event_file_has_a_row_in_sources_md_naming_its_model() -> None:
    rows = {
        line.split("|")[1].strip().strip("`"): line.split("|")[2].strip()
        for line in (EVENTS / "SOURCES.md").read_text().splitlines()
        if line.startswith("| `")
    }
    assert sorted(rows) == sorted(SAMPLE_MODELS)
    assert sorted(name for name, model in rows.items() if model == "none") == RAW_SAMPLES


@pytest.mark.parametrize("name", RAW_SAMPLES)
def test_an_authorizer_sample_is_a_raw_json_object_recognised_as_an_authorizer(name: str) -> None:
    """No model: the handler gets the dict; the source knows it by ``type`` and ``methodArn``/``routeArn``."""
    from lambda_otel_lite.sources import detect_source

    raw = load(name)
    assert raw["type"] in ("TOKEN", "REQUEST")
    assert ("methodArn" in raw) != ("routeArn" in raw)
    source = detect_source(raw)
    assert (source.key, source.trigger_of(raw), source.http) == ("apigateway-authorizer", "other", False)


@pytest.mark.parametrize("name", SAMPLES)
def test_the_aws_sample_event_parses_and_round_trips_with_nothing_lost(name: str) -> None:
    raw = load(name)
    model = SAMPLES[name].model_validate(raw)
    assert model.model_dump(by_alias=True, exclude_unset=True) == raw


@pytest.mark.parametrize("name", SAMPLES)
def test_snake_case_names_populate_the_model_too(name: str) -> None:
    model = SAMPLES[name].model_validate(load(name))
    rebuilt = SAMPLES[name].model_validate(model.model_dump(exclude_unset=True))
    assert rebuilt == model


INVALID = [
    ("apigateway-rest-v1.json", ["httpMethod"], 42, "httpMethod", "Input should be a valid string"),
    (
        "apigateway-rest-v1.json",
        ["requestContext", "requestTimeEpoch"],
        "later",
        "requestContext.requestTimeEpoch",
        "Input should be a valid integer",
    ),
    (
        "apigateway-http-v2.json",
        ["requestContext", "http", "method"],
        None,
        "requestContext.http.method",
        "Input should be a valid string",
    ),
    ("apigateway-http-v2.json", ["headers"], ["not", "a", "dict"], "headers", "Input should be a valid dictionary"),
    ("function-url.json", ["rawPath"], 7, "rawPath", "Input should be a valid string"),
    (
        "alb.json",
        ["requestContext", "elb", "targetGroupArn"],
        {},
        "requestContext.elb.targetGroupArn",
        "Input should be a valid string",
    ),
    ("sqs.json", ["Records", 0, "messageId"], 123, "Records[0].messageId", "Input should be a valid string"),
    ("sqs.json", ["Records", 1, "body"], False, "Records[1].body", "Input should be a valid string"),
    (
        "sqs-sns.json",
        ["Records", 0, "body"],
        {"Type": "Notification"},
        "Records[0].body",
        "Input should be a valid string",
    ),
    ("sns.json", ["Records", 0, "Sns", "TopicArn"], 42, "Records[0].Sns.TopicArn", "Input should be a valid string"),
    (
        "sns.json",
        ["Records", 0, "Sns", "MessageAttributes", "Test", "Value"],
        None,
        "Records[0].Sns.MessageAttributes.Test.Value",
        "Input should be a valid string",
    ),
    ("eventbridge.json", ["detail-type"], None, "detail-type", "Input should be a valid string"),
    ("eventbridge-scheduled.json", ["resources"], "rule", "resources", "Input should be a valid list"),
    ("eventbridge-scheduler.json", ["detail"], "{not json", "detail", "Value error, a string detail must be JSON"),
    ("eventbridge-scheduler.json", ["detail"], "", "detail", "Value error, a string detail must be JSON"),
    (
        "eventbridge-s3.json",
        ["detail", "object", "size"],
        "five",
        "detail.object.size",
        "Input should be a valid integer",
    ),
    (
        "eventbridge-s3.json",
        ["detail", "object", "version-id"],
        1,
        "detail.object.version-id",
        "Input should be a valid string",
    ),
    (
        "kinesis.json",
        ["Records", 1, "kinesis", "approximateArrivalTimestamp"],
        "soon",
        "Records[1].kinesis.approximateArrivalTimestamp",
        "Input should be a valid number",
    ),
    (
        "kinesis.json",
        ["Records", 0, "eventSourceARN"],
        5,
        "Records[0].eventSourceARN",
        "Input should be a valid string",
    ),
    (
        "dynamodb.json",
        ["Records", 0, "eventName"],
        "UPSERT",
        "Records[0].eventName",
        "Input should be 'INSERT', 'MODIFY' or 'REMOVE'",
    ),
    (
        "dynamodb.json",
        ["Records", 1, "dynamodb", "SizeBytes"],
        "big",
        "Records[1].dynamodb.SizeBytes",
        "Input should be a valid integer",
    ),
    (
        "s3.json",
        ["Records", 0, "s3", "bucket", "name"],
        ["x"],
        "Records[0].s3.bucket.name",
        "Input should be a valid string",
    ),
    (
        "s3.json",
        ["Records", 0, "requestParameters", "sourceIPAddress"],
        0,
        "Records[0].requestParameters.sourceIPAddress",
        "Input should be a valid string",
    ),
]


@pytest.mark.parametrize(("name", "path", "value", "field", "reason"), INVALID)
def test_an_invalid_field_is_named_with_its_value(
    name: str, path: list[Any], value: Any, field: str, reason: str
) -> None:
    from lambda_otel_lite.handler import _validate

    raw = copy.deepcopy(load(name))
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    parsed, error = _validate(SAMPLES[name], raw)
    assert parsed is raw
    assert error is not None
    assert [(path, got) for path, got, _ in error.errors] == [(field, value)]
    assert error.errors[0][2].startswith(reason)
    assert f"{field}: {reason}" in str(error)
    assert str(error).startswith(f"event does not match {SAMPLES[name].__name__}: ")
    assert error.__cause__ is None  # not chained: its text would reach the span whole
    assert isinstance(error.validation_error, ValidationError)


def test_headers_are_read_ignoring_case_and_kept_as_received() -> None:
    event = APIGatewayProxyEvent.model_validate(load("apigateway-rest-v1.json"))
    assert event.headers is not None
    name = next(iter(event.headers))
    value = event.headers[name]
    assert event.headers[name.upper()] == event.headers.get(name.lower()) == value
    assert name.swapcase() in event.headers
    assert event.headers.get("no-such-header", "default") == "default"
    assert isinstance(event.headers, Headers)
    assert isinstance(event.multi_value_headers, MultiValueHeaders)
    with pytest.raises(KeyError):
        event.headers["no-such-header"]


def test_sqs_records_expose_their_queue_name() -> None:
    event = SQSEvent.model_validate(load("sqs.json"))
    assert {record.queue_name for record in event.records} == {event.records[0].event_source_arn.split(":")[-1]}


# --- SQS bodies: SNS and S3 notifications ---------------------------------------------------------


def _record(name: str, body: str | None = None) -> SQSRecord:
    event = load(name)
    if body is not None:
        event["Records"][0]["body"] = body
    return SQSEvent.model_validate(event).records[0]


def test_an_sns_notification_delivered_to_sqs_parses_from_the_body_with_nothing_lost() -> None:
    record = _record("sqs-sns.json")
    notification = record.sns_notification()
    assert isinstance(notification, SNSNotification)
    assert notification.topic_arn == "arn:aws:sns:us-west-2:123456789012:MyTopic"
    assert notification.topic_name == "MyTopic"
    assert notification.message == "Hello world!"
    assert notification.message_attributes is not None
    assert (notification.message_attributes["Test"].type, notification.message_attributes["Test"].value) == (
        "String",
        "TestString",
    )
    assert notification.signing_cert_url is not None
    assert notification.signing_cert_url.endswith(".pem")
    assert notification.model_dump(by_alias=True, exclude_unset=True) == json.loads(record.body)
    assert record.s3_event() is None


def test_an_s3_notification_delivered_to_sqs_parses_from_the_body_with_nothing_lost() -> None:
    record = _record("sqs-s3.json")
    notification = record.s3_event()
    assert isinstance(notification, S3Event)
    assert notification.records[0].s3.bucket.name == "amzn-s3-demo-bucket"
    assert notification.records[0].s3.object.key == "b21b84d653bb07b05b1e6b33684dc11b"
    assert notification.model_dump(by_alias=True, exclude_unset=True) == json.loads(record.body)
    assert record.sns_notification() is None


S3_TEST_EVENT = json.dumps(
    {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2014-10-13T15:57:02.089Z",
        "Bucket": "amzn-s3-demo-bucket",
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    }
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("Test message.", id="plain text"),
        pytest.param("", id="empty"),
        pytest.param("{not json", id="broken JSON"),
        pytest.param('{"a":' * 100_000 + "1" + "}" * 100_000, id="JSON nested too deep to parse"),
        pytest.param('"Notification"', id="a JSON string"),
        pytest.param('[{"Type": "Notification"}]', id="a JSON array"),
        pytest.param('{"hello": "world"}', id="another JSON object"),
        pytest.param('{"Type": "Notification", "MessageId": "m"}', id="no TopicArn"),
        pytest.param(
            '{"Type": "SubscriptionConfirmation", "TopicArn": "arn:aws:sns:us-east-1:1:t"}', id="not a notification"
        ),
        pytest.param('{"Records": [{"eventSource": "aws:sqs"}]}', id="records of another source"),
        pytest.param('{"Records": "aws:s3"}', id="Records not a list"),
        pytest.param(S3_TEST_EVENT, id="the s3:TestEvent"),
        pytest.param("\udcff{", id="a lone surrogate"),
    ],
)
def test_a_body_that_is_not_such_a_notification_gives_none(body: str) -> None:
    record = _record("sqs.json", body)
    assert record.sns_notification() is None
    assert record.s3_event() is None


def test_a_notification_body_with_a_field_of_the_wrong_type_is_a_validation_error() -> None:
    sns = json.loads(load("sqs-sns.json")["Records"][0]["body"])
    sns["TopicArn"] = 42
    with pytest.raises(ValidationError, match="TopicArn"):
        _record("sqs.json", json.dumps(sns)).sns_notification()
    s3 = json.loads(load("sqs-s3.json")["Records"][0]["body"])
    s3["Records"][0]["s3"]["object"]["size"] = "big"
    with pytest.raises(ValidationError, match=r"Records\.0\.s3\.object\.size"):
        _record("sqs.json", json.dumps(s3)).s3_event()


BODY_VALUES = st.none() | st.integers() | st.text(max_size=5) | st.just("Notification") | st.just("aws:s3")
BODIES = st.text(max_size=60) | st.builds(
    json.dumps,
    st.dictionaries(
        st.sampled_from(["Type", "TopicArn", "MessageId", "Message", "Records"]),
        BODY_VALUES | st.lists(st.dictionaries(st.sampled_from(["eventSource", "s3"]), BODY_VALUES), max_size=2),
    ),
)


@given(BODIES)
def test_reading_a_body_as_a_notification_raises_nothing_but_a_validation_error(body: str) -> None:
    record = _record("sqs.json", body)
    for read, model in ((record.sns_notification, SNSNotification), (record.s3_event, S3Event)):
        try:
            parsed = read()
        except ValidationError:
            continue
        assert parsed is None or isinstance(parsed, model)


def test_importing_sqs_does_not_import_the_sns_and_s3_models_until_a_body_of_theirs_is_read() -> None:
    code = (
        "import sys, json; from lambda_otel_lite.events import SQSEvent; "
        "event = SQSEvent.model_validate(json.load(open(sys.argv[1]))); "
        "before = sorted(m for m in sys.modules if m.startswith('lambda_otel_lite.events.')); "
        "event.records[0].sns_notification(); event.records[0].s3_event(); "
        "after = sorted(m for m in sys.modules if m.startswith('lambda_otel_lite.events.')); "
        "print(json.dumps([before, after]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(EVENTS / "sqs-sns.json")], capture_output=True, text=True, check=True
    )
    before, after = json.loads(result.stdout)
    events = "lambda_otel_lite.events."
    assert before == [f"{events}_base", f"{events}sqs"]
    assert after == [f"{events}_base", f"{events}sns", f"{events}sqs"]  # not s3: the body is not an S3 notification


# --- Kinesis, DynamoDB, S3, SNS, EventBridge --------------------------------------------------------


def test_kinesis_data_stays_base64_and_is_decoded_on_access() -> None:
    event = KinesisStreamEvent.model_validate(load("kinesis.json"))
    first, second = (record.kinesis for record in event.records)
    assert first.data == "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg=="
    assert first.decoded_data == b"Hello, this is a test."
    assert (first.decoded_text, second.decoded_text) == ("Hello, this is a test.", "This is only a test.")
    assert {record.stream_name for record in event.records} == {"lambda-stream"}


def test_bad_kinesis_base64_fails_only_when_read_and_names_the_record() -> None:
    raw = load("kinesis.json")
    raw["Records"][0]["kinesis"]["data"] = "not base64!"
    raw["Records"][1]["kinesis"]["data"] = "/w=="  # b"\xff": base64, but not UTF-8
    event = KinesisStreamEvent.model_validate(raw)
    first, second = (record.kinesis for record in event.records)
    with pytest.raises(ValueError, match=f"Kinesis record {first.sequence_number} is not valid base64"):
        first.decoded_data  # noqa: B018
    with pytest.raises(ValueError, match=f"Kinesis record {first.sequence_number} is not valid base64"):
        first.decoded_text  # noqa: B018
    assert second.decoded_data == b"\xff"
    with pytest.raises(UnicodeDecodeError):
        second.decoded_text  # noqa: B018
    assert event.model_dump(by_alias=True, exclude_unset=True) == raw


def test_dynamodb_records_expose_their_table_name_and_change() -> None:
    event = DynamoDBStreamEvent.model_validate(load("dynamodb.json"))
    assert [record.table_name for record in event.records] == ["ExampleTableWithStream"] * 3
    assert [record.event_name for record in event.records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = (record.dynamodb for record in event.records)
    assert insert.keys == {"Id": {"N": "101"}}
    assert (insert.old_image, remove.new_image) == (None, None)
    assert modify.new_image == {"Message": {"S": "This item has changed"}, "Id": {"N": "101"}}
    assert isinstance(insert.approximate_creation_date_time, int)  # kept an int: the event round-trips as JSON
    assert event.records[0].user_identity is None
    identity = event.records[2].user_identity
    assert identity is not None
    assert (identity.type, identity.principal_id) == ("Service", "dynamodb.amazonaws.com")


def test_s3_notifications_expose_bucket_and_object() -> None:
    raw = load("s3.json")
    raw["Records"][0]["s3"]["object"]["key"] = "my+photo%281%29.jpg"
    record = S3Event.model_validate(raw).records[0]
    assert (record.event_source, record.event_name) == ("aws:s3", "ObjectCreated:Put")
    assert record.s3.bucket.name == "amzn-s3-demo-bucket"
    assert record.s3.bucket.arn == "arn:aws:s3:::amzn-s3-demo-bucket"
    assert record.s3.object.decoded_key == "my photo(1).jpg"
    assert record.s3.object.size == 1305107
    assert record.response_elements.x_amz_request_id == "D82B88E5F771F645"
    assert record.request_parameters.source_ip_address == "205.255.255.255"


def test_sns_records_expose_topic_and_attributes() -> None:
    record = SNSEvent.model_validate(load("sns.json")).records[0]
    assert record.event_source == "aws:sns"
    assert record.sns.topic_arn == "arn:aws:sns:us-east-2:123456789012:sns-lambda"
    assert record.sns.topic_name == "sns-lambda"
    assert record.sns.message_attributes is not None
    assert record.sns.message_attributes["Test"].value == "TestString"
    assert record.sns.signing_cert_url is not None


class _Order(BaseModel):
    key1: str
    key2: str


def test_a_bare_eventbridge_event_takes_any_detail_as_received() -> None:
    custom: EventBridgeEvent[Any] = EventBridgeEvent.model_validate(load("eventbridge.json"))
    assert custom.detail == {"key1": "value1", "key2": "value2"}
    assert (custom.source, custom.detail_type, custom.replay_name) == ("com.mycompany.myapp", "myDetailType", None)
    scheduled: EventBridgeEvent[Any] = EventBridgeEvent.model_validate(load("eventbridge-scheduled.json"))
    assert (scheduled.source, scheduled.detail_type, scheduled.detail) == ("aws.events", "Scheduled Event", {})
    assert scheduled.resources == ["arn:aws:events:us-east-1:123456789012:rule/SampleRule"]
    assert EventBridgeEvent.source_key == EventBridgeEvent[_Order].source_key == "eventbridge"


def test_an_eventbridge_scheduler_event_decodes_its_json_string_detail() -> None:
    raw = load("eventbridge-scheduler.json")
    assert raw["detail"] == "{}"  # as EventBridge Scheduler sends it: a string
    bare: EventBridgeEvent[Any] = EventBridgeEvent.model_validate(raw)
    typed = EventBridgeEvent[dict[str, Any]].model_validate(raw)
    assert (bare.source, bare.detail_type, bare.detail, typed.detail) == ("aws.scheduler", "Scheduled Event", {}, {})
    assert bare.resources == ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/your-schedule"]
    assert typed.model_dump(by_alias=True, exclude_unset=True) == raw
    assert json.loads(typed.model_dump_json(by_alias=True, exclude_unset=True)) == raw


def test_a_json_string_detail_is_validated_as_the_detail_model() -> None:
    from lambda_otel_lite.handler import _validate

    raw = load("eventbridge.json") | {"detail": '{"key1": "a",  "key2": "b"}'}
    event = EventBridgeEvent[_Order].model_validate(raw)
    assert (event.detail.key1, event.detail.key2) == ("a", "b")
    assert event.model_dump(by_alias=True, exclude_unset=True) == raw  # the string as received, spacing and all

    _, error = _validate(EventBridgeEvent[_Order], raw | {"detail": '{"key1": "a", "key2": 7}'})
    assert error is not None
    assert [(path, got) for path, got, _ in error.errors] == [("detail.key2", 7)]
    _, error = _validate(EventBridgeEvent[_Order], raw | {"detail": "[]"})
    assert error is not None
    assert [path for path, _, _ in error.errors] == ["detail"]


def test_a_changed_json_string_detail_is_serialised_as_a_new_json_string() -> None:
    raw = load("eventbridge.json") | {"detail": '{"key1": "a", "key2": "b"}'}
    event = EventBridgeEvent[_Order].model_validate(raw)
    event.detail.key2 = "changed"
    dumped = event.model_dump(by_alias=True, exclude_unset=True)
    assert isinstance(dumped["detail"], str)
    assert json.loads(dumped["detail"]) == {"key1": "a", "key2": "changed"}
    assert EventBridgeEvent[_Order].model_validate(dumped).detail.key2 == "changed"


def test_an_object_detail_is_still_serialised_as_an_object() -> None:
    raw = load("eventbridge.json")
    dumped = EventBridgeEvent[_Order].model_validate(raw).model_dump(by_alias=True, exclude_unset=True)
    assert dumped["detail"] == {"key1": "value1", "key2": "value2"}


@pytest.mark.parametrize(
    "detail",
    [
        pytest.param("nope", id="plain text"),
        pytest.param('{"key1": ', id="broken JSON"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="JSON nested too deep to parse"),
        pytest.param("\udcff{", id="a lone surrogate"),
    ],
)
def test_a_string_detail_that_is_not_json_is_an_error_naming_detail(detail: str) -> None:
    from lambda_otel_lite.handler import _validate

    raw = load("eventbridge-scheduler.json") | {"detail": detail}
    for model in (EventBridgeEvent, EventBridgeEvent[dict[str, Any]], EventBridgeEvent[_Order]):
        parsed, error = _validate(model, raw)
        assert parsed is raw
        assert error is not None
        assert [(path, got) for path, got, _ in error.errors] == [("detail", detail)]
        assert error.errors[0][2].startswith("Value error, a string detail must be JSON")


def test_a_replayed_eventbridge_event_names_its_replay() -> None:
    raw = load("eventbridge.json") | {"replay-name": "my-replay"}
    event: EventBridgeEvent[Any] = EventBridgeEvent.model_validate(raw)
    assert event.replay_name == "my-replay"
    assert event.model_dump(by_alias=True, exclude_unset=True) == raw
    assert EventBridgeEvent.model_validate(event.model_dump(exclude_unset=True)) == event


def test_a_typed_eventbridge_detail_is_validated_and_a_bad_one_names_the_field() -> None:
    from lambda_otel_lite.handler import _validate

    event = EventBridgeEvent[_Order].model_validate(load("eventbridge.json"))
    assert isinstance(event.detail, _Order)
    assert event.detail.key1 == "value1"

    raw = load("eventbridge.json")
    raw["detail"]["key2"] = 7
    parsed, error = _validate(EventBridgeEvent[_Order], raw)
    assert parsed is raw
    assert error is not None
    assert [(path, got) for path, got, _ in error.errors] == [("detail.key2", 7)]
    assert str(error).startswith("event does not match EventBridgeEvent[_Order]: ")

    _, error = _validate(EventBridgeEvent[_Order], load("eventbridge-scheduled.json"))
    assert error is not None
    assert sorted(path for path, _, _ in error.errors) == ["detail.key1", "detail.key2"]


def test_an_s3_event_through_eventbridge_parses_its_detail() -> None:
    event = EventBridgeEvent[S3EventBridgeDetail].model_validate(load("eventbridge-s3.json"))
    assert (event.source, event.detail_type) == ("aws.s3", "Object Created")
    detail = event.detail
    assert detail.bucket.name == "amzn-s3-demo-bucket1"
    assert (detail.object.key, detail.object.size, detail.object.etag) == (
        "example-key",
        5,
        "b1946ac92492d2347c6235b4d2611184",
    )
    assert detail.object.version_id == "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"
    assert (detail.request_id, detail.source_ip_address, detail.reason) == ("N4N7GDK58NMKJ12R", "1.2.3.4", "PutObject")


def test_the_s3_eventbridge_models_are_still_importable_from_the_s3_module() -> None:
    from lambda_otel_lite.events import S3EventBridgeBucket, S3EventBridgeObject, s3

    assert s3.S3EventBridgeDetail is S3EventBridgeDetail
    assert (s3.S3EventBridgeBucket, s3.S3EventBridgeObject) == (S3EventBridgeBucket, S3EventBridgeObject)
    with pytest.raises(AttributeError, match="no attribute 'S3EventBridgeEvent'"):
        s3.S3EventBridgeEvent  # noqa: B018


@pytest.mark.parametrize(
    ("model", "key"),
    [
        (SNSEvent, "sns"),
        (EventBridgeEvent, "eventbridge"),
        (KinesisStreamEvent, "kinesis"),
        (DynamoDBStreamEvent, "dynamodb"),
        (S3Event, "s3"),
        (SQSEvent, "sqs"),
    ],
)
def test_each_top_level_event_names_its_source(model: type[BaseModel], key: str) -> None:
    assert getattr(model, "source_key", None) == key


def _documented_fields(model: type) -> set[str]:
    """The fields of *model*'s own class body that have an attribute docstring (read from the source)."""
    tree = ast.parse(Path(inspect.getfile(model)).read_text())
    documented: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == model.__name__:
            for statement, following in itertools.pairwise(node.body):
                if (
                    isinstance(statement, ast.AnnAssign)
                    and isinstance(statement.target, ast.Name)
                    and isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)
                    and following.value.value.strip()
                ):
                    documented.add(statement.target.id)
    return documented


def test_every_field_is_documented() -> None:
    from lambda_otel_lite.events import _base

    undocumented = []
    for model in _all_models(_base.EventModel):
        documented = set().union(
            *(_documented_fields(cls) for cls in model.__mro__ if issubclass(cls, _base.EventModel))
        )
        undocumented += [f"{model.__name__}.{name}" for name in model.model_fields if name not in documented]
    assert undocumented == []


def _all_models(base: type[BaseModel]) -> list[type[BaseModel]]:
    import lambda_otel_lite.events as events

    for name in events.__all__:
        getattr(events, name)
    found: list[type[BaseModel]] = []
    pending = [base]
    while pending:
        for child in pending.pop().__subclasses__():
            found.append(child)
            pending.append(child)
    return found


snake_case_names = st.from_regex(r"[a-z]{1,8}[0-9]{0,2}(_[a-z]{1,8}[0-9]{0,2}){0,4}", fullmatch=True)


@given(st.one_of(snake_case_names, st.text(alphabet="ab_Z09\u00e9", max_size=12)))
@example("is_base64_encoded")
@example("md5_of_body")
@example("base64encoded")
@example("already_camelCase")
@example("_private")
def test_the_alias_generators_spell_names_as_pydantics_do(name: str) -> None:
    from lambda_otel_lite.events._base import camel_case, pascal_case

    assert (camel_case(name), pascal_case(name)) == (to_camel(name), to_pascal(name))


def test_every_generated_alias_is_the_one_pydantics_generator_gives() -> None:
    from lambda_otel_lite.events import _base

    pydantic_generator = {_base.camel_case: to_camel, _base.pascal_case: to_pascal}
    for model in _all_models(_base.EventModel):
        generator = pydantic_generator[model.model_config["alias_generator"]]  # type: ignore[index]
        for name, field in model.model_fields.items():
            if field.alias_priority == 1:  # generated, not given with Field(alias=...)
                assert field.alias == field.serialization_alias == generator(name), f"{model.__name__}.{name}"


def test_the_http_api_models_are_still_importable_from_the_apigateway_module() -> None:
    from lambda_otel_lite.events import RequestContextHttp, RequestContextV2, apigateway

    assert apigateway.APIGatewayProxyEventV2 is APIGatewayProxyEventV2
    assert (apigateway.RequestContextHttp, apigateway.RequestContextV2) == (RequestContextHttp, RequestContextV2)
    assert APIGatewayProxyEventV2.source_key == "apigateway-v2"
    with pytest.raises(AttributeError, match="no attribute 'APIGatewayProxyEventV3'"):
        apigateway.APIGatewayProxyEventV3  # noqa: B018


NEW_TRIGGERS = ["sns", "eventbridge", "kinesis", "dynamodb", "s3", "_s3_eventbridge"]
TRIGGERS = ["_http", "apigateway", "sqs", "alb", "function_url", *NEW_TRIGGERS]


@pytest.mark.parametrize(
    ("model", "module", "others"),
    [
        ("APIGatewayProxyEventV2", "_http", ["apigateway", "sqs", "alb", "function_url", *NEW_TRIGGERS]),
        ("APIGatewayProxyEvent", "apigateway", ["_http", "sqs", "alb", "function_url", *NEW_TRIGGERS]),
        ("SQSEvent", "sqs", ["apigateway", "alb", "function_url", "_http", *NEW_TRIGGERS]),
        ("ALBEvent", "alb", ["apigateway", "sqs", "function_url", "_http", *NEW_TRIGGERS]),
        ("LambdaFunctionUrlEvent", "function_url", ["apigateway", "sqs", "alb", *NEW_TRIGGERS]),
        *(
            (model, module, [other for other in TRIGGERS if other != module])
            for model, module in [
                ("SNSEvent", "sns"),
                ("SNSNotification", "sns"),
                ("EventBridgeEvent", "eventbridge"),
                ("KinesisStreamEvent", "kinesis"),
                ("DynamoDBStreamEvent", "dynamodb"),
                ("S3Event", "s3"),
                ("S3EventBridgeDetail", "_s3_eventbridge"),
            ]
        ),
    ],
)
def test_importing_one_model_does_not_import_the_others_modules(model: str, module: str, others: list[str]) -> None:
    code = (
        f"import sys; from lambda_otel_lite.events import {model}; "
        "print(' '.join(m for m in sys.modules if m.startswith('lambda_otel_lite.events.')))"
    )
    loaded = set(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    )
    assert f"lambda_otel_lite.events.{module}" in loaded
    assert sorted(loaded & {f"lambda_otel_lite.events.{other}" for other in others}) == []
