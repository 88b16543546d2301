"""An API Gateway REST API (payload 1.0) handler traced with the decorator and a typed event.

Run it locally: ``lambda-otel-lite invoke examples/rest_api/items.py:handler --event examples/rest_api/event.json``
"""

from __future__ import annotations

import json
from typing import Any

from lambda_otel_lite import instrumented
from lambda_otel_lite.events import APIGatewayProxyEvent


@instrumented
def handler(event: APIGatewayProxyEvent, context: Any) -> dict[str, Any]:
    # The span is named "<method> <resource>" and parented on the caller's traceparent header.
    name = (event.query_string_parameters or {}).get("name", "world")
    return {"statusCode": 200, "body": json.dumps({"hello": name})}
