"""Amazon Kinesis Data Streams events: a batch of records from one shard.

A record's ``data`` is kept as received, base64 (so the event round-trips unchanged), and decoded
when read through :attr:`KinesisData.decoded_data` or :attr:`KinesisData.decoded_text`.

Example:
    >>> from lambda_otel_lite.events import KinesisStreamEvent
    >>> event = KinesisStreamEvent.model_validate(raw_event)  # doctest: +SKIP
    >>> event.records[0].kinesis.decoded_text  # doctest: +SKIP
    'Hello, this is a test.'
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from lambda_otel_lite.events._base import EventModel

__all__ = ["KinesisData", "KinesisStreamEvent", "KinesisStreamRecord"]


class KinesisData(EventModel):
    """The Kinesis record itself (``Records[n].kinesis``)."""

    kinesis_schema_version: str
    """The record format version, ``1.0``."""
    partition_key: str
    """The partition key the producer gave the record."""
    sequence_number: str
    """The record's sequence number in its shard."""
    data: str
    """The record's data, base64 as received; see :attr:`decoded_data`."""
    approximate_arrival_timestamp: float
    """When the record reached the stream, in seconds since the epoch."""
    encryption_type: str | None = None
    """``KMS`` for a record encrypted on the server side, absent otherwise."""

    @property
    def decoded_data(self) -> bytes:
        """The record's data, base64-decoded.

        Raises:
            ValueError: ``data`` is not valid base64; the message names the record's sequence number.
        """
        import base64
        import binascii

        try:
            return base64.b64decode(self.data, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"the data of Kinesis record {self.sequence_number} is not valid base64: {exc}") from exc

    @property
    def decoded_text(self) -> str:
        """The record's data, base64-decoded, as UTF-8 text.

        Raises:
            ValueError: ``data`` is not valid base64, or not UTF-8 once decoded (``UnicodeDecodeError``).
        """
        return self.decoded_data.decode("utf-8")


class KinesisStreamRecord(EventModel):
    """One record of a Kinesis batch."""

    kinesis: KinesisData
    """The record."""
    event_source: str
    """``aws:kinesis``."""
    event_version: str
    """The event format version, ``1.0``."""
    event_id: str = Field(alias="eventID")
    """The shard and the sequence number, as ``shardId-000000000006:4959...``."""
    event_name: str
    """``aws:kinesis:record``."""
    invoke_identity_arn: str
    """The ARN of the role Lambda read the stream with."""
    aws_region: str
    """The stream's region."""
    event_source_arn: str = Field(alias="eventSourceARN")
    """The stream's ARN, as ``arn:aws:kinesis:<region>:<account>:stream/<name>``."""

    @property
    def stream_name(self) -> str:
        """The stream's name, from its ARN."""
        resource = self.event_source_arn.split(":", 5)[-1]
        parts = resource.split("/")
        return parts[1] if len(parts) > 1 else resource


class KinesisStreamEvent(EventModel):
    """A batch of Kinesis records from one shard, delivered to a function."""

    source_key: ClassVar[str] = "kinesis"

    records: list[KinesisStreamRecord] = Field(alias="Records")
    """The records, in the order of the shard."""
