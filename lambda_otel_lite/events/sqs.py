"""Amazon SQS events: a batch of messages from one queue.

A message body that is an SNS notification (a topic fanning out to the queue, raw message delivery
off) or an S3 event notification (a bucket notifying the queue) is parsed on request, by
:meth:`SQSRecord.sns_notification` and :meth:`SQSRecord.s3_event`; their models are imported then,
not with this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import ConfigDict, Field

from lambda_otel_lite.events._base import EventModel, pascal_case

if TYPE_CHECKING:
    from lambda_otel_lite.events.s3 import S3Event
    from lambda_otel_lite.events.sns import SNSNotification

__all__ = ["SQSEvent", "SQSMessageAttribute", "SQSRecord", "SQSRecordAttributes"]


class SQSRecordAttributes(EventModel):
    """A message's system attributes (``attributes``; AWS spells their keys in PascalCase)."""

    model_config = ConfigDict(alias_generator=pascal_case)

    approximate_receive_count: str | None = None
    """How many times the message has been received, as a decimal string."""
    sent_timestamp: str | None = None
    """When the message was sent, in milliseconds since the epoch, as a decimal string."""
    sender_id: str | None = None
    """The IAM principal (or account) that sent the message."""
    approximate_first_receive_timestamp: str | None = None
    """When the message was first received, in milliseconds since the epoch, as a decimal string."""
    aws_trace_header: str | None = Field(default=None, alias="AWSTraceHeader")
    """The X-Ray trace header the sender propagated, if any."""
    message_group_id: str | None = None
    """FIFO queues: the message group."""
    message_deduplication_id: str | None = None
    """FIFO queues: the deduplication id."""
    sequence_number: str | None = None
    """FIFO queues: the sequence number."""


class SQSMessageAttribute(EventModel):
    """A message attribute set by the sender (``messageAttributes[name]``)."""

    data_type: str
    """``String``, ``Number``, ``Binary``, or one of them with a custom suffix."""
    string_value: str | None = None
    """The value of a String or Number attribute."""
    binary_value: str | None = None
    """The base64 value of a Binary attribute."""
    string_list_values: list[str] | None = None
    """Reserved by SQS; always empty."""
    binary_list_values: list[str] | None = None
    """Reserved by SQS; always empty."""


class SQSRecord(EventModel):
    """One message of an SQS batch."""

    message_id: str
    """The message's id."""
    receipt_handle: str
    """The handle to delete the message with."""
    body: str
    """The message body."""
    attributes: SQSRecordAttributes
    """The message's system attributes."""
    message_attributes: dict[str, SQSMessageAttribute]
    """The attributes the sender set (a W3C ``traceparent`` among them, when propagated)."""
    md5_of_body: str
    """MD5 of the body."""
    md5_of_message_attributes: str | None = None
    """MD5 of the message attributes, when there are any."""
    event_source: str
    """``aws:sqs``."""
    event_source_arn: str = Field(alias="eventSourceARN")
    """The queue's ARN."""
    aws_region: str
    """The queue's region."""

    @property
    def queue_name(self) -> str:
        """The queue's name, from its ARN."""
        return self.event_source_arn.rsplit(":", 1)[-1]

    def _json_body(self) -> dict[str, Any] | None:
        """The body as a JSON object, or None when it is not one."""
        if not self.body.lstrip().startswith("{"):
            return None
        import json

        try:
            data = json.loads(self.body)
        except (ValueError, RecursionError):
            return None
        return data if isinstance(data, dict) else None

    def sns_notification(self) -> SNSNotification | None:
        """The SNS notification the body carries (a topic subscription with raw message delivery off).

        Returns:
            The notification, or None when the body is not an SNS notification's JSON (plain text,
            other JSON, a raw delivery).

        Raises:
            pydantic.ValidationError: the body is an SNS notification (``"Type": "Notification"``
                with a ``TopicArn``) with a field of the wrong type.

        Example:
            >>> notification = record.sns_notification()  # doctest: +SKIP
            >>> notification.topic_arn if notification else None  # doctest: +SKIP
            'arn:aws:sns:us-west-2:123456789012:MyTopic'
        """
        data = self._json_body()
        if data is None or data.get("Type") != "Notification" or "TopicArn" not in data:
            return None
        from lambda_otel_lite.events.sns import SNSNotification

        return SNSNotification.model_validate(data)

    def s3_event(self) -> S3Event | None:
        """The S3 event notification the body carries (a bucket notifying the queue).

        Returns:
            The notification, or None when the body is not an S3 event notification's JSON (plain
            text, other JSON, the ``s3:TestEvent`` S3 sends when notifications are configured).

        Raises:
            pydantic.ValidationError: the body is an S3 event notification (``Records`` with an
                ``"eventSource": "aws:s3"`` record) with a field of the wrong type.

        Example:
            >>> notification = record.s3_event()  # doctest: +SKIP
            >>> notification.records[0].s3.bucket.name if notification else None  # doctest: +SKIP
            'amzn-s3-demo-bucket'
        """
        data = self._json_body()
        records = data.get("Records") if data is not None else None
        if not isinstance(records, list) or not any(
            isinstance(record, dict) and record.get("eventSource") == "aws:s3" for record in records
        ):
            return None
        from lambda_otel_lite.events.s3 import S3Event

        return S3Event.model_validate(data)


class SQSEvent(EventModel):
    """A batch of SQS messages delivered to a function."""

    source_key: ClassVar[str] = "sqs"

    records: list[SQSRecord] = Field(alias="Records")
    """The messages, in the order SQS delivered them."""
