"""Context out on AWS SDK calls: real boto3 clients against a real moto server on 127.0.0.1.

The handlers go into botocore's event system (``lambda_otel_lite._botocore``); each test runs an
``@instrumented`` handler that calls AWS, reads back what the service received (the SQS message,
the Lambda payload moto's Docker-less backend echoes, or the HTTP request a ``before-send`` handler
of the test captures) and decodes the spans printed to stdout.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import logging
import socket
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry import baggage, trace
from opentelemetry import context as otel_context
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY

from lambda_otel_lite import _botocore, init_telemetry, instrumented
from lambda_otel_lite.local.decode import DecodedSpan
from lambda_otel_lite.outgoing import inject_context
from lambda_otel_lite.testing import LambdaContext
from tests.support import StdoutTelemetry, shape

# Test dependencies without type information: imported as modules of type Any (not skipped if missing).
boto3: Any = importlib.import_module("boto3")
moto_server: Any = importlib.import_module("moto.server")
Config: Any = importlib.import_module("botocore.config").Config
errors: Any = importlib.import_module("botocore.exceptions")
handlers: Any = importlib.import_module("botocore.handlers")

REGION = "eu-west-1"
ACCOUNT = "123456789012"
CONTEXT = LambdaContext(function_name="producer", region=REGION)
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": REGION}


# --- the moto server and the clients --------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """A moto server in a thread on 127.0.0.1; its Lambda backend runs no Docker and echoes payloads."""
    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.WARNING)  # no line per request
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    request = urllib.request.Request(
        url + "/moto-api/config", data=json.dumps({"lambda": {"use_docker": False}}).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["lambda"] == {"use_docker": False}
    yield url
    server.stop()
    werkzeug.setLevel(level)


class Aws:
    """Clients of the moto server, and the resources the tests use."""

    def __init__(self, url: str) -> None:
        self.url = url

    def client(self, service: str, **kwargs: Any) -> Any:
        return boto3.client(service, endpoint_url=self.url, **CREDENTIALS, **kwargs)

    def queue(self, name: str) -> str:
        url: str = self.client("sqs").create_queue(QueueName=name)["QueueUrl"]
        return url

    def queue_arn(self, url: str) -> str:
        attributes = self.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        arn: str = attributes["Attributes"]["QueueArn"]
        return arn

    def receive(self, url: str) -> list[dict[str, Any]]:
        response = self.client("sqs").receive_message(
            QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"], MaxNumberOfMessages=10
        )
        messages: list[dict[str, Any]] = response.get("Messages", [])
        return messages

    def function(self, name: str) -> None:
        role = self.client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("handler.py", "def handler(event, context):\n    return event\n")
        self.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": archive.getvalue()},
        )


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Aws:
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    return Aws(moto_url)


@pytest.fixture
def installed() -> Iterator[None]:
    """Telemetry as a function has it, with the botocore handlers installed (zero configuration).

    ``maybe_install()`` is what ``init_telemetry()`` and each invocation start call; it is called here
    too, so that these tests do not depend on that wiring.
    """
    init_telemetry("producer-service")
    _botocore.maybe_install()
    yield
    _botocore.uninstall()


def ids(traceparent: str) -> tuple[str, str]:
    """The trace id and span id of a W3C ``traceparent``."""
    version, trace_id, span_id, _flags = traceparent.split("-")
    assert version == "00"
    return trace_id, span_id


def by_name(spans: list[DecodedSpan]) -> dict[str, DecodedSpan]:
    named = {span.name: span for span in spans}
    assert len(named) == len(spans), [span.name for span in spans]
    return named


def invocation(spans: list[DecodedSpan]) -> DecodedSpan:
    (span,) = [span for span in spans if span.scope != "lambda_otel_lite"]
    return span


def attribute(message: dict[str, Any], name: str) -> str:
    value: str = message["MessageAttributes"][name]["StringValue"]
    return value


def lambda_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """The record Lambda's SQS event source mapping delivers for a received message."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {"stringValue": value.get("StringValue"), "dataType": value["DataType"]}
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


SQS_SEND = {
    "messaging.system": "aws_sqs",
    "messaging.operation.type": "send",
    "messaging.operation.name": "send",
}


# --- SQS ----------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("installed")
def test_send_message_carries_its_producer_span_to_the_consumer_which_links_it(
    aws: Aws, stdout_telemetry: StdoutTelemetry
) -> None:
    queue = aws.queue("orders")
    sqs = aws.client("sqs")

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response: dict[str, Any] = sqs.send_message(QueueUrl=queue, MessageBody='{"order": 42}')
        return response

    response = producer({}, CONTEXT)
    spans = stdout_telemetry.spans()
    send = by_name(spans)["send orders"]
    assert shape(send, spans) == {
        "name": "send orders",
        "kind": "PRODUCER",
        "status": "UNSET",
        "status_message": "",
        "parent": "span:" + invocation(spans).name,
        "attributes": {
            **SQS_SEND,
            "messaging.destination.name": "orders",
            "aws.sqs.queue.url": queue,
            "messaging.message.id": response["MessageId"],
            "aws.request_id": response["ResponseMetadata"]["RequestId"],
        },
        "links": [],
        "events": [],
    }
    (message,) = aws.receive(queue)
    assert message["Body"] == '{"order": 42}'
    assert sorted(message["MessageAttributes"]) == ["traceparent"]
    assert ids(attribute(message, "traceparent")) == (send.trace_id, send.span_id)

    # Lambda -> SQS -> Lambda joins: the consumer's batch span links the producer's span.
    @instrumented
    def consumer(event: dict[str, Any], context: Any) -> None:
        return None

    consumer({"Records": [lambda_record(message, aws.queue_arn(queue))]}, LambdaContext(function_name="consumer"))
    (process,) = stdout_telemetry.spans()
    assert process.name == "process orders"
    assert [(link.trace_id, link.span_id) for link in process.links] == [(send.trace_id, send.span_id)]


@pytest.mark.usefixtures("installed")
def test_send_message_batch_has_one_span_whose_context_every_entry_carries(
    aws: Aws, stdout_telemetry: StdoutTelemetry
) -> None:
    queue = aws.queue("batched")
    sqs = aws.client("sqs")
    theirs = {"tenant": {"DataType": "String", "StringValue": "acme"}}
    entries = [{"Id": "a", "MessageBody": "A"}, {"Id": "b", "MessageBody": "B", "MessageAttributes": theirs}]

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response: dict[str, Any] = sqs.send_message_batch(QueueUrl=queue, Entries=entries)
        return response

    response = producer({}, CONTEXT)
    spans = stdout_telemetry.spans()
    send = by_name(spans)["send batched"]
    assert shape(send, spans)["attributes"] == {
        **SQS_SEND,
        "messaging.destination.name": "batched",
        "aws.sqs.queue.url": queue,
        "messaging.batch.message_count": 2,
        "aws.request_id": response["ResponseMetadata"]["RequestId"],
    }
    assert (send.kind, send.parent_span_id) == ("PRODUCER", invocation(spans).span_id)
    messages = {message["Body"]: message for message in aws.receive(queue)}
    assert sorted(messages) == ["A", "B"]
    for message in messages.values():
        assert ids(attribute(message, "traceparent")) == (send.trace_id, send.span_id)
    assert attribute(messages["B"], "tenant") == "acme"
    # the caller's own dicts are as they were: the entries sent were copies
    assert entries == [{"Id": "a", "MessageBody": "A"}, {"Id": "b", "MessageBody": "B", "MessageAttributes": theirs}]
    assert theirs == {"tenant": {"DataType": "String", "StringValue": "acme"}}


@pytest.mark.usefixtures("installed")
def test_ten_message_attributes_leave_no_room_one_warning_and_the_call_unchanged(
    aws: Aws, stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    queue = aws.queue("full")
    sqs = aws.client("sqs")
    ten = {f"a{i}": {"DataType": "String", "StringValue": str(i)} for i in range(10)}

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> None:
        sqs.send_message(QueueUrl=queue, MessageBody="one", MessageAttributes=ten)
        sqs.send_message(QueueUrl=queue, MessageBody="two", MessageAttributes=ten)

    with caplog.at_level(logging.DEBUG, logger="lambda_otel_lite"):
        producer({}, CONTEXT)
    full = [record for record in caplog.records if "message attributes" in record.getMessage()]
    assert [record.levelno for record in full] == [logging.WARNING, logging.DEBUG]  # once per process
    assert "traceparent" in full[0].getMessage()
    for message in aws.receive(queue):  # SQS itself rejects an 11th attribute; moto does not, so check
        assert {name: value["StringValue"] for name, value in message["MessageAttributes"].items()} == {
            f"a{i}": str(i) for i in range(10)
        }
    spans = stdout_telemetry.spans()
    assert [span.name for span in spans].count("send full") == 2  # the sends are still described


@pytest.mark.usefixtures("installed")
def test_where_room_is_short_traceparent_goes_first_then_tracestate_then_baggage(aws: Aws) -> None:
    queue = aws.queue("nearly-full")
    sqs = aws.client("sqs")
    nine = {f"a{i}": {"DataType": "String", "StringValue": str(i)} for i in range(9)}

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> None:
        token = otel_context.attach(baggage.set_baggage("tenant", "acme"))
        try:
            sqs.send_message(QueueUrl=queue, MessageBody="nine", MessageAttributes=nine)
            sqs.send_message(QueueUrl=queue, MessageBody="none", MessageAttributes={})
        finally:
            otel_context.detach(token)

    producer({}, CONTEXT)
    received = {message["Body"]: sorted(message["MessageAttributes"]) for message in aws.receive(queue)}
    assert received == {"nine": sorted([*nine, "traceparent"]), "none": ["baggage", "traceparent"]}


@pytest.mark.usefixtures("installed")
def test_a_failed_call_is_an_error_span_and_the_callers_exception_is_unchanged(
    aws: Aws, stdout_telemetry: StdoutTelemetry
) -> None:
    sqs = aws.client("sqs")
    missing = f"{aws.url}/{ACCOUNT}/missing"

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> None:
        sqs.send_message(QueueUrl=missing, MessageBody="lost")

    with pytest.raises(errors.ClientError) as raised:
        producer({}, CONTEXT)
    assert type(raised.value) is sqs.exceptions.QueueDoesNotExist
    assert raised.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert str(raised.value) == (
        "An error occurred (AWS.SimpleQueueService.NonExistentQueue) when calling the SendMessage operation: "
        "The specified queue does not exist."
    )
    spans = stdout_telemetry.spans()
    send = shape(by_name(spans)["send missing"], spans)
    assert send["attributes"].pop("aws.request_id")
    assert send == {
        "name": "send missing",
        "kind": "PRODUCER",
        "status": "ERROR",
        "status_message": "The specified queue does not exist.",
        "parent": "span:" + invocation(spans).name,
        "attributes": {
            **SQS_SEND,
            "messaging.destination.name": "missing",
            "aws.sqs.queue.url": missing,
            "error.type": "AWS.SimpleQueueService.NonExistentQueue",  # sqs.md's own example
        },
        "links": [],
        "events": [],
    }


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.usefixtures("installed")
def test_a_request_that_raises_is_an_error_span_named_by_the_exception_class(stdout_telemetry: StdoutTelemetry) -> None:
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=2)
    sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{closed_port()}", config=config, **CREDENTIALS)

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> None:
        sqs.send_message(QueueUrl=f"http://127.0.0.1/{ACCOUNT}/orders", MessageBody="lost")

    with pytest.raises(errors.EndpointConnectionError):
        producer({}, CONTEXT)
    send = by_name(stdout_telemetry.spans())["send orders"]
    assert (send.status, send.attributes["error.type"]) == ("ERROR", "botocore.exceptions.EndpointConnectionError")


@pytest.mark.usefixtures("installed")
def test_a_call_that_fails_before_it_is_sent_ends_its_span_as_an_error(
    aws: Aws, stdout_telemetry: StdoutTelemetry
) -> None:
    sqs = aws.client("sqs")

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> str:
        try:
            sqs.send_message(QueueUrl=f"{aws.url}/{ACCOUNT}/orders", MessageBody=42)  # not a string
        except errors.ParamValidationError:
            return "invalid"
        return "sent"

    # The span ends when botocore's request context goes, which the exception held until its except
    # block ended: within the invocation, whose flush exports it.
    assert producer({}, CONTEXT) == "invalid"
    spans = stdout_telemetry.spans()
    send = by_name(spans)["send orders"]
    assert (send.status, send.attributes["error.type"]) == ("ERROR", "_OTHER")


def test_handler_code_outside_an_invocation_sends_a_root_producer_span(
    aws: Aws, stdout_telemetry: StdoutTelemetry
) -> None:
    queue = aws.queue("at-init")
    _, provider = init_telemetry("producer-service")
    _botocore.maybe_install()
    try:
        aws.client("sqs").send_message(QueueUrl=queue, MessageBody="from init")
        provider.force_flush()
        (send,) = stdout_telemetry.spans()
        assert (send.name, send.kind, send.parent_span_id) == ("send at-init", "PRODUCER", None)
        (message,) = aws.receive(queue)
        assert ids(attribute(message, "traceparent")) == (send.trace_id, send.span_id)
    finally:
        _botocore.uninstall()


@pytest.mark.usefixtures("installed")
def test_suppressed_instrumentation_sends_nothing_and_makes_no_span(
    aws: Aws, stdout_telemetry: StdoutTelemetry
) -> None:
    queue = aws.queue("quiet")
    sqs = aws.client("sqs")

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> None:
        token = otel_context.attach(otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
        try:
            sqs.send_message(QueueUrl=queue, MessageBody="quiet")
        finally:
            otel_context.detach(token)

    producer({}, CONTEXT)
    assert [span.name for span in stdout_telemetry.spans()] == [CONTEXT.function_name]
    (message,) = aws.receive(queue)
    assert "MessageAttributes" not in message


# --- SNS ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [False, True], ids=["notification", "raw-delivery"])
@pytest.mark.usefixtures("installed")
def test_publish_carries_its_producer_span_through_an_sqs_subscription(
    raw: bool, aws: Aws, stdout_telemetry: StdoutTelemetry
) -> None:
    queue = aws.queue(f"news-{raw}")
    sns = aws.client("sns")
    topic = sns.create_topic(Name="news")["TopicArn"]
    queue_arn = aws.queue_arn(queue)
    attributes = {"RawMessageDelivery": "true"} if raw else {}
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes)

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response: dict[str, Any] = sns.publish(TopicArn=topic, Message="extra, extra")
        return response

    response = producer({}, CONTEXT)
    spans = stdout_telemetry.spans()
    publish = by_name(spans)["publish news"]
    assert shape(publish, spans) == {
        "name": "publish news",
        "kind": "PRODUCER",
        "status": "UNSET",
        "status_message": "",
        "parent": "span:" + invocation(spans).name,
        "attributes": {
            "messaging.system": "aws.sns",
            "messaging.operation.type": "send",
            "messaging.operation.name": "publish",
            "messaging.destination.name": "news",
            "aws.sns.topic.arn": topic,
            "messaging.message.id": response["MessageId"],
            "aws.request_id": response["ResponseMetadata"]["RequestId"],
        },
        "links": [],
        "events": [],
    }
    (message,) = aws.receive(queue)
    if raw:  # SNS's attributes become the SQS message's
        assert ids(attribute(message, "traceparent")) == (publish.trace_id, publish.span_id)
    else:  # the SQS message is the notification, whose MessageAttributes hold them
        notification = json.loads(message["Body"])
        assert notification["Message"] == "extra, extra"
        assert notification["MessageAttributes"]["traceparent"]["Type"] == "String"
        assert ids(notification["MessageAttributes"]["traceparent"]["Value"]) == (publish.trace_id, publish.span_id)

    # where the SQS source of a consumer looks, in both cases: its batch span links the publish span
    @instrumented
    def consumer(event: dict[str, Any], context: Any) -> None:
        return None

    consumer({"Records": [lambda_record(message, queue_arn)]}, LambdaContext(function_name="consumer"))
    (process,) = stdout_telemetry.spans()
    assert [(link.trace_id, link.span_id) for link in process.links] == [(publish.trace_id, publish.span_id)]


@pytest.mark.usefixtures("installed")
def test_publish_batch_has_one_span_whose_context_every_entry_carries(
    aws: Aws, stdout_telemetry: StdoutTelemetry
) -> None:
    queue = aws.queue("bulletins")
    sns = aws.client("sns")
    topic = sns.create_topic(Name="bulletins")["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=aws.queue_arn(queue), Attributes={"RawMessageDelivery": "true"}
    )

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> None:
        entries = [{"Id": "1", "Message": "first"}, {"Id": "2", "Message": "second"}]
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)

    producer({}, CONTEXT)
    publish = by_name(stdout_telemetry.spans())["publish bulletins"]
    assert publish.attributes["messaging.batch.message_count"] == 2
    assert "messaging.message.id" not in publish.attributes
    messages = aws.receive(queue)
    assert sorted(message["Body"] for message in messages) == ["first", "second"]
    assert {ids(attribute(message, "traceparent")) for message in messages} == {(publish.trace_id, publish.span_id)}


class Sent:
    """The HTTP requests a client sent, captured by a ``before-send`` handler (which sends them on)."""

    def __init__(self, client: Any) -> None:
        self.requests: list[Any] = []
        client.meta.events.register("before-send", self.capture)

    def capture(self, request: Any, **_: Any) -> None:
        self.requests.append(request)

    def body(self) -> str:
        (request,) = self.requests
        body = request.body
        return body.decode() if isinstance(body, bytes) else str(body)


@pytest.mark.usefixtures("installed")
def test_publish_to_a_phone_number_has_no_destination_and_no_attributes(
    aws: Aws, stdout_telemetry: StdoutTelemetry
) -> None:
    sns = aws.client("sns")
    sent = Sent(sns)

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> None:
        sns.publish(PhoneNumber="+15555550100", Message="your code is 1234")

    producer({}, CONTEXT)
    publish = by_name(stdout_telemetry.spans())["publish"]
    assert "messaging.destination.name" not in publish.attributes
    assert "traceparent" not in sent.body()
    assert "MessageAttributes" not in sent.body()


# --- Lambda -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def function(moto_url: str) -> str:
    """A function in moto's Docker-less Lambda, which answers an invocation with the payload it received."""
    name = "consumer-fn"
    Aws(moto_url).function(name)
    return name


@pytest.mark.parametrize("invocation_type", ["RequestResponse", "Event"])
@pytest.mark.usefixtures("installed")
def test_invoke_puts_its_client_span_in_the_payload_headers_which_the_invoked_function_reads(
    invocation_type: str, aws: Aws, function: str, stdout_telemetry: StdoutTelemetry
) -> None:
    client = aws.client("lambda")

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> bytes:
        response = client.invoke(FunctionName=function, InvocationType=invocation_type, Payload=b'{"order": 42}')
        echoed: bytes = response["Payload"].read()  # moto's Docker-less Lambda returns what it received
        return echoed

    received = json.loads(producer({}, CONTEXT))
    spans = stdout_telemetry.spans()
    invoke = by_name(spans)[function]
    assert shape(invoke, spans)["attributes"] | {"aws.request_id": None} == {
        "faas.invoked_name": function,
        "faas.invoked_provider": "aws",
        "faas.invoked_region": REGION,
        "aws.request_id": None,
    }
    assert (invoke.kind, invoke.parent_span_id) == ("CLIENT", invocation(spans).span_id)
    assert sorted(received) == ["headers", "order"]
    assert received["order"] == 42
    assert ids(received["headers"]["traceparent"]) == (invoke.trace_id, invoke.span_id)

    @instrumented
    def invoked(event: dict[str, Any], context: Any) -> None:
        return None

    invoked(received, LambdaContext(function_name=function))
    (span,) = stdout_telemetry.spans()
    assert (span.trace_id, span.parent_span_id) == (invoke.trace_id, invoke.span_id)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        # the payload changes by its headers member and nothing else, byte for byte
        (
            '{"a": 1.00000000000000000001, "é": "ü"}',
            '{"headers":{"traceparent":"TP"},"a": 1.00000000000000000001, "é": "ü"}',
        ),
        (" { } ", ' {"headers":{"traceparent":"TP"} } '),
        ('{"headers": {"x-id": "7"}, "n": 1e400}', '{"headers": {"x-id":"7","traceparent":"TP"}, "n": 1e400}'),
        ('{"nested": {"headers": {}}}', '{"headers":{"traceparent":"TP"},"nested": {"headers": {}}}'),
        # anything else goes out as it is
        ("[1, 2]", "[1, 2]"),
        ('"text"', '"text"'),
        ('{"headers": "not an object"}', '{"headers": "not an object"}'),
    ],
    ids=["precision-and-unicode", "empty", "own-headers", "nested-headers", "array", "string", "headers-not-object"],
)
@pytest.mark.usefixtures("installed")
def test_invoke_payloads_change_by_their_headers_only(
    payload: str, expected: str, aws: Aws, function: str, stdout_telemetry: StdoutTelemetry
) -> None:
    client = aws.client("lambda")

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> str:
        echoed: bytes = client.invoke(FunctionName=function, Payload=payload)["Payload"].read()
        return echoed.decode()

    received = producer({}, CONTEXT)
    invoke = by_name(stdout_telemetry.spans())[function]
    assert (
        received.replace(f"00-{invoke.trace_id}-{invoke.span_id}-03", "TP").replace(
            f"00-{invoke.trace_id}-{invoke.span_id}-01", "TP"
        )
        == expected
    )


# --- no W3C carrier: EventBridge, Kinesis, Step Functions -----------------------------------------------


@pytest.mark.usefixtures("installed")
def test_put_events_is_a_client_span_and_the_events_go_out_as_they_are(
    aws: Aws, stdout_telemetry: StdoutTelemetry
) -> None:
    events = aws.client("events")
    sent = Sent(events)
    entry = {"Source": "orders", "DetailType": "OrderPlaced", "Detail": json.dumps({"order": 42})}

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response: dict[str, Any] = events.put_events(Entries=[entry])
        return response

    response = producer({}, CONTEXT)
    spans = stdout_telemetry.spans()
    event_id = response["Entries"][0]["EventId"]
    assert shape(by_name(spans)["send default"], spans) == {
        "name": "send default",
        "kind": "CLIENT",  # messaging-spans.md: PRODUCER only when the span's context goes with the message
        "status": "UNSET",
        "status_message": "",
        "parent": "span:" + invocation(spans).name,
        "attributes": {
            "messaging.system": "aws.eventbridge",
            "messaging.operation.type": "send",
            "messaging.operation.name": "send",
            "messaging.destination.name": "default",
            "cloudevents.event_source": "orders",
            "cloudevents.event_type": "OrderPlaced",
            "messaging.message.id": event_id,
            "cloudevents.event_id": event_id,
            "aws.request_id": response["ResponseMetadata"]["RequestId"],
        },
        "links": [],
        "events": [],
    }
    assert json.loads(sent.body()) == {"Entries": [entry]}


@pytest.mark.usefixtures("installed")
def test_kinesis_records_are_client_spans_and_their_data_is_untouched(
    aws: Aws, stdout_telemetry: StdoutTelemetry
) -> None:
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    sent = Sent(kinesis)

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> dict[str, Any]:
        data = json.dumps({"click": 1, "trace": inject_context()}).encode()  # by hand: the documented way
        response: dict[str, Any] = kinesis.put_record(StreamName="clicks", Data=data, PartitionKey="p")
        kinesis.put_records(StreamName="clicks", Records=[{"Data": b"a", "PartitionKey": "p"}] * 2)
        return response

    response = producer({}, CONTEXT)
    spans = stdout_telemetry.spans()
    single, batch = [span for span in spans if span.name == "send clicks"]
    assert single.kind == batch.kind == "CLIENT"
    assert single.attributes == {
        "messaging.system": "aws.kinesis",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.name": "clicks",
        "aws.kinesis.stream_name": "clicks",
        "messaging.destination.partition.id": response["ShardId"],
        "messaging.message.id": response["SequenceNumber"],
        "aws.request_id": response["ResponseMetadata"]["RequestId"],
    }
    assert batch.attributes["messaging.batch.message_count"] == 2
    data = json.loads(base64.b64decode(json.loads(sent.requests[0].body)["Data"]))
    assert ids(data["trace"]["traceparent"]) == (invocation(spans).trace_id, invocation(spans).span_id)
    assert sorted(data) == ["click", "trace"]


@pytest.mark.usefixtures("installed")
def test_start_execution_is_an_aws_sdk_client_span_and_its_input_is_untouched(
    aws: Aws, stdout_telemetry: StdoutTelemetry
) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/sfn"
    sfn = aws.client("stepfunctions")
    definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    machine = sfn.create_state_machine(name="fulfil", definition=definition, roleArn=role)["stateMachineArn"]
    sent = Sent(sfn)

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> None:
        sfn.start_execution(stateMachineArn=machine, input='{"order": 42}')

    producer({}, CONTEXT)
    start = by_name(stdout_telemetry.spans())["SFN.StartExecution"]
    assert start.kind == "CLIENT"
    assert {key: value for key, value in start.attributes.items() if key != "aws.request_id"} == {
        "rpc.system": "aws-api",
        "rpc.service": "SFN",
        "rpc.method": "StartExecution",
        "cloud.region": REGION,
        "aws.step_functions.state_machine.arn": machine,
    }
    assert json.loads(sent.body()) == {"stateMachineArn": machine, "input": '{"order": 42}'}


# --- the runtime's X-Amzn-Trace-Id --------------------------------------------------------------------


@pytest.mark.usefixtures("installed")
def test_the_x_amzn_trace_id_header_is_the_one_botocore_sets_from_the_runtime(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:0"
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "producer")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", header)
    queue = aws.queue("traced")
    sqs = aws.client("sqs")
    sent = Sent(sqs)

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> None:
        sqs.send_message(QueueUrl=queue, MessageBody="x")

    producer({}, CONTEXT)
    expected: dict[str, Any] = {"headers": {}}
    handlers.add_recursion_detection_header(expected)  # what botocore sets, Lineage and all
    (request,) = sent.requests
    assert request.headers["X-Amzn-Trace-Id"] == expected["headers"]["X-Amzn-Trace-Id"].encode()
    assert "traceparent" in sent.body()  # our context went, in the message attributes only


# --- installation ---------------------------------------------------------------------------------


def test_clients_and_sessions_made_before_the_install_are_reached_and_later_ones_too(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, stdout_telemetry: StdoutTelemetry
) -> None:
    """A client copies its session's emitter when it is made: those that exist are found one by one."""
    queue = aws.queue("sessions")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    default_client = aws.client("sqs")  # makes boto3's default session
    own = boto3.Session(**CREDENTIALS)
    own_client = own.client("sqs", endpoint_url=aws.url)
    init_telemetry("producer-service")
    _botocore.maybe_install()
    _botocore.maybe_install()  # idempotent: one span per call below
    _botocore.install(own_client, own)  # handing them over again changes nothing
    try:
        later_clients = [
            boto3.Session(**CREDENTIALS).client("sqs", endpoint_url=aws.url),  # the initializer
            own.client("sqs", endpoint_url=aws.url),  # a session that existed
            aws.client("sqs"),  # the default session
        ]
        for client in (default_client, own_client, *later_clients):
            client.send_message(QueueUrl=queue, MessageBody="x")
        trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]
        assert [span.name for span in stdout_telemetry.spans()] == ["send sessions"] * 5
        assert ["traceparent" in message.get("MessageAttributes", {}) for message in aws.receive(queue)] == [True] * 5
    finally:
        _botocore.uninstall()


def test_install_rejects_what_is_not_a_session_or_client() -> None:
    with pytest.raises(TypeError, match="expected a boto3 or botocore Session or a client, got str"):
        _botocore.install("sqs")


def test_importing_and_initializing_imports_no_botocore() -> None:
    code = (
        "import sys, json, lambda_otel_lite; lambda_otel_lite.init_telemetry('t');"
        "from lambda_otel_lite import _botocore; _botocore.maybe_install();"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('botocore', 'boto3') "
        "or m.startswith('lambda_otel_lite._aws'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(result.stdout.splitlines()[-1]) == []


# --- with the OpenTelemetry contrib instrumentations ----------------------------------------------------


@pytest.fixture
def contrib_botocore() -> Iterator[Callable[[], None]]:
    instrumentation: Any = importlib.import_module("opentelemetry.instrumentation.botocore")
    instrumentor = instrumentation.BotocoreInstrumentor()
    started: list[bool] = []

    def start() -> None:
        instrumentor.instrument(tracer_provider=trace.get_tracer_provider())
        started.append(True)

    yield start
    if started:
        instrumentor.uninstrument()


@pytest.mark.usefixtures("installed")
def test_with_contrib_botocore_its_span_is_the_one_injected_and_there_is_no_second(
    aws: Aws, function: str, contrib_botocore: Callable[[], None], stdout_telemetry: StdoutTelemetry
) -> None:
    queue = aws.queue("contrib")
    sns = aws.client("sns")
    topic = sns.create_topic(Name="contrib-news")["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=aws.queue_arn(queue), Attributes={"RawMessageDelivery": "true"}
    )
    sqs, client = aws.client("sqs"), aws.client("lambda")
    contrib_botocore()

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> bytes:
        sqs.send_message(QueueUrl=queue, MessageBody="sqs")  # contrib does not inject: we inject its span
        sns.publish(TopicArn=topic, Message="sns")  # contrib injects: we do nothing
        echoed: bytes = client.invoke(FunctionName=function, Payload=b"{}")["Payload"].read()  # likewise
        return echoed

    echoed = json.loads(producer({}, CONTEXT))
    spans = stdout_telemetry.spans()
    names = [span.name for span in spans if span.scope != "lambda_otel_lite"]
    assert [span.scope for span in spans].count("lambda_otel_lite") == 0  # no span of ours
    contrib = {span.attributes["rpc.method"]: span for span in spans if "rpc.method" in span.attributes}
    assert sorted(contrib) == ["Invoke", "Publish", "SendMessage"], names
    messages = {message["Body"]: message for message in aws.receive(queue)}
    for body, method in (("sqs", "SendMessage"), ("sns", "Publish")):
        assert ids(attribute(messages[body], "traceparent")) == (contrib[method].trace_id, contrib[method].span_id)
    assert ids(echoed["headers"]["traceparent"]) == (contrib["Invoke"].trace_id, contrib["Invoke"].span_id)


@pytest.mark.usefixtures("installed")
def test_with_contrib_boto3sqs_its_producer_span_is_the_only_one(aws: Aws, stdout_telemetry: StdoutTelemetry) -> None:
    instrumentation: Any = importlib.import_module("opentelemetry.instrumentation.boto3sqs")
    queue = aws.queue("boto3sqs")
    instrumentor = instrumentation.Boto3SQSInstrumentor()
    instrumentor.instrument(tracer_provider=trace.get_tracer_provider())
    try:
        sqs = aws.client("sqs")  # boto3sqs wraps the clients boto3 creates

        @instrumented
        def producer(event: dict[str, Any], context: Any) -> None:
            sqs.send_message(QueueUrl=queue, MessageBody="one")

        producer({}, CONTEXT)
    finally:
        instrumentor.uninstrument()
    spans = stdout_telemetry.spans()
    (send,) = [span for span in spans if span.kind == "PRODUCER"]
    assert send.scope == "opentelemetry.instrumentation.boto3sqs"
    (message,) = aws.receive(queue)
    assert ids(attribute(message, "traceparent")) == (send.trace_id, send.span_id)


# --- the outgoing spans held to the registry ------------------------------------------------------------


@pytest.mark.usefixtures("installed")
def test_every_outgoing_span_is_made_of_registry_attributes_of_their_types(
    aws: Aws, function: str, stdout_telemetry: StdoutTelemetry
) -> None:
    """The rules of tests/unit/test_semconv_registry.py (semantic conventions v1.44.0) over the span
    of every kind of call that carries the context out, in the naming every mode shares."""
    from tests.unit.test_semconv_registry import report

    queue = aws.queue("registry-orders")
    topic = aws.client("sns").create_topic(Name="registry-topic")["TopicArn"]
    kinesis = aws.client("kinesis")
    kinesis.create_stream(StreamName="registry-clicks", ShardCount=1)
    sfn = aws.client("stepfunctions")
    definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    machine = sfn.create_state_machine(
        name="registry-fulfil", definition=definition, roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn"
    )["stateMachineArn"]
    sqs, sns, events, lambda_client = (aws.client(name) for name in ("sqs", "sns", "events", "lambda"))

    @instrumented
    def producer(event: dict[str, Any], context: Any) -> None:
        sqs.send_message(QueueUrl=queue, MessageBody="1")
        sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": "a", "MessageBody": "2"}])
        sns.publish(TopicArn=topic, Message="3")
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "a", "Message": "4"}])
        lambda_client.invoke(FunctionName=function, Payload=b'{"order": 5}')
        events.put_events(Entries=[{"Source": "orders", "DetailType": "OrderPlaced", "Detail": "{}"}])
        kinesis.put_record(StreamName="registry-clicks", Data=b"6", PartitionKey="p")
        sfn.start_execution(stateMachineArn=machine, input="{}")
        with pytest.raises(Exception, match="NonExistentQueue"):
            sqs.send_message(QueueUrl=queue + "-missing", MessageBody="7")

    producer({}, CONTEXT)
    spans = [span for span in stdout_telemetry.spans() if span.kind in ("PRODUCER", "CLIENT")]
    assert len(spans) == 9
    assert [line for span in spans for line in report(f"{span.kind} {span.name}", span.attributes, "http")] == []


def test_the_variable_turned_off_leaves_every_call_as_it_is(
    aws: Aws, stdout_telemetry: StdoutTelemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMBDA_OTEL_LITE_AWS_SDK_CONTEXT", "false")
    init_telemetry("producer-service")
    _botocore.maybe_install()
    try:
        queue = aws.queue("switched-off")
        sqs = aws.client("sqs")

        @instrumented
        def producer(event: dict[str, Any], context: Any) -> None:
            sqs.send_message(QueueUrl=queue, MessageBody="1")

        producer({}, CONTEXT)
        (message,) = aws.receive(queue)
        assert "MessageAttributes" not in message
        assert [span.kind for span in stdout_telemetry.spans()] == ["SERVER"]
    finally:
        _botocore.uninstall()
