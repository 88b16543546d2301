"""Typed Lambda event models (pydantic v2).

Annotate a handler's event parameter with one of these and ``@instrumented`` validates the raw
event into it and uses its type for carrier extraction, attributes and the span name. Each model
is loaded on first use: importing one does not import the others' modules, and ``import
lambda_otel_lite`` does not import pydantic.

Example:
    >>> from lambda_otel_lite.events import APIGatewayProxyEventV2
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambda_otel_lite._lazy import lazy_getattr

if TYPE_CHECKING:
    from lambda_otel_lite.events._base import EventModel, Headers, MultiValueHeaders
    from lambda_otel_lite.events._http import APIGatewayProxyEventV2, RequestContextHttp, RequestContextV2
    from lambda_otel_lite.events._s3_eventbridge import S3EventBridgeBucket, S3EventBridgeDetail, S3EventBridgeObject
    from lambda_otel_lite.events.alb import ALBEvent, ALBRequestContext, ALBRequestContextElb
    from lambda_otel_lite.events.apigateway import (
        APIGatewayProxyEvent,
        APIGatewayRequestContext,
        APIGatewayRequestIdentity,
    )
    from lambda_otel_lite.events.dynamodb import (
        DynamoDBStreamEvent,
        DynamoDBStreamRecord,
        DynamoDBUserIdentity,
        StreamRecord,
    )
    from lambda_otel_lite.events.eventbridge import EventBridgeEvent
    from lambda_otel_lite.events.function_url import LambdaFunctionUrlEvent
    from lambda_otel_lite.events.kinesis import KinesisData, KinesisStreamEvent, KinesisStreamRecord
    from lambda_otel_lite.events.s3 import (
        S3Bucket,
        S3Entity,
        S3Event,
        S3EventRecord,
        S3Object,
        S3RequestParameters,
        S3ResponseElements,
        S3UserIdentity,
    )
    from lambda_otel_lite.events.sns import SNSEvent, SNSMessage, SNSMessageAttribute, SNSNotification, SNSRecord
    from lambda_otel_lite.events.sqs import SQSEvent, SQSMessageAttribute, SQSRecord, SQSRecordAttributes

_MODULES = {
    "EventModel": "_base",
    "Headers": "_base",
    "MultiValueHeaders": "_base",
    "ALBEvent": "alb",
    "ALBRequestContext": "alb",
    "ALBRequestContextElb": "alb",
    "APIGatewayProxyEvent": "apigateway",
    "APIGatewayProxyEventV2": "_http",
    "APIGatewayRequestContext": "apigateway",
    "APIGatewayRequestIdentity": "apigateway",
    "RequestContextHttp": "_http",
    "RequestContextV2": "_http",
    "LambdaFunctionUrlEvent": "function_url",
    "SQSEvent": "sqs",
    "SQSMessageAttribute": "sqs",
    "SQSRecord": "sqs",
    "SQSRecordAttributes": "sqs",
    "SNSEvent": "sns",
    "SNSMessage": "sns",
    "SNSMessageAttribute": "sns",
    "SNSNotification": "sns",
    "SNSRecord": "sns",
    "EventBridgeEvent": "eventbridge",
    "KinesisData": "kinesis",
    "KinesisStreamEvent": "kinesis",
    "KinesisStreamRecord": "kinesis",
    "DynamoDBStreamEvent": "dynamodb",
    "DynamoDBStreamRecord": "dynamodb",
    "DynamoDBUserIdentity": "dynamodb",
    "StreamRecord": "dynamodb",
    "S3Bucket": "s3",
    "S3Entity": "s3",
    "S3Event": "s3",
    "S3EventRecord": "s3",
    "S3Object": "s3",
    "S3RequestParameters": "s3",
    "S3ResponseElements": "s3",
    "S3UserIdentity": "s3",
    "S3EventBridgeBucket": "_s3_eventbridge",
    "S3EventBridgeDetail": "_s3_eventbridge",
    "S3EventBridgeObject": "_s3_eventbridge",
}

__all__ = [
    "ALBEvent",
    "ALBRequestContext",
    "ALBRequestContextElb",
    "APIGatewayProxyEvent",
    "APIGatewayProxyEventV2",
    "APIGatewayRequestContext",
    "APIGatewayRequestIdentity",
    "DynamoDBStreamEvent",
    "DynamoDBStreamRecord",
    "DynamoDBUserIdentity",
    "EventBridgeEvent",
    "EventModel",
    "Headers",
    "KinesisData",
    "KinesisStreamEvent",
    "KinesisStreamRecord",
    "LambdaFunctionUrlEvent",
    "MultiValueHeaders",
    "RequestContextHttp",
    "RequestContextV2",
    "S3Bucket",
    "S3Entity",
    "S3Event",
    "S3EventBridgeBucket",
    "S3EventBridgeDetail",
    "S3EventBridgeObject",
    "S3EventRecord",
    "S3Object",
    "S3RequestParameters",
    "S3ResponseElements",
    "S3UserIdentity",
    "SNSEvent",
    "SNSMessage",
    "SNSMessageAttribute",
    "SNSNotification",
    "SNSRecord",
    "SQSEvent",
    "SQSMessageAttribute",
    "SQSRecord",
    "SQSRecordAttributes",
    "StreamRecord",
]


__getattr__ = lazy_getattr(__name__, {name: f"{__name__}.{module}" for name, module in _MODULES.items()})


def __dir__() -> list[str]:
    return sorted(__all__)
