"""Function A of the Lambda scenario: an HTTP API handler that hands each order to another function.

It calls Lambda ``Invoke`` on ``WORKER_FUNCTION`` with ``INVOCATION_TYPE`` (``RequestResponse``
or ``Event``); the AWS endpoint, credentials and region come from the environment.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3  # type: ignore[import-untyped]  # boto3 ships no type information

from lambda_otel_lite import instrumented
from lambda_otel_lite.events import APIGatewayProxyEventV2

WORKER = os.environ["WORKER_FUNCTION"]
INVOCATION_TYPE = os.environ["INVOCATION_TYPE"]
lambda_client = boto3.client("lambda")


@instrumented
def handler(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
    order = json.loads(event.body or "{}")
    response = lambda_client.invoke(
        FunctionName=WORKER, InvocationType=INVOCATION_TYPE, Payload=json.dumps({"order": order})
    )
    result = response["Payload"].read().decode()
    return {"statusCode": 202, "body": json.dumps({"invoked": response["StatusCode"], "result": result})}
