"""Checked by mypy --strict (the typecheck session): the record carrier hook says what it accepts.

Each ``type: ignore[...]`` below is an error mypy must report (``warn_unused_ignores``, part of
--strict, fails the check if it went away).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, assert_type

from lambda_otel_lite import json_record_carrier, register_record_carrier_extractor


@register_record_carrier_extractor("sqs")
def from_body(record: dict[str, Any]) -> dict[str, str] | None:
    return None


@register_record_carrier_extractor("kinesis")
def from_data(record: Mapping[str, Any]) -> None:  # a wider parameter is fine
    return None


def check() -> None:
    assert_type(from_body({}), dict[str, str] | None)  # the decorator keeps the function's type
    register_record_carrier_extractor("dynamodb", json_record_carrier("trace"))
    register_record_carrier_extractor("http", from_body)  # type: ignore[call-overload]
    register_record_carrier_extractor("sqs", lambda record: "traceparent")  # type: ignore[call-overload]
