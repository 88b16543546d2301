"""The orders API: an HTTP API (payload 2.0) function that queues each order for the worker.

Its invocation span continues the caller's trace (the request's ``traceparent`` header). The SQS
``SendMessage`` call gets a PRODUCER span, ``send orders``, a child of the invocation span, and the
message carries that span's context as its ``traceparent`` message attribute: the worker's spans
link to it. Nothing in this file does that but ``@instrumented``; boto3 is used as always.

Run it with the worker against moto: see README.md.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3  # type: ignore[import-untyped]  # boto3 ships no type information

from lambda_otel_lite import instrumented
from lambda_otel_lite.events import APIGatewayProxyEventV2

QUEUE_URL = os.environ["ORDERS_QUEUE_URL"]
sqs = boto3.client("sqs")  # once per execution environment, in the init phase


@instrumented
def handler(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
    order = json.loads(event.body or "{}")
    sent = sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=json.dumps(order))
    return {"statusCode": 202, "body": json.dumps({"order": order["id"], "message": sent["MessageId"]})}
