"""Cold start of a typed handler: it builds the model classes and the one validator it needs, no more."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, sys
from lambda_otel_lite import instrumented
from lambda_otel_lite.events import {imports}
from lambda_otel_lite.events._base import EventModel

@instrumented
def handler(event: {model}, context: object) -> None:
    return None

def subclasses(base):
    for child in base.__subclasses__():
        yield child
        yield from subclasses(child)

print(json.dumps({{
    "classes": sorted(cls.__name__ for cls in subclasses(EventModel)),
    "complete": sorted(cls.__name__ for cls in subclasses(EventModel) if cls.__pydantic_complete__),
    "alias_generators": "pydantic.alias_generators" in sys.modules,
}}))
"""


@pytest.mark.parametrize(
    ("model", "classes"),
    [
        (
            "APIGatewayProxyEventV2",
            ["APIGatewayProxyEventV2", "PayloadV2Event", "RequestContextHttp", "RequestContextV2"],
        ),
        ("APIGatewayProxyEvent", ["APIGatewayProxyEvent", "APIGatewayRequestContext", "APIGatewayRequestIdentity"]),
        ("SQSEvent", ["SQSEvent", "SQSMessageAttribute", "SQSRecord", "SQSRecordAttributes"]),
        ("SNSEvent", ["SNSEvent", "SNSMessage", "SNSMessageAttribute", "SNSNotification", "SNSRecord"]),
        ("EventBridgeEvent", ["EventBridgeEvent"]),
        ("KinesisStreamEvent", ["KinesisData", "KinesisStreamEvent", "KinesisStreamRecord"]),
        (
            "DynamoDBStreamEvent",
            ["DynamoDBStreamEvent", "DynamoDBStreamRecord", "DynamoDBUserIdentity", "StreamRecord"],
        ),
        (
            "S3Event",
            [
                "S3Bucket",
                "S3Entity",
                "S3Event",
                "S3EventRecord",
                "S3Object",
                "S3RequestParameters",
                "S3ResponseElements",
                "S3UserIdentity",
            ],
        ),
    ],
)
def test_decorating_a_typed_handler_builds_its_own_model_classes_and_one_validator(
    model: str, classes: list[str]
) -> None:
    """Every model class and every validator costs cold-start time: a handler pays for its own."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(model=model, imports=model)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": "sync"},
    )
    assert json.loads(result.stdout) == {"classes": classes, "complete": [model], "alias_generators": False}


def test_a_handler_typed_with_an_s3_event_through_eventbridge_builds_the_eventbridge_and_detail_classes_only() -> None:
    """Not the S3 notification classes: the EventBridge detail models live in a module of their own."""
    model = "EventBridgeEvent[S3EventBridgeDetail]"
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(model=model, imports="EventBridgeEvent, S3EventBridgeDetail")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": "sync"},
    )
    assert json.loads(result.stdout) == {
        "classes": ["EventBridgeEvent", model, "S3EventBridgeBucket", "S3EventBridgeDetail", "S3EventBridgeObject"],
        "complete": ["EventBridgeEvent", model],  # the generic class is built when it is parametrised
        "alias_generators": False,
    }
