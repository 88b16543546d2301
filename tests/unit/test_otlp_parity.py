"""Our OTLP encoder against the reference: byte-identical for every batch the reference can encode.

The reference is ``encode_spans(spans).SerializeToString()`` from the installed
``opentelemetry-exporter-otlp-proto-common``. Where the reference fails (text that is not valid
Unicode, integers beyond int64), ours keeps the span; those cases are pinned separately.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as reference_encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags, TraceState

from lambda_otel_lite import _otlp
from lambda_otel_lite.testing import sample_event, sample_event_names


def reference(spans: list[ReadableSpan]) -> bytes:
    return reference_encode_spans(spans).SerializeToString()


# --- strategies ---------------------------------------------------------------------------------

INT64 = st.integers(-(2**63), 2**63 - 1)
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
TEXT = st.text(max_size=20) | st.sampled_from(["", "😀", "\U0010ffff", "é" * 200, "x" * 300])
SCALARS = TEXT | st.booleans() | INT64 | FLOATS
ARRAYS = (
    st.lists(TEXT, max_size=4)
    | st.lists(st.booleans(), max_size=4)
    | st.lists(INT64, max_size=4)
    | st.lists(FLOATS, max_size=4)
).map(tuple)
VALUES = SCALARS | ARRAYS | st.binary(max_size=10)
ATTRIBUTES = st.dictionaries(TEXT, VALUES, max_size=6)
IDS_64 = st.integers(1, 2**64 - 1)
IDS_128 = st.integers(1, 2**128 - 1)
TIMES = st.none() | st.integers(0, 2**64 - 1)
TRACE_STATE = st.lists(
    st.tuples(st.sampled_from(["a", "b", "vendor@x", "k1"]), st.sampled_from(["1", "v", "x-y"])), max_size=3
)


@st.composite
def bounded(draw: st.DrawFn, values: st.SearchStrategy[dict[str, Any]] = ATTRIBUTES) -> Any:
    """Attributes as the SDK keeps them (sometimes over a limit, so with a dropped count) or a plain dict."""
    attributes = draw(values)
    if draw(st.booleans()):
        return attributes
    limit = draw(st.none() | st.integers(0, 6))
    return BoundedAttributes(maxlen=limit, attributes=attributes, immutable=False)


@st.composite
def span_contexts(draw: st.DrawFn) -> SpanContext:
    return SpanContext(
        draw(IDS_128),
        draw(IDS_64),
        is_remote=draw(st.booleans()),
        trace_flags=TraceFlags(draw(st.sampled_from([0, 1]))),
        trace_state=TraceState(list(dict(draw(TRACE_STATE)).items())),
    )


RESOURCES = st.sampled_from(
    [
        Resource({"service.name": "orders", "faas.max_memory": 536870912, "cloud.provider": "aws"}),
        Resource({"service.name": "other"}, schema_url="https://opentelemetry.io/schemas/1.21.0"),
        Resource({}),
    ]
) | st.builds(Resource, ATTRIBUTES, st.sampled_from([None, "", "https://example.com/schema"]))
SCOPES = st.none() | st.builds(
    InstrumentationScope,
    st.sampled_from(["", "orders", "lambda_otel_lite"]),
    st.sampled_from([None, "", "1.2.3"]),
    st.sampled_from([None, "", "https://example.com/s"]),
    st.none() | ATTRIBUTES,
)


@st.composite
def spans(draw: st.DrawFn, span_type: type[ReadableSpan] = ReadableSpan) -> ReadableSpan:
    code = draw(st.sampled_from(list(StatusCode)))
    status = draw(st.sampled_from([None, Status(code), Status(code, draw(TEXT))]))
    events = [
        Event(draw(TEXT), draw(bounded()), timestamp=draw(st.integers(0, 2**64 - 1)))
        for _ in range(draw(st.integers(0, 3)))
    ]
    links = [Link(draw(span_contexts()), draw(bounded())) for _ in range(draw(st.integers(0, 3)))]
    return span_type(
        name=draw(TEXT),
        context=draw(span_contexts()),
        parent=draw(st.none() | span_contexts()),
        resource=draw(RESOURCES),
        attributes=draw(bounded()),
        events=events,
        links=links,
        kind=draw(st.sampled_from(list(SpanKind))),
        status=status if status is not None else Status(StatusCode.UNSET),
        start_time=draw(TIMES),
        end_time=draw(TIMES),
        instrumentation_scope=draw(SCOPES),
    )


class UserSpan(ReadableSpan):
    """A ReadableSpan subclass: the encoder reads it through the public properties."""


# --- parity -------------------------------------------------------------------------------------


@given(st.lists(spans(), max_size=8))
def test_any_batch_of_spans_encodes_byte_identically_to_the_reference(batch: list[ReadableSpan]) -> None:
    assert _otlp.encode_spans(batch) == reference(batch)


@given(st.lists(spans(UserSpan), min_size=1, max_size=4))
def test_readable_span_subclasses_are_read_through_their_properties_with_the_same_bytes(
    batch: list[ReadableSpan],
) -> None:
    assert _otlp.encode_spans(batch) == reference(batch)


@given(st.lists(st.tuples(RESOURCES, SCOPES), min_size=1, max_size=6), st.data())
def test_spans_of_many_resources_and_scopes_are_grouped_in_the_reference_order(
    owners: list[tuple[Resource, InstrumentationScope | None]], data: st.DataObject
) -> None:
    batch = []
    for _ in range(data.draw(st.integers(1, 12))):
        resource, scope = data.draw(st.sampled_from(owners))
        span = data.draw(spans())
        span._resource, span._instrumentation_scope = resource, scope
        batch.append(span)
    assert _otlp.encode_spans(batch) == reference(batch)


def test_equal_resources_that_are_distinct_objects_share_one_resource_spans() -> None:
    first, second = Resource({"service.name": "a"}), Resource({"service.name": "a"})
    batch = [
        ReadableSpan("x", SpanContext(1, 2, False), resource=first),
        ReadableSpan("y", SpanContext(1, 3, False), resource=second),
    ]
    decoded = ExportTraceServiceRequest.FromString(_otlp.encode_spans(batch))
    assert len(decoded.resource_spans) == 1
    assert _otlp.encode_spans(batch) == reference(batch)


@given(st.integers(1, 40), st.booleans())
def test_real_sdk_spans_with_every_feature_encode_byte_identically(children: int, remote: bool) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "orders", "faas.cold_start": True}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("orders", "1.0", schema_url="https://s", attributes={"scope.attr": 1})
    parent = SpanContext(
        0xABC, 0xDEF, is_remote=remote, trace_flags=TraceFlags(1), trace_state=TraceState([("a", "1")])
    )
    from opentelemetry import trace

    context = trace.set_span_in_context(trace.NonRecordingSpan(parent))
    with tracer.start_as_current_span(
        "root", context=context, kind=SpanKind.SERVER, links=[Link(parent, {"l": 1})]
    ) as root:
        for index in range(children):
            with tracer.start_as_current_span(
                "child", attributes={"i": index, "f": index / 3, "s": "x" * index}
            ) as child:
                child.add_event("step", {"n": index})
        root.record_exception(ValueError("boom"))
        root.set_status(Status(StatusCode.ERROR, "boom"))
    provider.shutdown()
    batch = list(exporter.get_finished_spans())
    assert _otlp.encode_spans(batch) == reference(batch)


@pytest.mark.parametrize("name", sample_event_names())
def test_the_spans_of_real_handlers_on_every_sample_event_encode_byte_identically(name: str) -> None:
    from lambda_otel_lite import LambdaSpanProcessor, init_telemetry, instrumented

    exporter = InMemorySpanExporter()
    init_telemetry("parity", span_processors=[LambdaSpanProcessor(exporter)])

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    handler(sample_event(name), None)
    batch = list(exporter.get_finished_spans())
    assert batch
    assert _otlp.encode_spans(batch) == reference(batch)


# --- where the reference fails --------------------------------------------------------------------


def lone_surrogate_span(where: str) -> ReadableSpan:
    bad = "order\ud800id"
    return ReadableSpan(
        name=bad if where == "name" else "ok",
        context=SpanContext(1, 2, False),
        attributes={"key": bad} if where == "attribute" else {"key": "fine"},
        events=[Event(bad if where == "event" else "event", {})],
        status=Status(StatusCode.ERROR, bad if where == "status" else "failed"),
    )


@pytest.mark.parametrize("where", ["name", "event", "status"])
def test_a_lone_surrogate_that_makes_the_reference_fail_becomes_a_replacement_character(where: str) -> None:
    span = lone_surrogate_span(where)
    with pytest.raises(ValueError):  # noqa: PT011 - protobuf's message varies by version
        reference([span])
    decoded = ExportTraceServiceRequest.FromString(_otlp.encode_spans([span])).resource_spans[0].scope_spans[0].spans[0]
    texts = {"name": decoded.name, "event": decoded.events[0].name, "status": decoded.status.message}
    assert texts[where] == "order\ufffdid"


def test_a_lone_surrogate_in_an_attribute_is_kept_where_the_reference_drops_the_attribute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    span = lone_surrogate_span("attribute")
    with caplog.at_level(logging.ERROR):
        dropped = ExportTraceServiceRequest.FromString(reference([span])).resource_spans[0].scope_spans[0].spans[0]
    assert list(dropped.attributes) == []
    ours = ExportTraceServiceRequest.FromString(_otlp.encode_spans([span])).resource_spans[0].scope_spans[0].spans[0]
    assert [(kv.key, kv.value.string_value) for kv in ours.attributes] == [("key", "order\ufffdid")]
    assert _otlp.REPAIRS["surrogates"] >= 1
    _otlp.REPAIRS.update(dict.fromkeys(_otlp.REPAIRS, 0))


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_an_integer_beyond_int64_is_written_as_its_decimal_string(value: int) -> None:
    span = ReadableSpan("big", SpanContext(1, 2, False), attributes={"n": value, "after": 1})
    assert [
        kv.key
        for kv in ExportTraceServiceRequest.FromString(reference([span]))
        .resource_spans[0]
        .scope_spans[0]
        .spans[0]
        .attributes
    ] == ["after"]
    ours = ExportTraceServiceRequest.FromString(_otlp.encode_spans([span])).resource_spans[0].scope_spans[0].spans[0]
    assert [(kv.key, kv.value.WhichOneof("value")) for kv in ours.attributes] == [
        ("n", "string_value"),
        ("after", "int_value"),
    ]
    assert ours.attributes[0].value.string_value == str(value)
    _otlp.REPAIRS.update(dict.fromkeys(_otlp.REPAIRS, 0))


def test_a_value_otlp_cannot_hold_is_left_out_and_counted_as_dropped() -> None:
    span = ReadableSpan("odd", SpanContext(1, 2, False), attributes={"obj": object(), "ok": "v"})  # type: ignore[dict-item]
    ours = ExportTraceServiceRequest.FromString(_otlp.encode_spans([span])).resource_spans[0].scope_spans[0].spans[0]
    assert [kv.key for kv in ours.attributes] == ["ok"]
    assert ours.dropped_attributes_count == 1
    _otlp.REPAIRS.update(dict.fromkeys(_otlp.REPAIRS, 0))


def test_mappings_and_nested_sequences_encode_as_the_reference_does() -> None:
    span = ReadableSpan(
        "nested",
        SpanContext(1, 2, False),
        attributes={"map": {"a": 1, "b": ["x", None]}, "list": [1, [2, 3]], "none": None},
    )
    assert _otlp.encode_spans([span]) == reference([span])


def test_a_hand_made_span_without_a_context_is_kept_with_invalid_ids_where_the_reference_fails() -> None:
    span = ReadableSpan("no context")
    with pytest.raises(AttributeError):
        reference([span])
    ours = ExportTraceServiceRequest.FromString(_otlp.encode_spans([span])).resource_spans[0].scope_spans[0].spans[0]
    assert (ours.name, ours.trace_id, ours.span_id) == ("no context", bytes(16), bytes(8))
