"""Amazon EventBridge events: one event a rule matched, generic in the shape of its ``detail``.

``EventBridgeEvent[MyDetail]`` validates ``detail`` into ``MyDetail`` (any pydantic model);
``EventBridgeEvent`` on its own takes ``detail`` as received (a ``dict``). Scheduled events
(``source`` ``aws.events``, ``detail-type`` ``Scheduled Event``, an empty ``detail``) use the
same model.

Example:
    >>> from lambda_otel_lite.events import EventBridgeEvent, S3EventBridgeDetail
    >>> event = EventBridgeEvent[S3EventBridgeDetail].model_validate(raw_event)  # doctest: +SKIP
    >>> event.detail.bucket.name  # doctest: +SKIP
    'amzn-s3-demo-bucket1'
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from lambda_otel_lite.events._base import EventModel

__all__ = ["EventBridgeEvent"]


class EventBridgeEvent[DetailT](EventModel):
    """An event an EventBridge rule delivered to a function (a custom, an AWS service's, or a scheduled event)."""

    source_key: ClassVar[str] = "eventbridge"

    version: str
    """The event format version, ``0``."""
    id: str
    """EventBridge's id for the event (a UUID)."""
    detail_type: str = Field(alias="detail-type")
    """What happened, e.g. ``Object Created`` or ``Scheduled Event``; with ``source``, the shape of ``detail``."""
    source: str
    """Who sent the event: ``aws.<service>`` for AWS services, any other name for custom events."""
    account: str
    """The AWS account the event came from."""
    time: str
    """When the event happened, ISO 8601 in UTC, e.g. ``2016-12-30T18:44:49Z``."""
    region: str
    """The region the event came from."""
    resources: list[str]
    """ARNs of the resources the event concerns (the rule, for a scheduled event); may be empty."""
    detail: DetailT
    """The event's own data, shaped by ``source`` and ``detail-type``."""
    replay_name: str | None = Field(default=None, alias="replay-name")
    """The name of the archive replay that sent the event again, for a replayed event."""
