"""Carriers of records: a registered record carrier extractor (the record's data, an SQS body)
before the built-in carriers, for the record spans and the batch span's links; the producer's
baggage current in each record's block; a batch over the span link limit. Spans decoded from stdout.
"""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import logging
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from opentelemetry import baggage
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from lambda_otel_lite import (
    StdoutSpanExporter,
    init_telemetry,
    instrumented,
    json_record_carrier,
    process_records,
    register_record_carrier_extractor,
    traced_handler,
    traced_records,
)
from lambda_otel_lite.events import KinesisStreamEvent, KinesisStreamRecord, SQSEvent
from lambda_otel_lite.local.decode import DecodedSpan
from lambda_otel_lite.testing import LambdaContext, sample_event
from tests.support import StdoutTelemetry

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "record_carriers"
CONTEXT = LambdaContext(aws_request_id="r-1")
A = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
B = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
C = ("5c1f1e2d3a4b5c6d7e8f901234567890", "1122334455667788")
Producer = tuple[str, str]


def traceparent(producer: Producer) -> str:
    return f"00-{producer[0]}-{producer[1]}-01"


def nth(index: int) -> Producer:
    """A distinct producer for record *index*."""
    return f"{index + 1:032x}", f"{index + 1:016x}"


def links(span: DecodedSpan) -> list[Producer]:
    return [(link.trace_id, link.span_id) for link in span.links]


def split(spans: list[DecodedSpan]) -> tuple[DecodedSpan, list[DecodedSpan]]:
    """The batch (invocation) span, and the record spans in the order they started."""
    (batch,) = [span for span in spans if "faas.trigger" in span.attributes]
    records = sorted((span for span in spans if span is not batch), key=lambda span: span.start_time_unix_nano)
    return batch, records


def linked(spans: list[DecodedSpan]) -> dict[str, Any]:
    """What the batch span and each record span link, as one structure."""
    batch, records = split(spans)
    return {"batch": links(batch), "records": [links(span) for span in records]}


def kinesis_batch(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """AWS's Kinesis sample with one record per payload, its data the payload as base64 JSON."""
    event = sample_event("kinesis")
    template = event["Records"][0]
    event["Records"] = []
    for index, payload in enumerate(payloads):
        record = copy.deepcopy(template)
        record["kinesis"]["sequenceNumber"] = f"4959033827149025660855969253836157109592157598913658889{index}"
        record["kinesis"]["data"] = base64.b64encode(json.dumps(payload).encode()).decode()
        event["Records"].append(record)
    return event


def attribute(value: str) -> dict[str, Any]:
    """An SQS message attribute as Lambda delivers it."""
    return {"stringValue": value, "stringListValues": [], "binaryListValues": [], "dataType": "String"}


def sqs_batch(messages: list[tuple[str, dict[str, str]]]) -> dict[str, Any]:
    """AWS's SQS sample with one record per (body, message attributes)."""
    event = sample_event("sqs")
    template = event["Records"][0]
    event["Records"] = []
    for index, (body, attributes) in enumerate(messages):
        record = copy.deepcopy(template)
        record["messageId"] = f"m-{index}"
        record["body"] = body
        record["messageAttributes"] = {name: attribute(value) for name, value in attributes.items()}
        event["Records"].append(record)
    return event


def in_body(producer: Producer, **fields: Any) -> str:
    return json.dumps({"trace": {"traceparent": traceparent(producer)}, **fields})


def warnings_of(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and text in r.getMessage()]


@pytest.fixture
def telemetry() -> None:
    init_telemetry("record-carriers")


# --- the hook ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("telemetry")
@pytest.mark.parametrize("face", ["typed process_records", "raw traced_records"])
def test_a_registered_extractor_finds_the_context_in_kinesis_data_for_record_spans_and_batch_links(
    face: str, stdout_telemetry: StdoutTelemetry
) -> None:
    register_record_carrier_extractor("kinesis", json_record_carrier("trace"))
    event = kinesis_batch(
        [
            {"n": 0, "trace": {"traceparent": traceparent(A)}},
            {"n": 1},
            {"n": 2, "trace": {"traceparent": traceparent(B)}},
        ]
    )
    seen: list[int] = []

    @instrumented
    def typed(event: KinesisStreamEvent, context: Any) -> dict[str, Any]:
        def handle(record: KinesisStreamRecord) -> None:
            seen.append(json.loads(record.kinesis.decoded_text)["n"])

        return process_records(event, handle)

    @instrumented
    def raw(event: dict[str, Any], context: Any) -> None:
        for record, span in traced_records(event):
            with span:
                seen.append(json.loads(base64.b64decode(record["kinesis"]["data"]))["n"])

    if face.startswith("typed"):
        typed(event, CONTEXT)  # type: ignore[arg-type]  # Lambda passes the raw event; the decorator validates it
    else:
        raw(event, CONTEXT)
    assert seen == [0, 1, 2]
    assert linked(stdout_telemetry.spans()) == {"batch": [A, B], "records": [[A], [], [B]]}


@pytest.mark.usefixtures("telemetry")
def test_a_registered_extractor_reads_an_sqs_message_body(stdout_telemetry: StdoutTelemetry) -> None:
    register_record_carrier_extractor("sqs", json_record_carrier())  # the body is the carrier itself
    event = sqs_batch([(json.dumps({"traceparent": traceparent(A), "order": 1}), {}), ('{"order": 2}', {})])

    @instrumented
    def handler(event: SQSEvent, context: Any) -> dict[str, Any]:
        return process_records(event, lambda record: None)

    assert handler(event, CONTEXT) == {"batchItemFailures": []}  # type: ignore[arg-type]
    assert linked(stdout_telemetry.spans()) == {"batch": [A], "records": [[A], []]}


@pytest.mark.usefixtures("telemetry")
def test_the_extractor_comes_before_the_message_attributes_which_serve_the_records_it_finds_nothing_in(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    register_record_carrier_extractor("sqs", json_record_carrier("trace"))
    event = sqs_batch(
        [
            (in_body(B), {"traceparent": traceparent(A)}),  # both: the extractor's wins
            ('{"order": 2}', {"traceparent": traceparent(C)}),  # nothing in the body: the attribute
            (json.dumps({"trace": {"traceparent": "00-garbage-01"}}), {"traceparent": traceparent(A)}),
        ]
    )

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, lambda record: None)

    handler(event, CONTEXT)
    assert linked(stdout_telemetry.spans()) == {"batch": [B, C, A], "records": [[B], [C], [A]]}


def broken(record: dict[str, Any]) -> dict[str, str]:
    raise KeyError("trace")


def not_a_mapping(record: dict[str, Any]) -> Any:
    return traceparent(B)  # a string, not a mapping of fields


@pytest.mark.usefixtures("telemetry")
@pytest.mark.parametrize("extractor", [broken, not_a_mapping], ids=["raises", "returns a string"])
def test_a_failing_extractor_is_one_warning_naming_it_and_the_built_in_carrier_is_read(
    extractor: Any, stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    register_record_carrier_extractor("sqs", extractor)
    event = sqs_batch([("{}", {"traceparent": traceparent(A)}), ("{}", {}), ("{}", {"traceparent": traceparent(C)})])

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, lambda record: None)

    with caplog.at_level(logging.DEBUG):
        assert handler(copy.deepcopy(event), CONTEXT) == {"batchItemFailures": []}
        assert linked(stdout_telemetry.spans()) == {"batch": [A, C], "records": [[A], [], [C]]}
        assert handler(copy.deepcopy(event), CONTEXT) == {"batchItemFailures": []}  # no second warning
    (warning,) = warnings_of(caplog, extractor.__qualname__)
    assert "built-in carriers are read instead" in warning


@pytest.mark.usefixtures("telemetry")
def test_the_extractor_is_called_once_per_record_per_invocation_for_the_batch_links_and_the_record_spans(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    calls: list[str] = []
    extract = json_record_carrier("trace")

    @register_record_carrier_extractor("sqs")
    def counted(record: dict[str, Any]) -> Any:
        calls.append(record["messageId"])
        return extract(record)

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> None:
        for _, span in traced_records(event):
            with span:
                pass

    for _ in range(2):  # nothing cached between invocations
        handler(sqs_batch([(in_body(A), {}), ("{}", {})]), CONTEXT)
    assert calls == ["m-0", "m-1"] * 2
    spans = stdout_telemetry.spans()
    assert [links(span) for span in spans if "faas.trigger" in span.attributes] == [[A], [A]]


@pytest.mark.usefixtures("telemetry")
def test_without_an_extractor_no_kinesis_record_is_read(
    monkeypatch: pytest.MonkeyPatch, stdout_telemetry: StdoutTelemetry
) -> None:
    from lambda_otel_lite.sources.kinesis import KinesisSource

    reads: list[object] = []
    monkeypatch.setattr(KinesisSource, "record_parent", lambda self, *args: reads.append(args))
    event = kinesis_batch([{"n": 0, "trace": {"traceparent": traceparent(A)}}, {"n": 1}])

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, lambda record: None)

    handler(event, CONTEXT)
    assert reads == []
    assert linked(stdout_telemetry.spans()) == {"batch": [], "records": [[], []]}


@pytest.mark.usefixtures("telemetry")
def test_a_dynamodb_extractor_links_the_item_writers_context(stdout_telemetry: StdoutTelemetry) -> None:
    @register_record_carrier_extractor("dynamodb")
    def from_item(record: dict[str, Any]) -> dict[str, str] | None:
        image = record["dynamodb"].get("NewImage", {})
        return {"traceparent": image["traceparent"]["S"]} if "traceparent" in image else None

    event = sample_event("dynamodb")
    event["Records"][0]["dynamodb"]["NewImage"]["traceparent"] = {"S": traceparent(A)}

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, lambda record: None)

    handler(event, CONTEXT)
    others = len(event["Records"]) - 1  # AWS's sample: an INSERT, a MODIFY and a REMOVE
    assert linked(stdout_telemetry.spans()) == {"batch": [A], "records": [[A]] + [[]] * others}


# --- get_carrier: the record spans of one loop --------------------------------------------------


def from_body(record: dict[str, Any]) -> dict[str, str] | None:
    trace_fields = json.loads(record["body"]).get("trace")
    return trace_fields if isinstance(trace_fields, dict) else None


@pytest.mark.usefixtures("telemetry")
@pytest.mark.parametrize("function", ["traced_records", "process_records"])
def test_get_carrier_serves_the_record_spans_while_the_batch_span_links_the_registered_or_built_in_carriers(
    function: str, stdout_telemetry: StdoutTelemetry
) -> None:
    event = sqs_batch([(in_body(B), {"traceparent": traceparent(A)}), ("{}", {"traceparent": traceparent(C)})])

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> None:
        if function == "process_records":
            process_records(event, lambda record: None, get_carrier=from_body)
            return
        for _, span in traced_records(event, get_carrier=from_body):
            with span:
                pass

    handler(event, CONTEXT)
    # the second message's body has no context: its record span keeps the one the batch span read
    assert linked(stdout_telemetry.spans()) == {"batch": [A, C], "records": [[B], [C]]}


@pytest.mark.usefixtures("telemetry")
def test_a_raising_get_carrier_is_one_warning_and_the_batch_spans_contexts_serve(
    stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    event = sqs_batch([("{}", {"traceparent": traceparent(A)}), ("{}", {})])

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, lambda record: None, get_carrier=broken)

    handler(event, CONTEXT)
    assert linked(stdout_telemetry.spans()) == {"batch": [A], "records": [[A], []]}
    (warning,) = warnings_of(caplog, "get_carrier 'broken' raised")
    assert warning


def test_get_carrier_works_outside_an_instrumented_handler_too(stdout_telemetry: StdoutTelemetry) -> None:
    _, provider = init_telemetry("record-carriers")
    event = SQSEvent.model_validate(sqs_batch([(in_body(B), {"traceparent": traceparent(A)}), ("{}", {})]))
    for _, span in traced_records(event, get_carrier=from_body):
        with span:
            pass
    provider.force_flush()
    assert [links(span) for span in sorted(stdout_telemetry.spans(), key=lambda s: s.start_time_unix_nano)] == [
        [B],
        [],
    ]


# --- baggage ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("telemetry")
@pytest.mark.parametrize("function", ["traced_records", "process_records"])
def test_the_baggage_of_an_sqs_message_attribute_is_current_in_its_record_block_and_only_there(
    function: str, stdout_telemetry: StdoutTelemetry
) -> None:
    event = sqs_batch(
        [
            ("{}", {"traceparent": traceparent(A), "baggage": "tenant=acme,user=alice"}),
            ("{}", {"traceparent": traceparent(C)}),
        ]
    )
    inside: list[dict[str, object]] = []
    after: list[dict[str, object]] = []

    def handle(record: Any) -> None:
        inside.append(dict(baggage.get_all()))

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> None:
        if function == "process_records":
            process_records(event, handle)
        else:
            for record, span in traced_records(event):
                with span:
                    handle(record)
                after.append(dict(baggage.get_all()))
        after.append(dict(baggage.get_all()))

    handler(event, CONTEXT)
    assert inside == [{"tenant": "acme", "user": "alice"}, {}]
    assert after == ([{}] if function == "process_records" else [{}, {}, {}])
    assert dict(baggage.get_all()) == {}
    assert linked(stdout_telemetry.spans())["records"] == [[A], [C]]


@pytest.mark.usefixtures("telemetry")
def test_the_baggage_an_extractor_finds_is_current_in_its_record_block(stdout_telemetry: StdoutTelemetry) -> None:
    register_record_carrier_extractor("kinesis", json_record_carrier("trace"))
    event = kinesis_batch(
        [
            {"trace": {"traceparent": traceparent(A), "baggage": "tenant=acme"}},
            {"trace": {"traceparent": traceparent(B)}},
        ]
    )
    inside: list[dict[str, object]] = []

    @instrumented
    def handler(event: KinesisStreamEvent, context: Any) -> dict[str, Any]:
        return process_records(event, lambda record: inside.append(dict(baggage.get_all())))

    handler(event, CONTEXT)  # type: ignore[arg-type]
    assert inside == [{"tenant": "acme"}, {}]
    assert dict(baggage.get_all()) == {}
    assert linked(stdout_telemetry.spans()) == {"batch": [A, B], "records": [[A], [B]]}


@pytest.mark.usefixtures("telemetry")
def test_a_records_baggage_is_set_over_the_invocations_own(stdout_telemetry: StdoutTelemetry) -> None:
    event = sqs_batch([("{}", {"traceparent": traceparent(A), "baggage": "tenant=acme"}), ("{}", {})])
    inside: list[dict[str, object]] = []

    def invocation_carrier(event: dict[str, Any]) -> dict[str, str]:
        return {"traceparent": traceparent(B), "baggage": "tenant=outer,region=eu"}

    @instrumented(get_carrier=invocation_carrier)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_records(event, lambda record: inside.append(dict(baggage.get_all())))

    handler(event, CONTEXT)
    assert inside == [{"tenant": "acme", "region": "eu"}, {"tenant": "outer", "region": "eu"}]


# --- the span link limit ----------------------------------------------------------------------


def traced_batch(count: int) -> dict[str, Any]:
    return sqs_batch([("{}", {"traceparent": traceparent(nth(index))}) for index in range(count)])


@instrumented
def consume(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_records(event, lambda record: None)


def test_a_batch_over_the_link_limit_is_one_warning_and_the_limits_links(
    stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    init_telemetry("record-carriers")
    with caplog.at_level(logging.DEBUG):
        consume(traced_batch(129), CONTEXT)
        consume(traced_batch(130), CONTEXT)  # one warning per process
    spans = stdout_telemetry.spans()
    batches = [span for span in spans if "faas.trigger" in span.attributes]
    assert [len(span.links) for span in batches] == [128, 128]
    assert sorted(len(span.links) for span in spans if span not in batches) == [1] * (129 + 130)
    (warning,) = warnings_of(caplog, "OTEL_SPAN_LINK_COUNT_LIMIT")
    assert "batch span of 129 records got 129 links" in warning
    assert "keeps at most 128 per span" in warning


def test_a_link_limit_raised_before_init_keeps_every_link_without_a_warning(
    monkeypatch: pytest.MonkeyPatch, stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_SPAN_LINK_COUNT_LIMIT", "200")
    init_telemetry("record-carriers")
    consume(traced_batch(129), CONTEXT)
    batch, _ = split(stdout_telemetry.spans())
    assert links(batch) == [nth(index) for index in range(129)]
    assert warnings_of(caplog, "OTEL_SPAN_LINK_COUNT_LIMIT") == []


def test_the_limit_is_the_one_of_the_provider_that_records_the_span(
    stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    """The warning reads what the span dropped, so a provider given its own SpanLimits is reported as it is."""
    provider = TracerProvider(span_limits=SpanLimits(max_links=5))
    provider.add_span_processor(SimpleSpanProcessor(StdoutSpanExporter()))
    tracer = provider.get_tracer("own")
    with traced_handler(tracer, provider, "batch", traced_batch(6), CONTEXT):
        pass
    (batch,) = stdout_telemetry.spans()
    assert len(batch.links) == 5
    (warning,) = warnings_of(caplog, "OTEL_SPAN_LINK_COUNT_LIMIT")
    assert "batch span of 6 records got 6 links, but the tracer provider keeps at most 5 per span" in warning


# --- the examples of docs/carriers.md -----------------------------------------------------------


def example(name: str) -> tuple[ModuleType, dict[str, Any]]:
    """Import examples/record_carriers/<name>.py afresh (its registration runs) and read its event."""
    spec = importlib.util.spec_from_file_location(f"record_carriers_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, json.loads((EXAMPLES / f"{name}.json").read_text())


@pytest.mark.usefixtures("telemetry")
def test_the_kinesis_example_links_the_producers_its_records_data_names(stdout_telemetry: StdoutTelemetry) -> None:
    module, event = example("kinesis")
    assert module.handler(event, CONTEXT) == {"batchItemFailures": []}
    assert linked(stdout_telemetry.spans()) == {"batch": [A, B], "records": [[A], [B], []]}
    assert stdout_telemetry.other_lines == ["sensor t-1: 21.5", "sensor t-2: 19.0", "sensor t-3: 20.25"]


@pytest.mark.usefixtures("telemetry")
def test_the_sqs_body_example_links_the_body_before_the_attributes_and_has_the_producers_baggage(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    module, event = example("sqs_body")
    assert module.handler(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": event["Records"][2]["messageId"]}]
    }
    assert linked(stdout_telemetry.spans()) == {"batch": [A, B], "records": [[A], [B], []]}
    assert stdout_telemetry.other_lines == ["order 1001 for tenant acme", "order 1002 for tenant None"]
