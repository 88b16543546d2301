"""SQS: one CONSUMER span per batch, in a new trace, linked to each traced message; partial batch responses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lambda_otel_lite.propagation import xray_span_context
from lambda_otel_lite.sources._base import MessagingSource, arn_resource, context_of, mapping, text

if TYPE_CHECKING:
    from opentelemetry.trace import SpanContext


class SqsSource(MessagingSource):
    """SQS batches. A message's context is its ``traceparent`` message attribute (any configured
    propagator), else that of the SNS notification its body holds, else its X-Ray ``AWSTraceHeader``."""

    __slots__ = ()
    key = "sqs"
    system = "aws_sqs"
    batch_failures = True

    def destination(self, record: Mapping[str, Any]) -> str | None:
        return arn_resource(record.get("eventSourceARN"))

    def record_id(self, record: Mapping[str, Any]) -> str | None:
        return text(record.get("messageId"))

    def record_context(self, record: Mapping[str, Any]) -> SpanContext | None:
        span_context = context_of(mapping(record.get("messageAttributes")), "an SQS message")
        if span_context is None:
            notification = sns_notification(record.get("body"))
            if notification is not None:
                span_context = context_of(mapping(notification.get("MessageAttributes")), "an SNS notification")
        if span_context is None:
            span_context = xray_span_context(mapping(record.get("attributes")).get("AWSTraceHeader"), "AWSTraceHeader")
        return span_context


def sns_notification(body: object) -> Mapping[str, Any] | None:
    """The SNS notification an SQS message body holds (SNS to SQS without raw delivery), or None."""
    if not isinstance(body, str) or not body.startswith("{") or '"TopicArn"' not in body:
        return None
    import json

    try:
        notification = json.loads(body)
    except ValueError:
        return None
    if isinstance(notification, Mapping) and notification.get("Type") == "Notification":
        return notification
    return None
