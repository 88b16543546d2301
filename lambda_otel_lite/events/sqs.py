"""Amazon SQS events: a batch of messages from one queue."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field

from lambda_otel_lite.events._base import EventModel, pascal_case

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


class SQSEvent(EventModel):
    """A batch of SQS messages delivered to a function."""

    source_key: ClassVar[str] = "sqs"

    records: list[SQSRecord] = Field(alias="Records")
    """The messages, in the order SQS delivered them."""
