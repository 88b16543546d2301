"""SQS: one CONSUMER span per batch, in a new trace, linked to each traced message; partial batch responses."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lambda_otel_lite import _resets, semconv
from lambda_otel_lite.propagation import sampled_xray_context
from lambda_otel_lite.sources._base import MessagingSource, arn_resource, context_of, mapping, span_context_in, text

if TYPE_CHECKING:
    from opentelemetry.context import Context


class SqsSource(MessagingSource):
    """SQS batches. A message's built-in context is its ``traceparent`` message attribute (any
    configured propagator; with its ``baggage``), else that of the SNS notification its body holds,
    else its X-Ray ``AWSTraceHeader`` when sampled
    (:func:`~lambda_otel_lite.propagation.sampled_xray_context`). A record carrier extractor
    registered for ``"sqs"`` comes first (a context in the message body)."""

    __slots__ = ()
    key = "sqs"
    system = semconv.SYSTEM_SQS
    batch_failures = True
    aws_key = semconv.AWS_SQS_QUEUE_URL
    carries_context = True

    def destination(self, record: Mapping[str, Any]) -> str | None:
        return arn_resource(record.get("eventSourceARN"))

    def aws_value(self, record: Mapping[str, Any]) -> str | None:
        return queue_url(record.get("eventSourceARN"))

    def record_id(self, record: Mapping[str, Any]) -> str | None:
        return text(record.get("messageId"))

    def record_context(self, record: Mapping[str, Any]) -> Context | None:
        context = context_of(mapping(record.get("messageAttributes")), "an SQS message")
        if context is None:
            notification = sns_notification(record.get("body"))
            if notification is not None:
                context = context_of(mapping(notification.get("MessageAttributes")), "an SNS notification")
        if context is None:
            context = span_context_in(
                sampled_xray_context(
                    mapping(record.get("attributes")).get("AWSTraceHeader"), "an SQS message's AWSTraceHeader"
                )
            )
        return context


_SQS_DOMAINS = {"aws": "amazonaws.com", "aws-us-gov": "amazonaws.com", "aws-cn": "amazonaws.com.cn"}
"""The domain of SQS's endpoints in each partition whose queue URLs are documented."""


@functools.lru_cache(maxsize=64)
def _queue_url(arn: str) -> str | None:
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not all(parts[3:]):
        return None
    domain = _SQS_DOMAINS.get(parts[1])
    return f"https://sqs.{parts[3]}.{domain}/{parts[4]}/{parts[5]}" if domain else None


_resets.register(_queue_url.cache_clear)


def queue_url(arn: object) -> str | None:
    """The queue URL of a queue ARN (``aws.sqs.queue.url``), or None.

    ``arn:aws:sqs:us-east-2:123456789012:my-queue`` → ``https://sqs.us-east-2.amazonaws.com/123456789012/my-queue``,
    the form of the SQS Developer Guide ("Amazon SQS queue and message identifiers": the queue URL is
    built from the Region, the account and the queue name). Partitions without a documented
    endpoint domain give None rather than a guess.
    """
    return _queue_url(arn) if isinstance(arn, str) else None  # a batch repeats its queue's ARN


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
