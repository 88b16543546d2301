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
from lambda_otel_lite.testing import LambdaContext


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
    tracer, provider = init_telemetry("t", span_processors=[SimpleSpanProcessor(exporter)])
    with traced_handler(tracer, provider, "h") as span:
        span.set_attribute("order.id", 42)
        span.add_event("validated")
        span.set_response({"statusCode": "503"})
        assert span.is_recording()
        assert span.name == "h"  # SDK span members are reachable too
    (finished,) = exporter.get_finished_spans()
    assert finished.attributes is not None
    assert (finished.attributes["order.id"], finished.attributes["http.status_code"]) == (42, 503)
    assert [event.name for event in finished.events] == ["validated"]
    assert (finished.status.status_code, finished.status.description) == (StatusCode.ERROR, "HTTP status code 503")


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
    with traced_handler(tracer, provider, "h", kind=kind) as span:
        span.set_response({"statusCode": code})
    assert exporter.get_finished_spans()[0].status.status_code is status


def test_an_exception_is_recorded_with_status_error_and_reraised_unchanged(exporter: InMemorySpanExporter) -> None:
    tracer, provider = init_telemetry("t", span_processors=[SimpleSpanProcessor(exporter)])
    error = KeyError("order")
    with pytest.raises(KeyError) as raised, traced_handler(tracer, provider, "h"):
        raise error
    assert raised.value is error
    (span,) = exporter.get_finished_spans()
    assert (span.status.status_code, span.status.description) == (StatusCode.ERROR, "KeyError: 'order'")
    assert [(e.name, (e.attributes or {}).get("exception.type")) for e in span.events] == [("exception", "KeyError")]
