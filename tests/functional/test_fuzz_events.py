"""Fuzzed events into decorated handlers: nothing but EventValidationError, and one span each time.

Bounded for CI by the default ``ci`` profile; ``pytest --hypothesis-profile=long`` searches deeper.
"""

from __future__ import annotations

import copy
import json
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_otel_lite import EventValidationError, init_telemetry, instrumented
from lambda_otel_lite.events import (
    ALBEvent,
    APIGatewayProxyEvent,
    APIGatewayProxyEventV2,
    DynamoDBStreamEvent,
    EventBridgeEvent,
    KinesisStreamEvent,
    LambdaFunctionUrlEvent,
    S3Event,
    S3EventBridgeDetail,
    SNSEvent,
    SQSEvent,
)
from lambda_otel_lite.testing import LambdaContext, sample_event
from tests.support import StdoutTelemetry

# Any Unicode, lone surrogates included: what a JSON parser can hand over ("\udcff" is valid JSON).
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=30)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4),
    max_leaves=12,
)
NON_DICT = st.none() | st.integers() | ANY_TEXT | st.binary(max_size=20) | st.lists(JSON, max_size=3)

MODELS: dict[str, tuple[type, str]] = {
    "apigateway-rest-v1": (APIGatewayProxyEvent, "apigateway-rest-v1"),
    "apigateway-http-v2": (APIGatewayProxyEventV2, "apigateway-http-v2"),
    "function-url": (LambdaFunctionUrlEvent, "function-url"),
    "alb": (ALBEvent, "alb"),
    "sqs": (SQSEvent, "sqs"),
    "sqs-sns": (SQSEvent, "sqs-sns"),
    "sqs-s3": (SQSEvent, "sqs-s3"),
    "sns": (SNSEvent, "sns"),
    "eventbridge": (EventBridgeEvent, "eventbridge"),
    "eventbridge-scheduled": (EventBridgeEvent, "eventbridge-scheduled"),
    "eventbridge-scheduler": (EventBridgeEvent, "eventbridge-scheduler"),
    "eventbridge-s3": (EventBridgeEvent[S3EventBridgeDetail], "eventbridge-s3"),
    "kinesis": (KinesisStreamEvent, "kinesis"),
    "dynamodb": (DynamoDBStreamEvent, "dynamodb"),
    "s3": (S3Event, "s3"),
}


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into a JSON document."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in items:
        found.append((*prefix, key))
        found += paths(child, (*prefix, key))
    return found


@st.composite
def mutated(draw: st.DrawFn, name: str) -> Any:
    """The AWS sample event *name* with some fields deleted, nulled or replaced by random JSON."""
    event = sample_event(name)
    for _ in range(draw(st.integers(1, 4))):
        targets = paths(event)
        if not targets:
            break
        path = draw(st.sampled_from(targets))
        parent = event
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["delete", "null", "retype"]))
        if action == "delete":
            del parent[path[-1]]
        else:
            parent[path[-1]] = None if action == "null" else draw(JSON)
    return event


def assert_one_exported_invocation(stdout_telemetry: StdoutTelemetry, name: str | None = None) -> None:
    spans = stdout_telemetry.spans()
    roots = [span for span in spans if span.attributes.get("faas.invocation_id")]
    assert len(roots) == 1, [span.name for span in spans]


# How many examples: the "ci" profile (tests/conftest.py), or --hypothesis-profile=long.
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("name", MODELS)
@FUZZ
@given(data=st.data())
def test_a_typed_handler_runs_or_gets_a_validation_error_naming_the_field(
    name: str, data: st.DataObject, stdout_telemetry: StdoutTelemetry
) -> None:
    model, sample = MODELS[name]
    event = data.draw(st.one_of(mutated(sample), NON_DICT, JSON), label="event")
    tracer, provider = init_telemetry("fuzz")
    calls: list[Any] = []

    def run(event: Any, context: Any) -> dict[str, Any]:
        calls.append(event)
        return {"statusCode": 200}

    run.__annotations__["event"] = model  # the model varies by parameter: annotate at run time
    handler = instrumented(tracer=tracer, tracer_provider=provider)(run)

    stdout_telemetry.spans()  # nothing before
    error: EventValidationError | None = None
    try:
        handler(copy.deepcopy(event), LambdaContext())
    except EventValidationError as caught:
        error = caught
    if error is None:
        assert len(calls) == 1
    else:
        assert (error.model, calls) == (model.__name__, [])
        assert error.errors
        assert all(path for path, _, _ in error.errors)  # every problem names its field
    assert_one_exported_invocation(stdout_telemetry)


@FUZZ
@given(event=st.one_of(NON_DICT, JSON, *(mutated(sample) for _, sample in MODELS.values())))
def test_an_untyped_handler_always_runs_and_exports_one_invocation_span(
    event: Any, stdout_telemetry: StdoutTelemetry
) -> None:
    tracer, provider = init_telemetry("fuzz")
    calls: list[Any] = []

    @instrumented(tracer=tracer, tracer_provider=provider)
    def handler(event: dict[str, Any], context: Any) -> Any:
        calls.append(event)
        return event

    assert handler(copy.deepcopy(event), LambdaContext()) == event
    assert len(calls) == 1
    assert_one_exported_invocation(stdout_telemetry)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda e: e.update(body="x" * 1_000_000), id="1 MB body"),
        pytest.param(lambda e: e.update(headers={f"x-h{i}": "v" * 20 for i in range(10_000)}), id="10k headers"),
        pytest.param(lambda e: e.update(body="\udcff\ud800 invalid UTF-8"), id="lone surrogates in the body"),
        pytest.param(
            lambda e: e["headers"].update(
                {"user-agent": "\udcff", "host": "\ud800.example", "x-forwarded-for": "\udc80"}
            ),
            id="lone surrogates in attribute-bearing headers",
        ),
    ],
)
def test_huge_and_unencodable_http_events_still_export_their_span(
    build: Any, stdout_telemetry: StdoutTelemetry
) -> None:
    event = sample_event("apigateway-http-v2")
    build(event)
    tracer, provider = init_telemetry("fuzz")

    @instrumented(tracer=tracer, tracer_provider=provider)
    def handler(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
        return {"statusCode": 200, "body": json.dumps(len(event.body or ""))}

    assert handler(cast("Any", event), LambdaContext())["statusCode"] == 200  # Lambda passes the raw dict
    assert_one_exported_invocation(stdout_telemetry)


@pytest.mark.parametrize("event", [None, [], "event", 7], ids=["None", "list", "str", "int"])
def test_regression_a_typed_http_handler_given_a_non_dict_event_reports_validation_not_an_internal_error(
    event: Any, stdout_telemetry: StdoutTelemetry
) -> None:
    """Found by the fuzzer: the HTTP source's attribute code ran on a non-dict event and raised."""
    tracer, provider = init_telemetry("fuzz")

    @instrumented(tracer=tracer, tracer_provider=provider)
    def handler(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    with pytest.raises(EventValidationError, match="event does not match APIGatewayProxyEventV2"):
        handler(event, LambdaContext())
    (span,) = stdout_telemetry.spans()
    assert (span.status, span.attributes["faas.trigger"]) == ("ERROR", "other")
