"""@instrumented: the whole decoded invocation span for each event source and naming mode."""

from __future__ import annotations

import copy
import importlib.util
import json
import logging
import textwrap
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from pydantic import BaseModel

from lambda_otel_lite import EventValidationError, init_telemetry, instrumented, register_carrier_extractor
from lambda_otel_lite.events import (
    ALBEvent,
    APIGatewayProxyEvent,
    APIGatewayProxyEventV2,
    LambdaFunctionUrlEvent,
    SQSEvent,
)
from lambda_otel_lite.testing import LambdaContext
from tests.support import StdoutTelemetry, shape

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE}-{PARENT}-01"
CONTEXT = LambdaContext(
    aws_request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    invoked_function_arn="arn:aws:lambda:us-east-2:123456789012:function:orders",
)
FAAS = {
    "faas.invocation_id": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    "cloud.account.id": "123456789012",
    "cloud.resource_id": "arn:aws:lambda:us-east-2:123456789012:function:orders",
    "aws.lambda.invoked_arn": "arn:aws:lambda:us-east-2:123456789012:function:orders",
}

HTTP_V2: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "GET /orders/{id}",
    "rawPath": "/orders/42",
    "rawQueryString": "verbose=true&x=1",
    "headers": {
        "host": "api.example.com",
        "traceparent": TRACEPARENT,
        "user-agent": "curl/8.5.0",
        "x-forwarded-proto": "https",
    },
    "requestContext": {
        "domainName": "api.example.com",
        "http": {
            "method": "GET",
            "path": "/orders/42",
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.7",
            "userAgent": "curl/8.5.0",
        },
        "routeKey": "GET /orders/{id}",
        "stage": "$default",
    },
    "isBase64Encoded": False,
}
FUNCTION_URL: dict[str, Any] = {
    **HTTP_V2,
    "routeKey": "$default",
    "rawQueryString": "",
    "headers": {**HTTP_V2["headers"], "host": "abc.lambda-url.us-east-2.on.aws"},
    "requestContext": {
        **HTTP_V2["requestContext"],
        "domainName": "abc.lambda-url.us-east-2.on.aws",
        "routeKey": "$default",
        "http": {**HTTP_V2["requestContext"]["http"], "method": "POST"},
    },
}
REST_V1: dict[str, Any] = {
    "resource": "/orders/{id}",
    "path": "/orders/42",
    "httpMethod": "GET",
    "headers": {"Host": "api.example.com", "Traceparent": TRACEPARENT, "X-Forwarded-Proto": "https"},
    "multiValueHeaders": {"Host": ["api.example.com"], "Traceparent": [TRACEPARENT], "X-Forwarded-Proto": ["https"]},
    "queryStringParameters": {"verbose": "true", "q": "a b"},
    "multiValueQueryStringParameters": {"verbose": ["true"], "q": ["a b"]},
    "requestContext": {
        "httpMethod": "GET",
        "protocol": "HTTP/1.1",
        "resourcePath": "/orders/{id}",
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
    },
    "body": None,
    "isBase64Encoded": False,
}
ALB: dict[str, Any] = {
    "requestContext": {
        "elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/tg/1"}
    },
    "httpMethod": "GET",
    "path": "/orders/42",
    "queryStringParameters": {"q": "a%20b"},
    "headers": {
        "host": "lb.example.com",
        "traceparent": TRACEPARENT,
        "user-agent": "curl/8.5.0",
        "x-forwarded-for": "203.0.113.7, 10.0.0.1",
        "x-forwarded-proto": "http",
    },
    "body": "",
    "isBase64Encoded": False,
}


def sqs_record(message_id: str, traceparent: str | None) -> dict[str, Any]:
    attributes = {"traceparent": {"stringValue": traceparent, "dataType": "String"}} if traceparent else {}
    return {
        "messageId": message_id,
        "receiptHandle": "AQEB" + message_id,
        "body": json.dumps({"order": message_id}),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183"},
        "messageAttributes": attributes,
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:orders-queue",
        "awsRegion": "us-east-2",
    }


LINK_A = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
LINK_B = ("5bf92f3577b34da6a3ce929d0e0e4736", "10f067aa0ba902b7")
SQS: dict[str, Any] = {
    "Records": [
        sqs_record("m-1", f"00-{LINK_A[0]}-{LINK_A[1]}-01"),
        sqs_record("m-2", None),
        sqs_record("m-3", f"00-{LINK_B[0]}-{LINK_B[1]}-01"),
    ]
}


def http_attributes(
    mode: str, method: str, path: str, query: str, scheme: str, host: str, ua: bool = True
) -> dict[str, Any]:
    port = {"https": 443, "http": 80}[scheme]  # no Host port nor X-Forwarded-Port: the scheme's
    legacy = {
        "http.method": method,
        "http.target": f"{path}?{query}" if query else path,
        "http.scheme": scheme,
        "net.host.name": host,
        "net.host.port": port,
        "http.client_ip": "203.0.113.7",
        **({"http.user_agent": "curl/8.5.0"} if ua else {}),
        "http.status_code": 200,
    }
    stable = {
        "http.request.method": method,
        "url.path": path,
        **({"url.query": query} if query else {}),
        "url.scheme": scheme,
        "server.address": host,
        "server.port": port,
        "client.address": "203.0.113.7",
        **({"user_agent.original": "curl/8.5.0"} if ua else {}),
        "http.response.status_code": 200,
    }
    return {"legacy": legacy, "http": stable, "http/dup": {**legacy, **stable}}[mode]


def cold(mode: str) -> dict[str, bool]:
    return {
        "legacy": {"faas.cold_start": True},
        "http": {"faas.coldstart": True},
        "http/dup": {"faas.cold_start": True, "faas.coldstart": True},
    }[mode]


MODES = ["legacy", "http", "http/dup"]


@pytest.fixture(params=MODES)
def semconv(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param != "legacy":
        monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", request.param)
    init_telemetry("orders")
    return str(request.param)


def run(handler: Any, event: dict[str, Any], stdout: StdoutTelemetry) -> dict[str, Any]:
    handler(copy.deepcopy(event), CONTEXT)
    (span,) = stdout.spans()
    return shape(span) | {"trace_id": span.trace_id}


def test_http_api_v2(semconv: str, stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented
    def handler(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
        return {"statusCode": 200, "body": event.raw_path}

    assert run(handler, HTTP_V2, stdout_telemetry) == {
        "name": "GET /orders/{id}",
        "kind": "SERVER",
        "status": "UNSET",
        "status_message": "",
        "parent": PARENT,
        "trace_id": TRACE,
        "attributes": {
            **http_attributes(semconv, "GET", "/orders/42", "verbose=true&x=1", "https", "api.example.com"),
            **({"network.protocol.version": "1.1"} if semconv != "legacy" else {}),
            "http.route": "/orders/{id}",
            "faas.trigger": "http",
            **FAAS,
            **cold(semconv),
        },
        "links": [],
        "events": [],
    }


def test_rest_api_v1(semconv: str, stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented
    def handler(event: APIGatewayProxyEvent, context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    assert run(handler, REST_V1, stdout_telemetry) == {
        "name": "GET /orders/{id}",
        "kind": "SERVER",
        "status": "UNSET",
        "status_message": "",
        "parent": PARENT,
        "trace_id": TRACE,
        "attributes": {
            **http_attributes(semconv, "GET", "/orders/42", "verbose=true&q=a+b", "https", "api.example.com"),
            **({"network.protocol.version": "1.1"} if semconv != "legacy" else {}),
            "http.route": "/orders/{id}",
            "faas.trigger": "http",
            **FAAS,
            **cold(semconv),
        },
        "links": [],
        "events": [],
    }


def test_function_url_has_no_route(semconv: str, stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented
    def handler(event: LambdaFunctionUrlEvent, context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    span = run(handler, FUNCTION_URL, stdout_telemetry)
    assert span["name"] == "POST"
    assert span["attributes"] == {
        **http_attributes(semconv, "POST", "/orders/42", "", "https", "abc.lambda-url.us-east-2.on.aws"),
        **({"network.protocol.version": "1.1"} if semconv != "legacy" else {}),
        "faas.trigger": "http",
        **FAAS,
        **cold(semconv),
    }


def test_alb(semconv: str, stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented
    def handler(event: ALBEvent, context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    span = run(handler, ALB, stdout_telemetry)
    assert (span["name"], span["kind"], span["parent"]) == ("GET", "SERVER", PARENT)
    assert span["attributes"] == {
        **http_attributes(semconv, "GET", "/orders/42", "q=a%20b", "http", "lb.example.com"),
        "faas.trigger": "http",
        **FAAS,
        **cold(semconv),
    }


def test_sqs_batch_is_one_consumer_span_in_a_new_trace_linked_to_each_traced_message(
    semconv: str, stdout_telemetry: StdoutTelemetry
) -> None:
    seen: list[str] = []

    @instrumented
    def handler(event: SQSEvent, context: Any) -> dict[str, Any]:
        seen.extend(record.message_id for record in event.records)
        return {"batchItemFailures": []}

    span = run(handler, SQS, stdout_telemetry)
    assert span.pop("trace_id") not in (LINK_A[0], LINK_B[0])
    assert span == {
        # messaging-spans.md (v1.44.0): "{operation} {destination}", and the current messaging
        # attributes, in every naming mode
        "name": "process orders-queue",
        "kind": "CONSUMER",
        "status": "UNSET",
        "status_message": "",
        "parent": None,
        "attributes": {
            "messaging.system": "aws_sqs",
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.batch.message_count": 3,
            "messaging.destination.name": "orders-queue",
            "aws.sqs.queue.url": "https://sqs.us-east-2.amazonaws.com/123456789012/orders-queue",
            "faas.trigger": "pubsub",
            **FAAS,
            **cold(semconv),
            "lambda_otel_lite.batch.failed_count": 0,  # the handler returned a partial batch response
        },
        "links": [LINK_A, LINK_B],
        "events": [],
    }
    assert seen == ["m-1", "m-2", "m-3"]


@pytest.mark.usefixtures("semconv")
def test_untyped_handlers_get_the_same_span_by_shape_detection(stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented
    def typed(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    @instrumented
    def untyped(event, context):  # type: ignore[no-untyped-def]
        return {"statusCode": 200}

    @instrumented
    def as_dict(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    spans = [run(handler, HTTP_V2, stdout_telemetry) for handler in (typed, untyped, as_dict)]
    for span in spans:  # only the first invocation is a cold start
        span["attributes"].pop("faas.cold_start", None)
        span["attributes"].pop("faas.coldstart", None)
    assert spans[0] == spans[1] == spans[2]


@pytest.mark.usefixtures("semconv")
def test_5xx_sets_error_and_4xx_leaves_server_spans_unset(stdout_telemetry: StdoutTelemetry) -> None:
    codes = iter([503, 404])

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": next(codes)}

    assert (run(handler, HTTP_V2, stdout_telemetry)["status"], run(handler, HTTP_V2, stdout_telemetry)["status"]) == (
        "ERROR",
        "UNSET",
    )


class Reply(BaseModel):
    status_code: int


def test_a_model_response_with_status_code_is_recorded(stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> Reply:
        return Reply(status_code=502)

    span = run(handler, HTTP_V2, stdout_telemetry)
    # docs/http/http-spans.md (v1.44.0): no description where the status code tells the reason
    assert (
        span["status"],
        span["status_message"],
        span["attributes"]["http.status_code"],
        span["attributes"]["error.type"],
    ) == ("ERROR", "", 502, "502")


def test_an_exception_is_recorded_reraised_unchanged_and_exported(stdout_telemetry: StdoutTelemetry) -> None:
    error = RuntimeError("database down")

    @instrumented
    def handler(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
        raise error

    with pytest.raises(RuntimeError) as raised:
        handler(copy.deepcopy(HTTP_V2), CONTEXT)  # type: ignore[arg-type]
    assert raised.value is error
    (span,) = stdout_telemetry.spans()
    assert (span.status, span.status_message, span.attributes["error.type"], [e.name for e in span.events]) == (
        "ERROR",
        "database down",  # docs/general/recording-errors.md: the message; the type is error.type
        "RuntimeError",
        ["exception"],
    )


def test_an_invalid_event_raises_event_validation_error_naming_field_and_value_and_the_span_shows_it(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    calls: list[Any] = []

    @instrumented
    def handler(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
        calls.append(event)
        return {"statusCode": 200}

    bad = copy.deepcopy(HTTP_V2)
    bad["requestContext"]["timeEpoch"] = "soon"
    del bad["rawPath"]
    with pytest.raises(EventValidationError) as raised:
        handler(bad, CONTEXT)  # type: ignore[arg-type]

    message = (
        "event does not match APIGatewayProxyEventV2: rawPath: Field required; "
        "requestContext.timeEpoch: Input should be a valid integer, unable to parse string as an integer (got 'soon')"
    )
    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError)
    assert raised.value.errors[1][:2] == ("requestContext.timeEpoch", "soon")
    assert calls == []
    (span,) = stdout_telemetry.spans()
    # The span is still named and parented from the raw event.
    assert (span.name, span.parent_span_id, span.status, span.status_message) == (
        "GET /orders/{id}",
        PARENT,
        "ERROR",
        message,
    )
    assert span.events[0].attributes["exception.type"] == "lambda_otel_lite.exceptions.EventValidationError"
    assert span.attributes["error.type"] == "lambda_otel_lite.exceptions.EventValidationError"


def test_decorator_arguments_override_the_derived_name_kind_and_add_attributes(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    @instrumented("orders-api", kind=trace.SpanKind.INTERNAL, attributes={"team": "orders", "faas.trigger": "x"})
    def handler(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    span = run(handler, HTTP_V2, stdout_telemetry)
    assert (span["name"], span["kind"], span["attributes"]["team"], span["attributes"]["faas.trigger"]) == (
        "orders-api",
        "INTERNAL",
        "orders",
        "x",
    )


def test_a_generic_event_is_named_after_the_lambda_function_not_the_callable(
    stdout_telemetry: StdoutTelemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/faas/aws-lambda.md (v1.44.0): the span name "MUST be set to the function name from the
    Lambda Context"; without a context, ``AWS_LAMBDA_FUNCTION_NAME``; outside Lambda, the callable's."""

    @instrumented
    def nightly_report(event: dict[str, Any], context: Any) -> None:
        return None

    event = {"detail-type": "Scheduled Event"}
    named = LambdaContext(function_name="reports-prod")
    assert [nightly_report(dict(event), named), nightly_report(dict(event), None)] == [None, None]
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "reports-env")
    init_telemetry()
    nightly_report(dict(event), None)
    spans = stdout_telemetry.spans()
    assert [(span.name, span.kind, span.attributes["faas.trigger"]) for span in spans] == [
        ("reports-prod", "SERVER", "other"),
        ("nightly_report", "SERVER", "other"),
        ("reports-env", "SERVER", "other"),
    ]


def test_without_init_telemetry_the_decorator_initialises_at_decoration(stdout_telemetry: StdoutTelemetry) -> None:
    from lambda_otel_lite.telemetry import STATE

    providers = [STATE.provider]

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    providers.append(STATE.provider)
    assert providers[0] is None
    assert providers[1] is not None  # at decoration, i.e. module import: Lambda's init phase
    handler({}, None)
    assert len(stdout_telemetry.spans()) == 1


# --- carriers -----------------------------------------------------------------------------------


class OrderPlaced(BaseModel):
    order_id: str
    trace: dict[str, str] = {}


OTHER = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")


def test_a_registered_extractor_serves_a_users_model(stdout_telemetry: StdoutTelemetry) -> None:
    @register_carrier_extractor(OrderPlaced)
    def from_trace_field(event: OrderPlaced) -> dict[str, str]:
        return event.trace

    @instrumented
    def handler(event: OrderPlaced, context: Any) -> None:
        assert event.order_id == "o-1"

    handler({"order_id": "o-1", "trace": {"traceparent": TRACEPARENT}}, None)  # type: ignore[arg-type]
    (span,) = stdout_telemetry.spans()
    assert (span.name, span.trace_id, span.parent_span_id) == ("handler", TRACE, PARENT)


def test_a_registered_extractor_overrides_the_built_in_one(stdout_telemetry: StdoutTelemetry) -> None:
    register_carrier_extractor(APIGatewayProxyEventV2, lambda event: {"traceparent": f"00-{OTHER[0]}-{OTHER[1]}-01"})

    @instrumented
    def handler(event: APIGatewayProxyEventV2, context: Any) -> None:
        return None

    handler(copy.deepcopy(HTTP_V2), None)  # type: ignore[arg-type]
    (span,) = stdout_telemetry.spans()
    assert (span.trace_id, span.parent_span_id) == OTHER


def test_get_carrier_wins_over_a_registered_extractor(stdout_telemetry: StdoutTelemetry) -> None:
    register_carrier_extractor(APIGatewayProxyEventV2, lambda event: {"traceparent": TRACEPARENT})

    @instrumented(get_carrier=lambda event: {"traceparent": f"00-{OTHER[0]}-{OTHER[1]}-01"})
    def handler(event: APIGatewayProxyEventV2, context: Any) -> None:
        return None

    handler(copy.deepcopy(HTTP_V2), None)  # type: ignore[arg-type]
    (span,) = stdout_telemetry.spans()
    assert (span.trace_id, span.parent_span_id) == OTHER


def test_an_extractor_registered_for_dict_serves_untyped_handlers(stdout_telemetry: StdoutTelemetry) -> None:
    register_carrier_extractor(dict, lambda event: event.get("meta"))

    @instrumented
    def handler(event, context):  # type: ignore[no-untyped-def]
        return None

    handler({"meta": {"traceparent": TRACEPARENT}}, None)
    (span,) = stdout_telemetry.spans()
    assert span.parent_span_id == PARENT


def test_a_raising_extractor_gives_a_root_span_and_one_warning(
    stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: APIGatewayProxyEventV2) -> dict[str, str]:
        raise KeyError("trace")

    register_carrier_extractor(APIGatewayProxyEventV2, broken)

    @instrumented
    def handler(event: APIGatewayProxyEventV2, context: Any) -> None:
        return None

    with caplog.at_level(logging.WARNING):
        handler(copy.deepcopy(HTTP_V2), None)  # type: ignore[arg-type]
        handler(copy.deepcopy(HTTP_V2), None)  # type: ignore[arg-type]
    assert [span.parent_span_id for span in stdout_telemetry.spans()] == [None, None]
    assert len(caplog.records) == 1


def test_an_xray_trace_header_links_when_the_xray_propagator_is_configured(stdout_telemetry: StdoutTelemetry) -> None:
    from opentelemetry import propagate
    from opentelemetry.propagators.textmap import TextMapPropagator

    class MiniXRay(TextMapPropagator):
        """Reads Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=1 like the AWS X-Ray propagator."""

        def extract(self, carrier: Any, context: Any = None, getter: Any = None) -> Any:
            from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context

            header = (getter.get(carrier, "X-Amzn-Trace-Id") or [None])[0] if getter else None
            if not header:
                return context or {}
            fields = dict(part.split("=", 1) for part in header.split(";"))
            trace_id = int(fields["Root"].replace("1-", "", 1).replace("-", ""), 16)
            span_context = SpanContext(trace_id, int(fields["Parent"], 16), True, TraceFlags(1))
            return set_span_in_context(NonRecordingSpan(span_context), context)

        def inject(self, carrier: Any, context: Any = None, setter: Any = None) -> None:
            return None

        @property
        def fields(self) -> set[str]:
            return {"X-Amzn-Trace-Id"}

    previous = propagate.get_global_textmap()
    propagate.set_global_textmap(MiniXRay())
    try:
        record = sqs_record("m-1", None)
        record["attributes"]["AWSTraceHeader"] = (
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        )

        @instrumented
        def handler(event: SQSEvent, context: Any) -> None:
            return None

        handler({"Records": [record]}, None)  # type: ignore[arg-type]
    finally:
        propagate.set_global_textmap(previous)
    (span,) = stdout_telemetry.spans()
    assert [(link.trace_id, link.span_id) for link in span.links] == [
        ("5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8")
    ]


# --- misuse is rejected at decoration ---------------------------------------------------------


def test_a_function_without_an_event_parameter_is_rejected_at_decoration() -> None:
    with pytest.raises(TypeError, match="has no positional parameter"):

        @instrumented
        def handler() -> None:
            return None


def test_an_async_handler_is_rejected_at_decoration() -> None:
    with pytest.raises(TypeError, match="does not await handlers"):

        @instrumented
        async def handler(event: dict[str, Any], context: Any) -> None:
            return None


class NotAModel:
    """A class pydantic cannot build from an event."""


def test_an_event_annotation_that_cannot_be_built_from_json_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"event parameter 'event' is annotated .*NotAModel"):

        @instrumented
        def handler(event: NotAModel, context: Any) -> None:
            return None


def _import_handler_module(tmp_path: Path, source: str) -> Any:
    path = tmp_path / "typed_handler_module.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location("typed_handler_module", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_event_model_imported_only_for_type_checking_is_rejected_with_the_fix(tmp_path: Path) -> None:
    source = """
        from __future__ import annotations
        from typing import TYPE_CHECKING
        from lambda_otel_lite import instrumented
        if TYPE_CHECKING:
            from lambda_otel_lite.events import APIGatewayProxyEventV2

        @instrumented
        def handler(event: APIGatewayProxyEventV2, context: object) -> dict:
            return {"statusCode": 200}
    """
    with pytest.raises(TypeError) as raised:
        _import_handler_module(tmp_path, source)
    message = str(raised.value)
    assert "the annotation 'APIGatewayProxyEventV2' of the event parameter 'event' cannot be resolved" in message
    assert "NameError" in message
    assert "not under 'if TYPE_CHECKING:'" in message


def test_a_context_type_imported_only_for_type_checking_is_fine(
    tmp_path: Path, stdout_telemetry: StdoutTelemetry
) -> None:
    source = """
        from __future__ import annotations
        from typing import TYPE_CHECKING
        from lambda_otel_lite import instrumented
        from lambda_otel_lite.events import APIGatewayProxyEventV2
        if TYPE_CHECKING:
            from some_typing_only_package import LambdaContext

        @instrumented
        def handler(event: APIGatewayProxyEventV2, context: LambdaContext) -> dict:
            return {"statusCode": 200, "body": event.raw_path}
    """
    module = _import_handler_module(tmp_path, source)
    assert module.handler(copy.deepcopy(HTTP_V2), CONTEXT) == {"statusCode": 200, "body": "/orders/42"}
    (span,) = stdout_telemetry.spans()
    assert span.name == "GET /orders/{id}"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": 3}, "instrumented(name=...) must be a string, got int: 3"),
        ({"kind": "SERVER"}, "instrumented(kind=...) must be an opentelemetry SpanKind, got 'SERVER'"),
        ({"attributes": ["a"]}, "instrumented(attributes=...) must be a mapping, got list"),
        ({"get_carrier": "headers"}, "instrumented(get_carrier=...) must be callable, got 'headers'"),
        ({"tracer": object()}, "instrumented(tracer=...) must be an opentelemetry Tracer"),
    ],
)
def test_invalid_decorator_arguments_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError) as raised:
        instrumented(**kwargs)
    assert str(raised.value).startswith(message)


def test_an_unknown_keyword_is_rejected_at_decoration() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'nmae'"):
        instrumented(nmae="x")  # type: ignore[call-overload]


# --- the seed README's Distributed Tracing examples, decorator versions --------------------------


def test_decorator_version_of_the_seed_header_propagation_example(stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented("my-handler", kind=trace.SpanKind.SERVER, attributes={"custom.attribute": "value"})
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    handler({"headers": {"traceparent": TRACEPARENT}}, CONTEXT)
    (span,) = stdout_telemetry.spans()
    assert (span.name, span.trace_id, span.parent_span_id, span.attributes["custom.attribute"]) == (
        "my-handler",
        TRACE,
        PARENT,
        "value",
    )


def extract_from_sqs(event: dict[str, Any]) -> dict[str, Any]:
    """The seed's custom carrier: the first record's message attributes."""
    if event.get("Records"):
        return dict(event["Records"][0].get("messageAttributes", {}))
    return {}


def test_decorator_version_of_the_seed_custom_carrier_example(stdout_telemetry: StdoutTelemetry) -> None:
    @instrumented("my-handler", kind=trace.SpanKind.SERVER, get_carrier=extract_from_sqs)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    handler(copy.deepcopy(SQS), CONTEXT)
    (span,) = stdout_telemetry.spans()
    # The carrier function decides the parent; the batch's traced messages are still linked.
    assert (span.name, span.kind, span.trace_id, span.parent_span_id) == ("my-handler", "SERVER", *LINK_A)
    assert [(link.trace_id, link.span_id) for link in span.links] == [LINK_A, LINK_B]
