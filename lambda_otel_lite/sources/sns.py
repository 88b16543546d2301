"""SNS: one CONSUMER span per delivery, which describes its one message (``messaging.message.id``, no
batch count), linked to the context the notification carries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lambda_otel_lite import semconv
from lambda_otel_lite.sources._base import MessagingSource, arn_resource, context_of, mapping, text

if TYPE_CHECKING:
    from collections.abc import Mapping

    from opentelemetry.context import Context


class SnsSource(MessagingSource):
    """SNS notifications (``Records[].Sns``): the topic is the destination; the trace context is in
    the ``MessageAttributes`` (``{"traceparent": {"Type": "String", "Value": ...}}``), after a record
    carrier extractor registered for ``"sns"``."""

    __slots__ = ()
    key = "sns"
    system = semconv.SYSTEM_SNS
    single_message = True  # SNS invokes a function with one message per event (Lambda Developer Guide, with-sns.html)
    aws_key = semconv.AWS_SNS_TOPIC_ARN
    carries_context = True

    def destination(self, record: Mapping[str, Any]) -> str | None:
        return arn_resource(mapping(record.get("Sns")).get("TopicArn"))

    def aws_value(self, record: Mapping[str, Any]) -> str | None:
        return text(mapping(record.get("Sns")).get("TopicArn"))

    def record_id(self, record: Mapping[str, Any]) -> str | None:
        return text(mapping(record.get("Sns")).get("MessageId"))

    def record_context(self, record: Mapping[str, Any]) -> Context | None:
        return context_of(mapping(mapping(record.get("Sns")).get("MessageAttributes")), "an SNS notification")
