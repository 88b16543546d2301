"""Function A of the SNS scenario: an HTTP API handler that publishes each order to an SNS topic.

The topic is ``ORDERS_TOPIC_ARN``; the AWS endpoint, credentials and region come from the environment.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3  # type: ignore[import-untyped]  # boto3 ships no type information

from lambda_otel_lite import instrumented
from lambda_otel_lite.events import APIGatewayProxyEventV2

TOPIC_ARN = os.environ["ORDERS_TOPIC_ARN"]
sns = boto3.client("sns")


@instrumented
def handler(event: APIGatewayProxyEventV2, context: Any) -> dict[str, Any]:
    order = json.loads(event.body or "{}")
    published = sns.publish(TopicArn=TOPIC_ARN, Message=json.dumps(order))
    return {"statusCode": 202, "body": json.dumps({"order": order["id"], "message": published["MessageId"]})}
