"""EventBridge: custom and AWS events (CONSUMER, ``pubsub``), Scheduled Events (SERVER, ``timer``),
and S3 events delivered through EventBridge (SERVER, ``datasource``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind

from lambda_otel_lite import semconv
from lambda_otel_lite.sources._base import Attributes, EventSource, document, mapping, messaging_name, text

if TYPE_CHECKING:
    from lambda_otel_lite.semconv import AttributeNames

SCHEDULED = "Scheduled Event"
S3_OPERATIONS = {"Object Created": "insert", "Object Deleted": "delete"}


def _trigger(event: Any) -> str:
    """``timer`` for a Scheduled Event, ``datasource`` for an S3 event, ``pubsub`` for any other."""
    if not isinstance(event, Mapping):
        return "pubsub"
    source = event.get("source")
    if source == "aws.events" and event.get("detail-type") == SCHEDULED:
        return "timer"
    return "datasource" if source == "aws.s3" else "pubsub"


class EventBridgeSource(EventSource):
    """An EventBridge event. The conventions say nothing of EventBridge; this maps it as follows.

    - A Scheduled Event (``source`` ``aws.events``) is the FaaS ``timer`` trigger: SERVER, with
      ``faas.time`` (the event's ``time``).
    - An S3 event (``source`` ``aws.s3``) is the ``datasource`` trigger, with the ``faas.document.*``
      attributes of S3 notifications.
    - Any other event is ``pubsub``, CONSUMER, named ``process <source>`` (``<source> process``
      before the 1.27 conventions), with ``source``, ``detail-type`` and ``id`` as
      ``cloudevents.event_source``, ``cloudevents.event_type`` and ``cloudevents.event_id``: an
      EventBridge event is the CloudEvents notion of an event, though not one itself.
    """

    __slots__ = ()
    key = "eventbridge"
    trigger = "pubsub"
    kind = SpanKind.CONSUMER

    def trigger_of(self, event: Any) -> str:
        return _trigger(event)

    def kind_of(self, event: Any) -> SpanKind:
        return SpanKind.CONSUMER if _trigger(event) == "pubsub" else SpanKind.SERVER

    def carrier(self, event: Any) -> object:
        return None

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes) -> str | None:
        trigger = _trigger(event)
        if trigger == "timer":
            moment = text(event.get("time"))
            if moment:
                attributes[semconv.FAAS_TIME] = moment
            return None  # named after the function, as the conventions' timer spans are
        if trigger == "datasource":
            detail = mapping(event.get("detail"))
            document(
                text(mapping(detail.get("bucket")).get("name")),
                text(mapping(detail.get("object")).get("key")),
                S3_OPERATIONS.get(text(event.get("detail-type")) or ""),
                text(event.get("time")),
                attributes,
            )
            return None
        source = text(event.get("source"))
        for key, value in (
            (semconv.CLOUDEVENTS_EVENT_SOURCE, source),
            (semconv.CLOUDEVENTS_EVENT_TYPE, text(event.get("detail-type"))),
            (semconv.CLOUDEVENTS_EVENT_ID, text(event.get("id"))),
        ):
            if value:
                attributes[key] = value
        for key in names.messaging_operation:
            attributes[key] = "process"
        return messaging_name("process", source, names)
