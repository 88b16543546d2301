"""Every example under examples/ runs in the local Lambda and exports the spans its README describes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambda_otel_lite.local.decode import DecodedSpan, decode_lines
from lambda_otel_lite.local.runtime import LocalRuntime

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def run(example: str, module: str, mode: str = "sync", times: int = 1) -> tuple[list[object], list[DecodedSpan]]:
    event = json.loads((EXAMPLES / example / "event.json").read_text())
    env: dict[str, str | None] = {"LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": mode}
    with LocalRuntime(f"{EXAMPLES / example / module}.py:handler", env=env) as local:
        responses = [local.invoke(event).response_json() for _ in range(times)]
        assert local.shutdown() in (0, -9)
        spans, errors = decode_lines(local.stdout_lines())
    assert errors == []
    return responses, spans


def function_name(example: str, module: str) -> str:
    """The Lambda function name the local runtime gives ``<example>/<module>.py:handler`` (the module's name).

    An invocation span with no name of its own (no HTTP route, no messaging destination) is named after it.
    """
    return LocalRuntime(f"{EXAMPLES / example / module}.py:handler").function_name


def tree(spans: list[DecodedSpan]) -> list[tuple[str, str, str | None]]:
    """(name, kind, parent name or the caller's span id) per span, sorted."""
    names = {span.span_id: span.name for span in spans}
    return sorted((span.name, span.kind, names.get(span.parent_span_id or "", span.parent_span_id)) for span in spans)


def test_the_http_api_example_traces_a_route_with_a_child_span_in_async_mode() -> None:
    responses, spans = run("orders_api", "orders", mode="async", times=2)
    assert [response["statusCode"] for response in responses] == [200, 200]  # type: ignore[index]
    assert (
        tree(spans)
        == [("GET /orders/{id}", "SERVER", "b7ad6b7169203331")] * 2
        + [("load_order", "INTERNAL", "GET /orders/{id}")] * 2
    )
    assert {span.attributes.get("http.route") for span in spans if span.kind == "SERVER"} == {"/orders/{id}"}


@pytest.mark.parametrize(
    ("example", "module", "name", "status"),
    [
        ("rest_api", "items", "GET /my/path", "UNSET"),
        ("function_url", "echo", "POST", "UNSET"),
        ("alb", "target", "GET", "ERROR"),
    ],
)
def test_each_http_example_is_one_server_span_parented_on_the_callers_traceparent(
    example: str, module: str, name: str, status: str
) -> None:
    _, spans = run(example, module)
    (span,) = spans
    assert (span.name, span.kind, span.status, span.trace_id) == (name, "SERVER", status, CALLER_TRACE)
    assert span.attributes["faas.trigger"] == "http"


def test_the_sqs_example_is_a_consumer_span_linked_to_each_producer() -> None:
    responses, spans = run("sqs_batch", "batch")
    consumer = next(span for span in spans if span.kind == "CONSUMER")
    # the third message is not JSON: a partial batch response asks SQS to retry only that one
    assert responses == [{"batchItemFailures": [{"itemIdentifier": "059f36b4-87a3-44ab-83d2-661975830002"}]}]
    assert consumer.trace_id not in {link.trace_id for link in consumer.links}
    assert len(consumer.links) == 2
    assert [span.name for span in spans if span.parent_span_id == consumer.span_id] == ["process message"] * 3


def test_the_custom_event_example_uses_its_registered_carrier_extractor() -> None:
    responses, spans = run("custom_event", "orders")
    assert responses == [{"orderId": "A-1001", "status": "accepted"}]
    assert tree(spans) == [
        ("process order", "SERVER", "00f067aa0ba902b7"),
        ("reserve stock", "INTERNAL", "process order"),
    ]
    assert {span.trace_id for span in spans} == {CALLER_TRACE}


def test_the_quickstart_example_is_the_seeds_context_manager_form() -> None:
    responses, spans = run("quickstart", "handler")
    assert responses[0]["statusCode"] == 200  # type: ignore[index]
    (server,) = [span for span in spans if span.kind == "SERVER"]
    assert server.name == "GET /orders/{id}"
    assert [span.name for span in spans if span.parent_span_id == server.span_id] == ["load_order"]
    assert server.attributes["http.status_code"] == 200  # recorded by span.set_response()


def test_the_finalize_example_exports_its_batches_at_shutdown() -> None:
    responses, spans = run("finalize_batch", "report", mode="finalize", times=2)
    assert responses == [{"job": "nightly-report", "rows": 3}] * 2
    name = function_name("finalize_batch", "report")
    assert tree(spans) == sorted([(name, "SERVER", None)] * 2 + [("render row", "INTERNAL", name)] * 6)


def test_the_carrier_function_example_finds_the_context_in_the_events_metadata() -> None:
    responses, spans = run("carriers", "get_carrier")
    assert responses == [{"job": "reindex", "status": "done"}]
    assert tree(spans) == [(function_name("carriers", "get_carrier"), "SERVER", "00f067aa0ba902b7")]
    assert {span.trace_id for span in spans} == {CALLER_TRACE}


@pytest.mark.parametrize(("module", "level"), [("tuned", "INFO"), ("package", None)])
def test_the_exporter_examples_write_the_same_record_with_their_settings(module: str, level: str | None) -> None:
    event = json.loads((EXAMPLES / "exporter" / "event.json").read_text())
    with LocalRuntime(f"{EXAMPLES / 'exporter' / module}.py:handler") as local:
        assert local.invoke(event).response_json() == {"statusCode": 200, "body": "priced"}
        lines = local.stdout_lines()
    spans, errors = decode_lines(lines)
    assert errors == []
    name = function_name("exporter", module)
    assert tree(spans) == sorted([(name, "SERVER", None), ("price order", "INTERNAL", name)])
    (record,) = [json.loads(line) for line in lines if line.startswith('{"__otel_otlp_stdout"')]
    assert record.get("level") == level
    assert record["source"] == module  # the function name the local runtime gives it


@pytest.mark.parametrize("module", ["orders", "manual"])
def test_the_batch_records_examples_give_each_message_a_span_and_report_the_failed_one(module: str) -> None:
    responses, spans = run("batch_records", module)
    failed = "4fa2b6c1-0000-4000-8000-000000000002"  # its body is not JSON
    assert responses == [{"batchItemFailures": [{"itemIdentifier": failed}]}]
    (batch,) = [span for span in spans if "faas.trigger" in span.attributes]
    assert batch.attributes["lambda_otel_lite.batch.failed_count"] == 1
    messages = sorted(
        (span for span in spans if span.parent_span_id == batch.span_id),
        key=lambda span: str(span.attributes["messaging.message.id"]),
    )
    assert [(span.name, span.status) for span in messages] == [
        ("process orders", "UNSET"),
        ("process orders", "UNSET"),
        ("process orders", "ERROR"),
    ]
    assert [(link.trace_id, link.span_id) for link in messages[0].links] == [(CALLER_TRACE, "00f067aa0ba902b7")]
    if module == "orders":
        assert [event.name for event in messages[2].events] == ["exception"]
        saves = [span for span in spans if span.name == "save order"]
        assert sorted(str(span.parent_span_id) for span in saves) == sorted(span.span_id for span in messages[:2])
