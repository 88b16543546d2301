"""Checked by mypy --strict (the typecheck session): decorated handlers keep their signatures.

Each ``type: ignore[...]`` below is an error mypy must report; with ``warn_unused_ignores`` (part of
--strict) the check fails if the decorator erased the signature and the error went away.
"""

from __future__ import annotations

from typing import Any, assert_type

from opentelemetry.trace import SpanKind

from lambda_otel_lite import instrumented, register_carrier_extractor
from lambda_otel_lite.events import APIGatewayProxyEventV2, SQSEvent


@instrumented
def bare(event: APIGatewayProxyEventV2, context: Any) -> dict[str, int]:
    return {"statusCode": 200}


@instrumented("orders", kind=SpanKind.CONSUMER)
def with_arguments(event: SQSEvent, context: Any) -> list[str]:
    return [record.message_id for record in event.records]


def check(v2: APIGatewayProxyEventV2, sqs: SQSEvent) -> None:
    assert_type(bare(v2, None), dict[str, int])
    assert_type(with_arguments(sqs, None), list[str])
    bare(sqs, None)  # type: ignore[arg-type]
    with_arguments(v2, None)  # type: ignore[arg-type]
    bare(v2)  # type: ignore[call-arg]
    assert_type(bare.__name__, str)


@register_carrier_extractor(SQSEvent)
def first_record(event: SQSEvent) -> dict[str, str]:
    return {}


def check_extractor(v2: APIGatewayProxyEventV2) -> None:
    first_record(v2)  # type: ignore[arg-type]
