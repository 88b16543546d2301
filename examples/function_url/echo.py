"""A Lambda function URL handler: the same decorator, the Function URL event model.

Run it locally:
``lambda-otel-lite invoke examples/function_url/echo.py:handler --event examples/function_url/event.json``
"""

from __future__ import annotations

from typing import Any

from lambda_otel_lite import instrumented
from lambda_otel_lite.events import LambdaFunctionUrlEvent


@instrumented
def handler(event: LambdaFunctionUrlEvent, context: Any) -> dict[str, Any]:
    # Function URLs have no route template: the span is named after the method.
    return {"statusCode": 200, "body": event.body or ""}
