"""The botocore event handlers as pure functions: botocore's keyword arguments in, parameters and spans out.

Each test calls the three dispatchers as botocore's emitter would (the event's full name, ``params``,
``context``, the parsed response) with no botocore at all; the functional tier runs them in botocore.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import baggage, propagate, trace
from opentelemetry import context as otel_context
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from lambda_otel_lite import _aws_calls, init_telemetry
from lambda_otel_lite._aws_operations import _function, after_call, after_call_error, before_parameter_build
from lambda_otel_lite.outgoing import inject_context, propagation_fields

QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:news"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    init_telemetry("unit", span_processors=[SimpleSpanProcessor(exporter)])
    yield exporter
    _aws_calls.reset()


class Response:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


def call(
    operation: str, params: dict[str, Any], parsed: dict[str, Any] | None = None, status: int = 200
) -> dict[str, Any]:
    """One call through the three events; returns the request context."""
    context: dict[str, Any] = {"client_region": "eu-west-1"}
    before_parameter_build(f"before-parameter-build.{operation}", params=params, model=None, context=context)
    after_call(
        f"after-call.{operation}", http_response=Response(status), parsed=parsed or {}, model=None, context=context
    )
    return context


def only(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    return span


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def traceparent_of(span: Any) -> str:
    context = span.get_span_context()
    assert context is not None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


# --- dispatch -------------------------------------------------------------------------------------------


def test_calls_of_other_operations_run_nothing(exporter: InMemorySpanExporter) -> None:
    params = {"TableName": "t", "Key": {}}
    call("dynamodb.GetItem", params)
    assert params == {"TableName": "t", "Key": {}}
    assert exporter.get_finished_spans() == ()


def test_what_is_not_a_dict_is_left_alone(exporter: InMemorySpanExporter) -> None:
    before_parameter_build("before-parameter-build.sqs.SendMessage", params=None, model=None, context={})
    after_call("after-call.sqs.SendMessage", http_response=None, parsed=None, model=None, context=None)
    after_call_error("after-call-error.sqs.SendMessage", exception=ValueError(), context=None)
    assert exporter.get_finished_spans() == ()


# --- message attributes ------------------------------------------------------------------------------


def test_the_callers_own_attributes_are_kept_and_never_overwritten(exporter: InMemorySpanExporter) -> None:
    theirs = {"baggage": {"DataType": "String", "StringValue": "theirs=1"}}
    params: dict[str, Any] = {"QueueUrl": QUEUE, "MessageBody": "x", "MessageAttributes": theirs}
    token = otel_context.attach(baggage.set_baggage("ours", "2"))
    try:
        call("sqs.SendMessage", params, {"MessageId": "m-1"})
    finally:
        otel_context.detach(token)
    span = only(exporter)
    assert params["MessageAttributes"] == {
        "baggage": {"DataType": "String", "StringValue": "theirs=1"},
        "traceparent": {"DataType": "String", "StringValue": traceparent_of(span)},
    }
    assert theirs == {"baggage": {"DataType": "String", "StringValue": "theirs=1"}}  # a copy was sent
    assert attributes(span) == {
        "messaging.system": "aws_sqs",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.name": "orders",
        "aws.sqs.queue.url": QUEUE,
        "messaging.message.id": "m-1",
    }


@pytest.mark.parametrize("name", ["traceparent", "Traceparent", "TRACEPARENT"])
def test_a_message_that_carries_a_context_gets_no_other_and_no_span(name: str, exporter: InMemorySpanExporter) -> None:
    attributes = {
        name: {"DataType": "String", "StringValue": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    }
    params: dict[str, Any] = {"QueueUrl": QUEUE, "Entries": [{"Id": "1", "MessageAttributes": attributes}, {"Id": "2"}]}
    call("sqs.SendMessageBatch", params)
    assert params["Entries"] == [{"Id": "1", "MessageAttributes": attributes}, {"Id": "2"}]
    assert exporter.get_finished_spans() == ()


def test_attributes_that_are_not_a_mapping_are_left_to_botocore(exporter: InMemorySpanExporter) -> None:
    params: dict[str, Any] = {"QueueUrl": QUEUE, "Entries": [{"Id": "1", "MessageAttributes": "bad"}, "bad"]}
    call("sqs.SendMessageBatch", params)
    assert params["Entries"] == [{"Id": "1", "MessageAttributes": "bad"}, "bad"]
    assert attributes(only(exporter))["messaging.batch.message_count"] == 2


@pytest.mark.parametrize(
    ("params", "name", "destination", "injected"),
    [
        ({"TopicArn": TOPIC}, "publish news", "news", True),
        ({"TargetArn": TOPIC}, "publish news", "news", True),
        ({"TargetArn": "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/app/0f1e"}, "publish", None, False),
        ({"PhoneNumber": "+15555550100"}, "publish", None, False),
    ],
    ids=["topic", "target-topic", "mobile-endpoint", "phone"],
)
def test_publish_names_a_topic_and_only_a_topic_gets_attributes(
    params: dict[str, Any], name: str, destination: str | None, injected: bool, exporter: InMemorySpanExporter
) -> None:
    params = {**params, "Message": "m"}
    call("sns.Publish", params)
    span = only(exporter)
    assert (span.name, attributes(span).get("messaging.destination.name")) == (name, destination)
    assert ("MessageAttributes" in params) is injected


def test_publish_batch_counts_its_entries(exporter: InMemorySpanExporter) -> None:
    entries = [{"Id": "1", "Message": "a"}, {"Id": "2", "Message": "b"}]
    params: dict[str, Any] = {"TopicArn": TOPIC, "PublishBatchRequestEntries": entries}
    call("sns.PublishBatch", params)
    span = only(exporter)
    assert attributes(span)["messaging.batch.message_count"] == 2
    assert [
        entry["MessageAttributes"]["traceparent"]["StringValue"] for entry in params["PublishBatchRequestEntries"]
    ] == [traceparent_of(span)] * 2
    assert entries == [{"Id": "1", "Message": "a"}, {"Id": "2", "Message": "b"}]


# --- Lambda payloads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe not UTF-8",
        '{"a" 1, "headers": {}}',  # no colon
        '{"a": 1 "headers": {}}',  # no comma
        '{"headers": {}} trailing',
        '{"headers": {}, 1: 2}',  # a key that is not a string
        '{"headers": {"x": }}',  # a value that is not JSON
        "{not json}",  # no "headers": judged by its braces; Lambda rejects it as it would without us
    ],
    ids=["not-utf8", "no-colon", "no-comma", "trailing", "key-not-string", "value-not-json", "braces-only"],
)
def test_a_payload_that_is_not_a_json_object_goes_out_as_it_is_bar_braces(
    payload: str | bytes, exporter: InMemorySpanExporter
) -> None:
    params: dict[str, Any] = {"FunctionName": "fn", "Payload": payload}
    call("lambda.Invoke", params)
    expected = payload
    if payload == "{not json}":
        expected = '{"headers":{"traceparent":"' + traceparent_of(only(exporter)) + '"},not json}'
    assert params["Payload"] == expected
    assert only(exporter).name == "fn"


def test_a_file_payload_goes_out_as_it_is(exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture) -> None:
    import io

    payload = io.BytesIO(b"{}")
    params: dict[str, Any] = {"FunctionName": "fn", "Payload": payload}
    with caplog.at_level(logging.DEBUG, logger="lambda_otel_lite._aws_operations"):
        call("lambda.Invoke", params)
    assert params["Payload"] is payload
    assert "not a JSON object" in caplog.text


def test_payload_headers_keep_their_keys_and_the_last_duplicate_counts(exporter: InMemorySpanExporter) -> None:
    params: dict[str, Any] = {
        "FunctionName": "fn",
        "Payload": bytearray(b'{"headers": {"a": "1"}, "headers": {"Baggage": "k=v"}}'),
    }
    call("lambda.Invoke", params)
    assert isinstance(params["Payload"], bytes)
    assert json.loads(params["Payload"])["headers"] == {"Baggage": "k=v", "traceparent": traceparent_of(only(exporter))}


def test_payload_headers_with_a_context_get_no_other_and_no_span(exporter: InMemorySpanExporter) -> None:
    payload = '{"headers": {"TraceParent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}'
    params: dict[str, Any] = {"FunctionName": "fn", "Payload": payload}
    call("lambda.Invoke", params)
    assert params["Payload"] == payload
    assert exporter.get_finished_spans() == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("my-function", ("my-function", None)),
        ("my-function:v1", ("my-function", None)),
        ("123456789012:function:my-function", ("my-function", None)),
        ("123456789012:function:my-function:PROD", ("my-function", None)),
        ("arn:aws:lambda:us-west-2:123456789012:function:my-function", ("my-function", "us-west-2")),
        ("arn:aws:lambda:us-west-2:123456789012:function:my-function:$LATEST", ("my-function", "us-west-2")),
        (None, (None, None)),
    ],
)
def test_function_names_and_regions(name: str | None, expected: tuple[str | None, str | None]) -> None:
    assert _function(name) == expected


def test_a_function_error_is_the_invoke_spans_error(exporter: InMemorySpanExporter) -> None:
    call("lambda.Invoke", {"FunctionName": "arn:aws:lambda:us-west-2:1:function:fn:7"}, {"FunctionError": "Unhandled"})
    span = only(exporter)
    assert (span.status.status_code, attributes(span)["error.type"]) == (trace.StatusCode.ERROR, "Unhandled")
    assert attributes(span)["faas.invoked_region"] == "us-west-2"  # the ARN's, not the client's


# --- spans only -------------------------------------------------------------------------------------


def test_put_events_to_several_buses_is_a_batch_without_destination(exporter: InMemorySpanExporter) -> None:
    entries = [
        {"Source": "a", "EventBusName": "arn:aws:events:eu-west-1:123456789012:event-bus/orders"},
        {"Source": "b"},
    ]
    params: dict[str, Any] = {"Entries": entries}
    call("eventbridge.PutEvents", params, {"Entries": [{"EventId": "1"}, {"EventId": "2"}]})
    span = only(exporter)
    assert (span.name, span.kind) == ("send", trace.SpanKind.CLIENT)
    assert attributes(span)["messaging.batch.message_count"] == 2
    assert "messaging.message.id" not in attributes(span)
    assert params == {"Entries": entries}


def test_kinesis_by_stream_arn(exporter: InMemorySpanExporter) -> None:
    arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"
    call("kinesis.PutRecords", {"StreamARN": arn, "Records": [{}, {}, {}]}, {"Records": []})
    span = only(exporter)
    assert (span.name, attributes(span)["messaging.batch.message_count"]) == ("send clicks", 3)


# --- errors -------------------------------------------------------------------------------------------


def test_a_failed_status_without_an_error_body_is_named_by_the_status(exporter: InMemorySpanExporter) -> None:
    call("sqs.SendMessage", {"QueueUrl": QUEUE}, {}, status=503)
    span = only(exporter)
    assert (span.status.status_code, attributes(span)["error.type"]) == (trace.StatusCode.ERROR, "503")


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no")


def test_an_exception_that_cannot_be_printed_still_ends_the_span(exporter: InMemorySpanExporter) -> None:
    context: dict[str, Any] = {}
    before_parameter_build("before-parameter-build.sqs.SendMessage", params={"QueueUrl": QUEUE}, context=context)
    after_call_error("after-call-error.sqs.SendMessage", exception=Unprintable(), context=context)
    span = only(exporter)
    assert attributes(span)["error.type"] == f"{__name__}.Unprintable"
    assert (span.status.status_code, span.status.description) == (trace.StatusCode.ERROR, None)


# --- contrib's span -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "theirs"),
    [
        ({"rpc.system": "aws-api", "rpc.method": "SendMessage"}, True),
        ({"rpc.system.name": "aws-api", "rpc.method": "SQS/SendMessage"}, True),
        ({"rpc.system": "aws-api", "rpc.method": "SQS.SendMessage"}, True),
        ({"rpc.system": "aws-api", "rpc.method": "ReceiveMessage"}, False),  # another call's
        ({"rpc.system": "grpc", "rpc.method": "SendMessage"}, False),
        ({}, False),
    ],
)
def test_contribs_span_of_this_call_is_injected_and_no_span_is_made(
    attributes: dict[str, str], theirs: bool, exporter: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("opentelemetry.instrumentation.botocore")
    params: dict[str, Any] = {"QueueUrl": QUEUE, "MessageBody": "x"}
    with tracer.start_as_current_span("SQS.SendMessage", attributes=attributes) as current:
        call("sqs.SendMessage", params)
    injected = params["MessageAttributes"]["traceparent"]["StringValue"]
    spans = exporter.get_finished_spans()
    assert (len(spans), injected == traceparent_of(current)) == ((1, True) if theirs else (2, False))


# --- outgoing.inject_context --------------------------------------------------------------------------


def test_inject_context_fills_a_carrier_and_returns_what_it_wrote(exporter: InMemorySpanExporter) -> None:
    carrier = {"order": "42"}
    with trace.get_tracer("t").start_as_current_span("s") as span:
        fields = inject_context(carrier)
    assert fields == {"traceparent": traceparent_of(span)}
    assert carrier == {"order": "42", **fields}
    assert inject_context() == {}  # no span, no baggage


def test_inject_context_rejects_a_carrier_that_is_not_a_mutable_mapping() -> None:
    with pytest.raises(TypeError, match="carrier must be a mutable mapping or None, got tuple"):
        inject_context(())  # type: ignore[arg-type]


class Raising(TextMapPropagator):
    def extract(self, carrier: Any, context: Any = None, getter: Any = None) -> Any:
        return context

    def inject(self, carrier: Any, context: Any = None, setter: Any = None) -> None:
        raise RuntimeError("broken propagator")

    @property
    def fields(self) -> set[str]:
        return {"broken"}


@pytest.fixture
def textmap() -> Iterator[None]:
    """Restores the global propagators a test sets."""
    previous = propagate.get_global_textmap()
    yield
    propagate.set_global_textmap(previous)


@pytest.mark.usefixtures("textmap", "lenient")
def test_a_raising_propagator_gives_no_fields_and_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    propagate.set_global_textmap(Raising())
    with caplog.at_level(logging.WARNING, logger="lambda_otel_lite.outgoing"):
        assert inject_context() == {}
    assert "a propagator raised while injecting" in caplog.text


@pytest.mark.usefixtures("textmap", "exporter")
def test_fields_come_traceparent_tracestate_baggage_first_whatever_the_propagators_order() -> None:
    propagate.set_global_textmap(CompositePropagator([W3CBaggagePropagator(), TraceContextTextMapPropagator()]))
    token = otel_context.attach(baggage.set_baggage("k", "v"))
    try:
        with trace.get_tracer("t").start_as_current_span("s"):
            assert list(propagation_fields()) == ["traceparent", "baggage"]
    finally:
        otel_context.detach(token)
