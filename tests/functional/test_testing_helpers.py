"""The helpers users test their handlers with: the pytest plugin's fixtures and what they wrap."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.trace import StatusCode

from lambda_otel_lite import init_telemetry, instrumented
from lambda_otel_lite.events import APIGatewayProxyEventV2
from lambda_otel_lite.testing import LambdaContext, SpanCapture, capture_spans, sample_event, sample_event_names

pytest_plugins = ["pytester"]


def test_the_plugin_captures_a_decorated_handlers_span_with_its_attributes(
    span_capture: SpanCapture, lambda_context: LambdaContext, sample_event: Any
) -> None:
    @instrumented
    def handler(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
        return {"statusCode": 503}

    handler(sample_event("apigateway-http-v2"), lambda_context)
    span = span_capture.one("POST")  # the sample's route is $default: the span is named after the method
    assert span.attributes is not None
    assert span.attributes["faas.invocation_id"] == lambda_context.aws_request_id
    assert span.attributes["http.status_code"] == 503
    assert span.status.status_code is StatusCode.ERROR


def test_a_capture_joins_providers_created_after_it_started_and_stops_at_its_end() -> None:
    tracer, _ = init_telemetry("first")
    with capture_spans() as capture:
        with tracer.start_as_current_span("before re-init"):
            pass
        tracer, _ = init_telemetry("second")  # e.g. a handler module imported inside the test
        with tracer.start_as_current_span("after re-init"):
            pass
    with tracer.start_as_current_span("after the capture"):
        pass
    assert capture.names() == ["before re-init", "after re-init"]


def test_one_names_what_was_captured_when_the_span_is_not_there_exactly_once() -> None:
    tracer, _ = init_telemetry("t")
    with capture_spans() as capture:
        for _ in range(2):
            with tracer.start_as_current_span("twice"):
                pass
    with pytest.raises(AssertionError, match=r"expected one span named 'twice', found 2 among \['twice', 'twice'\]"):
        capture.one("twice")
    capture.clear()
    assert capture.spans == []


def test_every_sample_event_loads_and_an_unknown_name_lists_the_known_ones() -> None:
    names = sample_event_names()
    assert names == [
        "alb",
        "alb-multi-value",
        "apigateway-authorizer-request-v1",
        "apigateway-authorizer-request-v2",
        "apigateway-authorizer-token",
        "apigateway-http-v2",
        "apigateway-rest-v1",
        "dynamodb",
        "eventbridge",
        "eventbridge-s3",
        "eventbridge-scheduled",
        "eventbridge-scheduler",
        "function-url",
        "kinesis",
        "s3",
        "sns",
        "sqs",
        "sqs-s3",
        "sqs-sns",
    ]
    assert all(isinstance(sample_event(name), dict) for name in names)
    assert sample_event("sqs") is not sample_event("sqs")  # a fresh copy each time
    with pytest.raises(ValueError, match=r"no sample event named 'kafka'; there are: alb, alb-multi-value, "):
        sample_event("kafka")


def test_the_context_factory_is_consistent_with_its_overrides() -> None:
    context = LambdaContext(function_name="orders", region="eu-west-1", account_id="111122223333")
    assert context.invoked_function_arn == "arn:aws:lambda:eu-west-1:111122223333:function:orders"
    assert context.log_group_name == "/aws/lambda/orders"
    assert 0 < context.get_remaining_time_in_millis() <= 3000


def test_the_fresh_lambda_fixture_makes_every_test_start_cold(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from lambda_otel_lite import instrumented
        from lambda_otel_lite.testing import LambdaContext

        @instrumented
        def handler(event, context):
            return {"statusCode": 200}

        def cold(span_capture):
            handler({}, LambdaContext())
            return span_capture.spans[-1].attributes.get("faas.cold_start")

        def test_a_first_invocation_is_cold(span_capture):
            assert cold(span_capture) is True

        def test_without_the_fixture_the_next_test_is_warm(span_capture):
            assert cold(span_capture) is None

        def test_with_the_fixture_it_is_cold_again(fresh_lambda, span_capture):
            assert cold(span_capture) is True
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "-q")
    result.assert_outcomes(passed=3)
