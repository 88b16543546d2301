"""Per-invocation attributes of traced_handler: FaaS context, cold start, caller attributes."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from lambda_otel_lite import init_telemetry, traced_handler
from lambda_otel_lite.testing import LambdaContext, sample_event


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def invoke(
    exporter: InMemorySpanExporter, event: object = None, context: object = None, **kwargs: Any
) -> dict[str, Any]:
    tracer, provider = init_telemetry("t", span_processors=[SimpleSpanProcessor(exporter)])
    exporter.clear()
    with traced_handler(tracer, provider, "handler", event, context, **kwargs):
        pass
    (span,) = exporter.get_finished_spans()
    return dict(span.attributes or {})


def test_context_gives_invocation_id_account_and_resource_with_the_alias_resolved(
    exporter: InMemorySpanExporter,
) -> None:
    context = LambdaContext(
        aws_request_id="r-1",
        function_version="12",
        invoked_function_arn="arn:aws:lambda:us-east-1:210987654321:function:orders:live",
    )
    assert invoke(exporter, {}, context) == {
        "faas.trigger": "other",
        "faas.invocation_id": "r-1",
        "cloud.account.id": "210987654321",
        "cloud.resource_id": "arn:aws:lambda:us-east-1:210987654321:function:orders:12",
        "aws.lambda.invoked_arn": "arn:aws:lambda:us-east-1:210987654321:function:orders:live",
        "faas.cold_start": True,
    }


def test_an_unqualified_arn_is_the_resource_id_as_is(exporter: InMemorySpanExporter) -> None:
    arn = "arn:aws:lambda:us-east-1:210987654321:function:orders"
    attributes = invoke(exporter, {}, LambdaContext(invoked_function_arn=arn))
    assert attributes["cloud.resource_id"] == arn


@pytest.mark.parametrize("arn", ["not-an-arn", "arn:aws:s3:::bucket", "arn:aws:lambda:us-east-1:1:layer:x:1"])
def test_an_invalid_arn_sets_no_cloud_ids_and_warns_once(
    arn: str, exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    tracer, provider = init_telemetry("t", span_processors=[SimpleSpanProcessor(exporter)])
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            with traced_handler(tracer, provider, "handler", {}, LambdaContext(invoked_function_arn=arn)):
                pass
    attributes, attributes_again = (dict(span.attributes or {}) for span in exporter.get_finished_spans())
    assert "cloud.account.id" not in attributes
    assert "cloud.resource_id" not in attributes_again
    assert len([r for r in caplog.records if "not a Lambda function ARN" in r.getMessage()]) == 1


@pytest.mark.parametrize(
    "context", [object(), SimpleNamespace(aws_request_id=None, invoked_function_arn=42), "context"]
)
def test_a_context_missing_fields_gives_just_the_trigger(context: object, exporter: InMemorySpanExporter) -> None:
    assert invoke(exporter, {}, context) == {"faas.trigger": "other", "faas.cold_start": True}


def test_cold_start_is_marked_on_the_first_invocation_only(exporter: InMemorySpanExporter) -> None:
    tracer, provider = init_telemetry("t", span_processors=[SimpleSpanProcessor(exporter)])
    for _ in range(3):
        with traced_handler(tracer, provider, "handler"):
            pass
    marks = [
        span.attributes.get("faas.cold_start") if span.attributes else None for span in exporter.get_finished_spans()
    ]
    assert marks == [True, None, None]


def test_provisioned_concurrency_marks_no_cold_start(
    exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency")
    assert "faas.cold_start" not in invoke(exporter)


def test_stable_semconv_names_the_cold_start_faas_coldstart(
    exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    assert invoke(exporter)["faas.coldstart"] is True


def test_caller_attributes_merge_and_override_automatic_ones(exporter: InMemorySpanExporter) -> None:
    attributes = invoke(exporter, {}, None, attributes={"faas.trigger": "datasource", "team": "orders"})
    assert attributes == {"faas.trigger": "datasource", "team": "orders", "faas.cold_start": True}


def test_kind_links_and_start_time_are_passed_to_the_span(exporter: InMemorySpanExporter) -> None:
    tracer, provider = init_telemetry("t", span_processors=[SimpleSpanProcessor(exporter)])
    with tracer.start_as_current_span("other") as other:
        linked = other.get_span_context()
    from opentelemetry.trace import Link

    with traced_handler(tracer, provider, "h", kind=SpanKind.CONSUMER, links=[Link(linked)], start_time=1_000):
        pass
    span = exporter.get_finished_spans()[-1]
    assert (span.kind, [link.context for link in span.links], span.start_time) == (SpanKind.CONSUMER, [linked], 1_000)


def test_the_yielded_span_records_responses_and_acts_as_the_span(exporter: InMemorySpanExporter) -> None:
    """A 5xx of an HTTP request: ERROR with no description (the status code tells the reason) and
    ``error.type`` the status code (docs/http/http-spans.md, "Status", v1.44.0)."""
    tracer, provider = init_telemetry("t", span_processors=[SimpleSpanProcessor(exporter)])
    with traced_handler(tracer, provider, "h", event=sample_event("apigateway-http-v2")) as span:
        span.set_attribute("order.id", 42)
        span.add_event("validated")
        span.set_response({"statusCode": "503"})
        assert span.is_recording()
        assert span.name == "h"  # SDK span members are reachable too
    (finished,) = exporter.get_finished_spans()
    assert finished.attributes is not None
    assert (finished.attributes["order.id"], finished.attributes["http.status_code"]) == (42, 503)
    assert finished.attributes["error.type"] == "503"
    assert [event.name for event in finished.events] == ["validated"]
    assert (finished.status.status_code, finished.status.description) == (StatusCode.ERROR, None)


@pytest.mark.parametrize("event", [None, {"detail": 1}, "sqs", "sns", "s3", "kinesis", "dynamodb", "eventbridge"])
def test_a_status_code_returned_for_any_other_trigger_is_ignored(event: Any, exporter: InMemorySpanExporter) -> None:
    """Only HTTP requests have an HTTP status: the Lambda console's default template returns
    ``{"statusCode": 200}`` from every function, and a 500 from an SQS handler means nothing to Lambda."""
    tracer, provider = init_telemetry("t", span_processors=[SimpleSpanProcessor(exporter)])
    with traced_handler(tracer, provider, "h", event=sample_event(event) if isinstance(event, str) else event) as span:
        span.set_response({"statusCode": 500})
    (finished,) = exporter.get_finished_spans()
    attributes = dict(finished.attributes or {})
    assert finished.status.status_code is StatusCode.UNSET
    assert {"http.status_code", "http.response.status_code", "error.type"} & set(attributes) == set()


@pytest.mark.parametrize(
    ("code", "kind", "status"),
    [
        (404, SpanKind.SERVER, StatusCode.UNSET),
        (404, SpanKind.CLIENT, StatusCode.ERROR),
        (200, SpanKind.SERVER, StatusCode.UNSET),
    ],
)
def test_4xx_is_an_error_only_on_client_spans(
    code: int, kind: SpanKind, status: StatusCode, exporter: InMemorySpanExporter
) -> None:
    tracer, provider = init_telemetry("t", span_processors=[SimpleSpanProcessor(exporter)])
    with traced_handler(tracer, provider, "h", kind=kind, event=sample_event("apigateway-rest-v1")) as span:
        span.set_response({"statusCode": code})
    (finished,) = exporter.get_finished_spans()
    assert finished.status.status_code is status
    assert (finished.attributes or {}).get("error.type") == (str(code) if status is StatusCode.ERROR else None)


def test_an_exception_is_recorded_with_status_error_and_reraised_unchanged(exporter: InMemorySpanExporter) -> None:
    tracer, provider = init_telemetry("t", span_processors=[SimpleSpanProcessor(exporter)])
    error = KeyError("order")
    with pytest.raises(KeyError) as raised, traced_handler(tracer, provider, "h"):
        raise error
    assert raised.value is error
    (span,) = exporter.get_finished_spans()
    # docs/general/recording-errors.md (v1.44.0): the description is the message, error.type the class
    assert (span.status.status_code, span.status.description) == (StatusCode.ERROR, "'order'")
    assert (span.attributes or {})["error.type"] == "KeyError"
    assert [(e.name, (e.attributes or {}).get("exception.type")) for e in span.events] == [("exception", "KeyError")]


class OutOfStock(Exception):
    pass


def test_error_type_is_the_canonical_class_name_of_the_exception(exporter: InMemorySpanExporter) -> None:
    """``model/error/registry.yaml`` (v1.44.0): "its canonical class name identifying the type within
    the artifact SHOULD be used"; builtins need no module."""
    tracer, provider = init_telemetry("t", span_processors=[SimpleSpanProcessor(exporter)])
    with pytest.raises(OutOfStock), traced_handler(tracer, provider, "h"):
        raise OutOfStock
    (span,) = exporter.get_finished_spans()
    assert (span.attributes or {})["error.type"] == f"{__name__}.OutOfStock"
    assert (span.status.status_code, span.status.description) == (StatusCode.ERROR, None)
