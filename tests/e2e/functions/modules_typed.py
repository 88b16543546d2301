"""The modules function with a typed HTTP API (v2) event: what a typed cold start loads."""

from __future__ import annotations

from typing import Any

from modules import loaded  # type: ignore[import-not-found]  # the function's own directory, at run time

from lambda_otel_lite import instrumented
from lambda_otel_lite.events import APIGatewayProxyEventV2


@instrumented
def handler(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "loaded": loaded()}
