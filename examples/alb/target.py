"""An Application Load Balancer target: the decorator with the ALB event model.

Run it locally: ``lambda-otel-lite invoke examples/alb/target.py:handler --event examples/alb/event.json``
"""

from __future__ import annotations

from typing import Any

from lambda_otel_lite import instrumented
from lambda_otel_lite.events import ALBEvent


@instrumented
def handler(event: ALBEvent, context: Any) -> dict[str, Any]:
    # A 5xx response sets the span's status to ERROR; 4xx leaves SERVER spans unset.
    if event.path == "/health":
        return {"statusCode": 200, "statusDescription": "200 OK", "body": "ok"}
    return {"statusCode": 503, "statusDescription": "503 Service Unavailable", "body": "try later"}
