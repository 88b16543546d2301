"""The record carrier hook's registration and the JSON payload extractor: pure logic, no spans."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from lambda_otel_lite import ConfigurationError, json_record_carrier, register_record_carrier_extractor
from lambda_otel_lite.propagation import RECORD_TRIGGERS, record_extractor
from lambda_otel_lite.sources import KEYS, source_for_key
from lambda_otel_lite.testing import sample_event

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
CARRIER = {"traceparent": TRACEPARENT, "baggage": "tenant=acme"}


def nothing(record: dict[str, Any]) -> None:
    return None


def test_the_record_triggers_are_the_sources_that_deliver_records() -> None:
    batches = {key for key in KEYS if key in {"sqs", "sns", "kinesis", "dynamodb", "s3"}}
    assert set(RECORD_TRIGGERS) == batches
    for key in RECORD_TRIGGERS:
        source = source_for_key(key)
        assert source is not None, key
        assert source.records(sample_event(key)), key


@pytest.mark.parametrize("trigger", ["http", "eventbridge", "SQS", "aws:sqs", "", None, ["sqs"]])
def test_a_trigger_that_delivers_no_records_is_a_configuration_error_naming_it(trigger: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"trigger must be one of sqs, sns, kinesis, dynamodb, s3") as error:
        register_record_carrier_extractor(trigger, nothing)
    assert repr(trigger) in str(error.value)
    assert record_extractor(str(trigger)) is None


def test_an_extractor_that_is_not_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="the extractor must be callable, got 'body'"):
        register_record_carrier_extractor("sqs", "body")  # type: ignore[call-overload]
    assert record_extractor("sqs") is None


def test_registration_works_as_a_decorator_returns_the_function_and_a_later_one_replaces_it() -> None:
    @register_record_carrier_extractor("kinesis")
    def first(record: dict[str, Any]) -> None:
        return None

    assert record_extractor("kinesis") is first
    assert register_record_carrier_extractor("kinesis", nothing) is nothing
    assert (record_extractor("kinesis"), record_extractor("sqs")) == (nothing, None)


def kinesis(data: bytes | str) -> dict[str, Any]:
    encoded = base64.b64encode(data).decode() if isinstance(data, bytes) else data
    return {"kinesis": {"data": encoded}, "eventSource": "aws:kinesis"}


@pytest.mark.parametrize(
    ("record", "key"),
    [
        ({"body": json.dumps({"trace": CARRIER, "order": 1})}, "trace"),
        ({"body": json.dumps({**CARRIER, "order": 1})}, None),
        (kinesis(json.dumps({"order": 1, "trace": CARRIER}).encode()), "trace"),
        (kinesis(json.dumps(CARRIER).encode()), None),
        ({"Sns": {"Message": json.dumps({"trace": CARRIER})}}, "trace"),
    ],
    ids=["sqs body", "sqs body itself", "kinesis data", "kinesis data itself", "sns message"],
)
def test_json_record_carrier_reads_the_payload_of_each_trigger(record: dict[str, Any], key: str | None) -> None:
    carrier = json_record_carrier(key)(record)
    assert carrier is not None
    assert {name: carrier[name] for name in CARRIER} == CARRIER


@pytest.mark.parametrize(
    "record",
    [
        {"body": "not JSON, not even a {"},
        {"body": json.dumps({"order": 1})},
        {"body": json.dumps({"trace": TRACEPARENT})},  # the member is not a carrier
        {"body": json.dumps(["trace"])},
        {"body": '{"trace": '},
        kinesis("not base64!"),
        kinesis(b"\xff\xfe not UTF-8"),
        kinesis(json.dumps({"order": 1}).encode()),
        {"kinesis": {"data": None}},
        {"Sns": {"Message": None}},
        {"dynamodb": {"NewImage": {}}},
        {},
    ],
)
def test_json_record_carrier_gives_none_for_a_payload_without_the_carrier(record: dict[str, Any]) -> None:
    assert json_record_carrier("trace")(record) is None


def test_json_record_carrier_names_itself_with_its_key_and_rejects_a_key_that_is_no_string() -> None:
    assert json_record_carrier("trace").__qualname__ == "json_record_carrier('trace')"
    with pytest.raises(TypeError, match="key must be a string or None"):
        json_record_carrier(3)  # type: ignore[arg-type]
