"""Amazon EventBridge events: one event a rule matched, generic in the shape of its ``detail``.

``EventBridgeEvent[MyDetail]`` validates ``detail`` into ``MyDetail`` (any pydantic model);
``EventBridgeEvent`` on its own takes ``detail`` as received (a ``dict``). Scheduled events use the
same model: those of a scheduled rule (``source`` ``aws.events``, ``detail-type`` ``Scheduled
Event``, an empty ``detail``) and those of EventBridge Scheduler (``source`` ``aws.scheduler``,
whose ``detail`` is a JSON *string*, ``"{}"``: it is decoded, then validated like any other).

Example:
    >>> from lambda_otel_lite.events import EventBridgeEvent, S3EventBridgeDetail
    >>> event = EventBridgeEvent[S3EventBridgeDetail].model_validate(raw_event)  # doctest: +SKIP
    >>> event.detail.bucket.name  # doctest: +SKIP
    'amzn-s3-demo-bucket1'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import to_json

from lambda_otel_lite.events._base import EventModel

__all__ = ["EventBridgeEvent"]


class EventBridgeEvent[DetailT](EventModel):
    """An event an EventBridge rule delivered to a function (a custom, an AWS service's, or a scheduled event).

    ``detail`` sent as a JSON string (EventBridge Scheduler sends ``"{}"``) is decoded and then
    validated as ``DetailT``; a string that is not JSON is a validation error naming ``detail``.
    The model remembers the string it was given, and serialises ``detail`` back as that string
    (as a new JSON string when the decoded value has been changed since), so that
    ``model_dump(by_alias=True, exclude_unset=True)`` still gives back the event as received.
    """

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

    _detail_json: str | None = PrivateAttr(default=None)
    """``detail`` as received when it was a JSON string, else None."""

    @field_validator("detail", mode="before")
    @classmethod
    def _decode_detail(cls, value: Any) -> Any:
        """A JSON string (EventBridge Scheduler's ``"{}"``) becomes the value it encodes."""
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
            raise ValueError("a string detail must be JSON (EventBridge Scheduler sends '{}')") from None

    @model_validator(mode="wrap")
    @classmethod
    def _remember_detail_json(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """Keep the string a JSON-string ``detail`` came as, to serialise it back unchanged."""
        model = handler(data)
        if isinstance(data, Mapping):
            detail = data.get("detail")
            if isinstance(detail, str):
                model._detail_json = detail
        return model

    @field_serializer("detail", mode="wrap")
    def _encode_detail(self, value: Any, handler: SerializerFunctionWrapHandler) -> Any:
        """``detail`` as received when it came as a JSON string and still encodes the same value."""
        dumped = handler(value)
        received = self._detail_json
        if received is None:
            return dumped
        encoded = to_json(dumped)  # what json.dumps cannot encode (a datetime of a model) too
        return received if json.loads(received) == json.loads(encoded) else encoded.decode()
