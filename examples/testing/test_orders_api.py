"""Testing a decorated handler with the pytest plugin that ships with lambda-otel-lite.

The fixtures ``span_capture``, ``lambda_context`` and ``sample_event`` are available in any
project that installs lambda-otel-lite: no conftest needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind, StatusCode

from examples.orders_api.orders import handler

if TYPE_CHECKING:
    from lambda_otel_lite.testing import LambdaContext, SpanCapture


def test_a_known_order_is_a_200_with_a_child_span(span_capture: SpanCapture, lambda_context: LambdaContext) -> None:
    event = json.loads((Path(__file__).parents[1] / "orders_api" / "event.json").read_text())

    response = handler(event, lambda_context)

    assert response["statusCode"] == 200
    server = span_capture.one("GET /orders/{id}")
    assert server.kind is SpanKind.SERVER
    assert server.attributes is not None
    assert server.attributes["http.status_code"] == 200
    assert server.attributes["faas.invocation_id"] == lambda_context.aws_request_id
    load_order = span_capture.one("load_order")
    assert load_order.parent is not None
    assert load_order.parent.span_id == server.context.span_id


def test_an_unknown_order_is_a_404_that_leaves_the_status_unset(
    span_capture: SpanCapture, lambda_context: LambdaContext, sample_event: Any
) -> None:
    event = sample_event("apigateway-http-v2")
    event["pathParameters"] = {"id": "nope"}

    assert handler(event, lambda_context)["statusCode"] == 404
    assert span_capture.spans[-1].status.status_code is StatusCode.UNSET  # 4xx is the client's error
