"""API Gateway Lambda authorizers, EventBridge Scheduler and custom EventBridge events: the invocation
span of real ``@instrumented`` handlers over AWS's sample events, decoded from stdout.

An authorizer's event is not the HTTP request it guards: no route, no ``{method} {route}`` name, no
HTTP attributes or status. A Scheduler event is the ``timer`` trigger, as a scheduled rule's is. A
custom EventBridge event is ``pubsub`` with the messaging attributes of every naming mode.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from lambda_otel_lite import EventValidationError, init_telemetry, instrumented
from lambda_otel_lite.events import EventBridgeEvent
from lambda_otel_lite.testing import LambdaContext, sample_event
from tests.functional.test_fuzz_events import FUZZ, JSON, NON_DICT, assert_one_exported_invocation, mutated
from tests.support import INVOCATION_CONTEXT_KEYS, StdoutTelemetry, shape

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE}-{PARENT}-01"
FUNCTION = "orders-authorizer"
CONTEXT = LambdaContext(function_name=FUNCTION, aws_request_id="r-1")
CONTEXT_KEYS = INVOCATION_CONTEXT_KEYS
"""Attributes of the Lambda context, not of the event: the same for every trigger, tested elsewhere."""

AUTHORIZERS = {
    "apigateway-authorizer-token": "TOKEN",
    "apigateway-authorizer-request-v1": "REQUEST",
    "apigateway-authorizer-request-v2": "REQUEST",
}


@pytest.fixture(params=["legacy", "http", "http/dup"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param != "legacy":
        monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", request.param)
    init_telemetry("authorizer-scheduler")
    return str(request.param)


def span_of(handler: Any, event: Any, stdout: StdoutTelemetry) -> tuple[dict[str, Any], str]:
    """The one exported span of ``handler(event)`` as a comparable structure, and its trace id."""
    handler(copy.deepcopy(event), CONTEXT)
    (span,) = stdout.spans()
    result = shape(span)
    for key in CONTEXT_KEYS:
        result["attributes"].pop(key, None)
    return result, span.trace_id


def untyped(event: dict[str, Any], stdout: StdoutTelemetry, response: object = None) -> dict[str, Any]:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> object:
        return response

    return span_of(handler, event, stdout)[0]


def typed(model: Any, event: dict[str, Any], stdout: StdoutTelemetry) -> tuple[dict[str, Any], list[object]]:
    received: list[object] = []

    def handler(event: Any, context: Any) -> None:
        received.append(event)

    handler.__annotations__["event"] = model  # the model varies by test: annotate at run time
    return span_of(instrumented(handler), event, stdout)[0], received


def authorizer_span(kind: str, parent: str | None = None) -> dict[str, Any]:
    return {
        "name": FUNCTION,
        "kind": "SERVER",
        "status": "UNSET",
        "status_message": "",
        "parent": parent,
        "attributes": {"faas.trigger": "other", "lambda_otel_lite.authorizer.type": kind},
        "links": [],
        "events": [],
    }


# --- API Gateway Lambda authorizers ---------------------------------------------------------------


@pytest.mark.parametrize("sample", AUTHORIZERS)
def test_an_authorizer_is_its_own_kind_of_event_not_the_http_request_it_guards(
    sample: str, mode: str, stdout_telemetry: StdoutTelemetry
) -> None:
    """Named after the function, SERVER, ``faas.trigger`` ``other``: no route, no HTTP attribute."""
    assert untyped(sample_event(sample), stdout_telemetry) == authorizer_span(AUTHORIZERS[sample])


def test_an_http_api_authorizer_with_payload_1_0_is_an_authorizer(stdout_telemetry: StdoutTelemetry) -> None:
    """Payload 1.0 of an HTTP API authorizer: the REST API input plus ``version``, ``identitySource`` and
    ``authorizationToken`` (API Gateway Developer Guide, ``http-api-lambda-authorizer.html``, tab "1.0")."""
    init_telemetry("authorizer-scheduler")
    event = sample_event("apigateway-authorizer-request-v1") | {
        "version": "1.0",
        "identitySource": "user1,123",
        "authorizationToken": "user1,123",
    }
    assert untyped(event, stdout_telemetry) == authorizer_span("REQUEST")


@pytest.mark.parametrize("sample", ["apigateway-authorizer-request-v1", "apigateway-authorizer-request-v2"])
def test_a_request_authorizer_is_a_child_of_the_context_in_the_callers_headers(
    sample: str, stdout_telemetry: StdoutTelemetry
) -> None:
    init_telemetry("authorizer-scheduler")
    event = sample_event(sample)
    event["headers"]["traceparent"] = TRACEPARENT

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> None:
        return None

    span, trace_id = span_of(handler, event, stdout_telemetry)
    assert (span, trace_id) == (authorizer_span("REQUEST", parent=PARENT), TRACE)


def test_a_rest_request_authorizer_reads_a_traceparent_sent_only_in_multi_value_headers(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    """Real REST API ``REQUEST`` authorizer input carries ``multiValueHeaders`` beside ``headers``."""
    init_telemetry("authorizer-scheduler")
    event = sample_event("apigateway-authorizer-request-v1")
    event["headers"] = {}
    event["multiValueHeaders"] = {"traceparent": [TRACEPARENT]}
    assert untyped(event, stdout_telemetry)["parent"] == PARENT


def test_a_token_authorizer_has_no_carrier_and_starts_a_trace(stdout_telemetry: StdoutTelemetry) -> None:
    """A ``TOKEN`` authorizer receives the token alone; a stray ``headers`` key is not read as a carrier."""
    init_telemetry("authorizer-scheduler")
    event = sample_event("apigateway-authorizer-token") | {"headers": {"traceparent": TRACEPARENT}}
    assert untyped(event, stdout_telemetry) == authorizer_span("TOKEN")


@pytest.mark.parametrize(
    "response",
    [
        pytest.param({"isAuthorized": False, "context": {"exampleKey": "exampleValue"}}, id="simple response"),
        pytest.param(
            {
                "principalId": "abcdef",
                "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": "*"}],
                },
            },
            id="IAM policy",
        ),
        pytest.param({"statusCode": 500}, id="a statusCode means nothing to an authorizer"),
    ],
)
def test_an_authorizers_response_sets_no_http_status(response: object, stdout_telemetry: StdoutTelemetry) -> None:
    init_telemetry("authorizer-scheduler")
    span = untyped(sample_event("apigateway-authorizer-request-v2"), stdout_telemetry, response)
    assert span == authorizer_span("REQUEST")


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"type": "REQUEST", "headers": {}}, id="REQUEST without methodArn or routeArn"),
        pytest.param({"type": "JWT", "methodArn": "arn:aws:execute-api:x"}, id="another type"),
        pytest.param({"type": ["TOKEN"], "methodArn": "arn"}, id="a type that is not a string"),
    ],
)
def test_an_event_not_shaped_as_an_authorizers_is_not_one(event: dict[str, Any]) -> None:
    from lambda_otel_lite.sources import detect_source

    assert detect_source(event).key == "other"


def test_the_authorizer_source_is_imported_at_its_first_event_only() -> None:
    code = (
        "import json, sys; import lambda_otel_lite as l; l.init_telemetry('t'); "
        "from lambda_otel_lite.sources import detect_source; "
        "before = 'lambda_otel_lite.sources.authorizer' in sys.modules; "
        "detect_source({'type': 'TOKEN', 'authorizationToken': 't', 'methodArn': 'arn'}); "
        "print(json.dumps([before, 'lambda_otel_lite.sources.authorizer' in sys.modules]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(result.stdout.splitlines()[-1]) == [False, True]


# --- EventBridge Scheduler --------------------------------------------------------------------------


SCHEDULER_SPAN: dict[str, Any] = {
    "name": FUNCTION,
    "kind": "SERVER",
    "status": "UNSET",
    "status_message": "",
    "parent": None,
    "attributes": {"faas.trigger": "timer", "faas.time": "2022-03-22T18:59:43Z"},
    "links": [],
    "events": [],
}


def test_an_eventbridge_scheduler_event_is_a_timer(mode: str, stdout_telemetry: StdoutTelemetry) -> None:
    assert untyped(sample_event("eventbridge-scheduler"), stdout_telemetry) == SCHEDULER_SPAN


class _Job(BaseModel):
    job: str = "nightly"


@pytest.mark.parametrize(
    "model",
    [EventBridgeEvent, EventBridgeEvent[dict[str, Any]], EventBridgeEvent[_Job]],
    ids=["EventBridgeEvent", "EventBridgeEvent[dict]", "EventBridgeEvent[model]"],
)
def test_a_typed_handler_gets_the_scheduler_event_with_its_detail_decoded(
    model: Any, stdout_telemetry: StdoutTelemetry
) -> None:
    init_telemetry("authorizer-scheduler")
    span, received = typed(model, sample_event("eventbridge-scheduler"), stdout_telemetry)
    assert span == SCHEDULER_SPAN
    (event,) = received
    assert isinstance(event, model)
    assert event.detail in ({}, _Job())
    assert event.model_dump(by_alias=True, exclude_unset=True) == sample_event("eventbridge-scheduler")


def test_a_scheduler_event_whose_detail_string_is_not_json_fails_validation_and_is_still_a_timer(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    init_telemetry("authorizer-scheduler")
    event = sample_event("eventbridge-scheduler") | {"detail": "not json"}
    calls: list[object] = []

    @instrumented
    def handler(event: EventBridgeEvent[dict[str, Any]], context: Any) -> None:
        calls.append(event)

    with pytest.raises(EventValidationError, match="detail: Value error, a string detail must be JSON") as caught:
        handler(cast("Any", event), CONTEXT)  # Lambda passes the raw dict
    assert (caught.value.errors[0][:2], calls) == (("detail", "not json"), [])
    (span,) = stdout_telemetry.spans()
    assert (span.status, span.attributes["faas.trigger"], span.attributes["faas.time"]) == (
        "ERROR",
        "timer",
        "2022-03-22T18:59:43Z",
    )


# --- custom EventBridge events ----------------------------------------------------------------------


CUSTOM_SPAN: dict[str, Any] = {
    "name": "process com.mycompany.myapp",
    "kind": "CONSUMER",
    "status": "UNSET",
    "status_message": "",
    "parent": None,
    "attributes": {
        "faas.trigger": "pubsub",
        "messaging.system": "aws.eventbridge",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "cloudevents.event_source": "com.mycompany.myapp",
        "cloudevents.event_type": "myDetailType",
        "cloudevents.event_id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    },
    "links": [],
    "events": [],
}


def test_a_custom_eventbridge_event_has_the_same_messaging_attributes_in_every_naming_mode(
    mode: str, stdout_telemetry: StdoutTelemetry
) -> None:
    """``messaging.system`` ``aws.eventbridge``, operation ``process``, never ``messaging.operation``."""
    assert untyped(sample_event("eventbridge"), stdout_telemetry) == CUSTOM_SPAN


def test_a_typed_handler_gets_the_custom_eventbridge_span_of_the_untyped_one(
    mode: str, stdout_telemetry: StdoutTelemetry
) -> None:
    span, received = typed(EventBridgeEvent[dict[str, Any]], sample_event("eventbridge"), stdout_telemetry)
    assert span == CUSTOM_SPAN
    assert isinstance(received[0], EventBridgeEvent)


def test_a_custom_event_with_a_json_string_detail_is_still_pubsub(stdout_telemetry: StdoutTelemetry) -> None:
    init_telemetry("authorizer-scheduler")
    event = sample_event("eventbridge") | {"detail": json.dumps({"key1": "value1"})}
    span, received = typed(EventBridgeEvent[dict[str, Any]], event, stdout_telemetry)
    assert span == CUSTOM_SPAN
    assert cast("EventBridgeEvent[dict[str, Any]]", received[0]).detail == {"key1": "value1"}


def test_an_eventbridge_event_without_a_source_is_named_process(stdout_telemetry: StdoutTelemetry) -> None:
    init_telemetry("authorizer-scheduler")
    event = sample_event("eventbridge") | {"source": ""}
    span = untyped(event, stdout_telemetry)
    expected = copy.deepcopy(CUSTOM_SPAN)
    expected["name"] = "process"
    del expected["attributes"]["cloudevents.event_source"]
    assert span == expected


# --- fuzzed --------------------------------------------------------------------------------------


NEW_SAMPLES = [*AUTHORIZERS, "eventbridge-scheduler"]


@FUZZ
@given(event=st.one_of(NON_DICT, JSON, *(mutated(sample) for sample in NEW_SAMPLES)))
def test_an_untyped_handler_over_fuzzed_authorizer_and_scheduler_events_runs_and_exports_one_span(
    event: Any, stdout_telemetry: StdoutTelemetry
) -> None:
    tracer, provider = init_telemetry("fuzz")
    calls: list[Any] = []

    @instrumented(tracer=tracer, tracer_provider=provider)
    def handler(event: Any, context: Any) -> Any:
        calls.append(event)
        return event

    assert handler(copy.deepcopy(event), LambdaContext()) == event
    assert len(calls) == 1
    assert_one_exported_invocation(stdout_telemetry)


@FUZZ
@given(event=st.one_of(mutated("eventbridge-scheduler"), st.builds(lambda s: {"detail": s}, st.text(max_size=20))))
def test_a_typed_handler_over_fuzzed_scheduler_events_runs_or_gets_a_validation_error_naming_the_field(
    event: Any, stdout_telemetry: StdoutTelemetry
) -> None:
    tracer, provider = init_telemetry("fuzz")
    calls: list[Any] = []

    @instrumented(tracer=tracer, tracer_provider=provider)
    def handler(event: EventBridgeEvent[dict[str, Any]], context: Any) -> None:
        calls.append(event)

    error: EventValidationError | None = None
    try:
        handler(copy.deepcopy(event), LambdaContext())
    except EventValidationError as caught:
        error = caught
    if error is None:
        assert len(calls) == 1
    else:
        assert calls == []
        assert error.errors
        assert all(path for path, _, _ in error.errors)
    assert_one_exported_invocation(stdout_telemetry)
