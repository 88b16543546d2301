"""Amazon DynamoDB Streams events: a batch of item changes from one table's stream.

The item images and keys are kept in DynamoDB's attribute-value form
(``{"Id": {"N": "101"}}``), as received.

Example:
    >>> from lambda_otel_lite.events import DynamoDBStreamEvent
    >>> event = DynamoDBStreamEvent.model_validate(raw_event)  # doctest: +SKIP
    >>> event.records[0].table_name  # doctest: +SKIP
    'ExampleTableWithStream'
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from lambda_otel_lite.events._base import EventModel, pascal_case

__all__ = ["DynamoDBStreamEvent", "DynamoDBStreamRecord", "DynamoDBUserIdentity", "StreamRecord"]


class StreamRecord(EventModel):
    """The change itself (``Records[n].dynamodb``; AWS spells its keys in PascalCase)."""

    model_config = ConfigDict(alias_generator=pascal_case)

    approximate_creation_date_time: int | float | None = None
    """When the change was made, in seconds since the epoch."""
    keys: dict[str, Any]
    """The item's primary key attributes, as attribute values (``{"Id": {"N": "101"}}``)."""
    new_image: dict[str, Any] | None = None
    """The item after the change, for ``NEW_IMAGE`` and ``NEW_AND_OLD_IMAGES`` streams."""
    old_image: dict[str, Any] | None = None
    """The item before the change, for ``OLD_IMAGE`` and ``NEW_AND_OLD_IMAGES`` streams."""
    sequence_number: str
    """The record's sequence number in its shard."""
    size_bytes: int
    """The size of the record in bytes."""
    stream_view_type: str
    """What the stream carries: ``KEYS_ONLY``, ``NEW_IMAGE``, ``OLD_IMAGE`` or ``NEW_AND_OLD_IMAGES``."""


class DynamoDBUserIdentity(EventModel):
    """Who made the change, for changes DynamoDB made itself (items deleted by Time to Live)."""

    type: str
    """``Service``."""
    principal_id: str
    """``dynamodb.amazonaws.com``."""


class DynamoDBStreamRecord(EventModel):
    """One change of a DynamoDB Streams batch."""

    event_id: str = Field(alias="eventID")
    """The record's id."""
    event_name: Literal["INSERT", "MODIFY", "REMOVE"]
    """What happened to the item: ``INSERT``, ``MODIFY`` or ``REMOVE``."""
    event_version: str
    """The record format version, e.g. ``1.1``."""
    event_source: str
    """``aws:dynamodb``."""
    aws_region: str
    """The table's region."""
    dynamodb: StreamRecord
    """The change."""
    event_source_arn: str = Field(alias="eventSourceARN")
    """The stream's ARN, as ``arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>``."""
    user_identity: DynamoDBUserIdentity | None = None
    """Set for changes DynamoDB made itself (Time to Live deletions)."""

    @property
    def table_name(self) -> str:
        """The table's name, from the stream's ARN."""
        resource = self.event_source_arn.split(":", 5)[-1]
        parts = resource.split("/")
        return parts[1] if len(parts) > 1 and parts[0] == "table" else resource


class DynamoDBStreamEvent(EventModel):
    """A batch of DynamoDB Streams records delivered to a function."""

    source_key: ClassVar[str] = "dynamodb"

    records: list[DynamoDBStreamRecord] = Field(alias="Records")
    """The changes, in the order of the stream."""
