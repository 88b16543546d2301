"""Amazon SNS events: notifications a topic delivered to a function, and the SNS notification JSON.

AWS spells every key of an SNS event in PascalCase (``Records``, ``Sns``, ``TopicArn``). An SNS
notification delivered to an SQS queue (raw message delivery off) is the same message as JSON in
the SQS message body, with ``SigningCertURL`` and ``UnsubscribeURL`` spelt in capitals: see
:class:`SNSNotification` and :meth:`lambda_otel_lite.events.SQSRecord.sns_notification`.

Example:
    >>> from lambda_otel_lite.events import SNSEvent
    >>> event = SNSEvent.model_validate(raw_event)  # doctest: +SKIP
    >>> event.records[0].sns.topic_arn  # doctest: +SKIP
    'arn:aws:sns:us-east-2:123456789012:sns-lambda'
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field

from lambda_otel_lite.events._base import EventModel, pascal_case

__all__ = ["SNSEvent", "SNSMessage", "SNSMessageAttribute", "SNSNotification", "SNSRecord"]


class SNSMessageAttribute(EventModel):
    """A message attribute set by the publisher (``MessageAttributes[name]``)."""

    model_config = ConfigDict(alias_generator=pascal_case)

    type: str
    """``String``, ``String.Array``, ``Number`` or ``Binary``."""
    value: str
    """The value (base64 for ``Binary``; a JSON array for ``String.Array``)."""


class SNSMessage(EventModel):
    """The notification of an SNS record (``Records[n].Sns``)."""

    model_config = ConfigDict(alias_generator=pascal_case)

    type: str
    """``Notification``."""
    message_id: str
    """The message's id; a retried delivery keeps the id of the original message."""
    topic_arn: str
    """The ARN of the topic the message was published to."""
    subject: str | None = None
    """The subject given at publication, if any (``null`` otherwise)."""
    message: str
    """The message as published."""
    timestamp: str
    """When the message was published, ISO 8601 in UTC, e.g. ``2019-01-02T12:45:07.000Z``."""
    signature_version: str | None = None
    """The version of the signature scheme: ``1`` (SHA1withRSA) or ``2`` (SHA256withRSA)."""
    signature: str | None = None
    """The base64 signature of the message's fields."""
    signing_cert_url: str | None = None
    """The URL of the certificate the message was signed with."""
    unsubscribe_url: str | None = None
    """The URL that unsubscribes the endpoint from the topic."""
    message_attributes: dict[str, SNSMessageAttribute] | None = None
    """The attributes the publisher set (a W3C ``traceparent`` among them, when propagated)."""

    @property
    def topic_name(self) -> str:
        """The topic's name, from its ARN."""
        return self.topic_arn.rsplit(":", 1)[-1]


class SNSRecord(EventModel):
    """One notification of an SNS event."""

    model_config = ConfigDict(alias_generator=pascal_case)

    event_version: str
    """The event format version, ``1.0``."""
    event_subscription_arn: str
    """The ARN of the function's subscription to the topic."""
    event_source: str
    """``aws:sns``."""
    sns: SNSMessage
    """The notification."""


class SNSEvent(EventModel):
    """Notifications an SNS topic delivered to a function (one record per invocation, in practice)."""

    model_config = ConfigDict(alias_generator=pascal_case)

    source_key: ClassVar[str] = "sns"

    records: list[SNSRecord]
    """The notifications."""


class SNSNotification(SNSMessage):
    """An SNS notification as JSON: the body of an SQS message from a topic (raw message delivery off).

    The same fields as :class:`SNSMessage`, with the two URLs spelt ``SigningCertURL`` and
    ``UnsubscribeURL``, as SNS writes them in this JSON.
    """

    signing_cert_url: str | None = Field(default=None, alias="SigningCertURL")
    """The URL of the certificate the message was signed with."""
    unsubscribe_url: str | None = Field(default=None, alias="UnsubscribeURL")
    """The URL that unsubscribes the queue from the topic."""
