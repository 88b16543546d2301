"""EventBridge: custom and AWS events (CONSUMER, ``pubsub``), Scheduled Events of scheduled rules and of
EventBridge Scheduler (SERVER, ``timer``), and S3 events delivered through EventBridge (SERVER,
``datasource``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind

from lambda_otel_lite import semconv
from lambda_otel_lite.sources._base import Attributes, EventSource, document, mapping, text

if TYPE_CHECKING:
    from lambda_otel_lite._config import Config
    from lambda_otel_lite.semconv import AttributeNames

SCHEDULED = "Scheduled Event"
SCHEDULERS = ("aws.events", "aws.scheduler")
"""The ``source`` of a Scheduled Event: a scheduled rule (``aws.events``) or EventBridge Scheduler
(``aws.scheduler``, which AWS recommends over scheduled rules)."""
S3_OPERATIONS = {"Object Created": "insert", "Object Deleted": "delete"}
SYSTEM = semconv.SYSTEM_EVENTBRIDGE
"""``messaging.system`` of an EventBridge event. The registry (``model/messaging/registry.yaml``,
semantic conventions v1.44.0) has no value for EventBridge; this one is spelled as its newest AWS
value, ``aws.sns`` (the older ``aws_sqs`` predates that spelling)."""
OPERATION = "process"


def _trigger(event: Any) -> str:
    """``timer`` for a Scheduled Event, ``datasource`` for an S3 event, ``pubsub`` for any other."""
    if not isinstance(event, Mapping):
        return "pubsub"
    source = event.get("source")
    if source in SCHEDULERS and event.get("detail-type") == SCHEDULED:
        return "timer"
    return "datasource" if source == "aws.s3" else "pubsub"


class EventBridgeSource(EventSource):
    """An EventBridge event. The conventions say nothing of EventBridge; this maps it as follows.

    - A Scheduled Event, of a scheduled rule (``source`` ``aws.events``) or of EventBridge
      Scheduler (``source`` ``aws.scheduler``, ``detail`` the string ``"{}"``), is the FaaS
      ``timer`` trigger: SERVER, with ``faas.time`` (the event's ``time``), named after the function
      (``docs/faas/faas-spans.md``, v1.44.0: "Timer" trigger).
    - An S3 event (``source`` ``aws.s3``) is the ``datasource`` trigger, with the ``faas.document.*``
      attributes of S3 notifications.
    - Any other event is ``pubsub``, CONSUMER, named ``process <source>`` in every naming mode
      (``docs/messaging/messaging-spans.md``, "Span name": ``{messaging.operation.name} {destination}``),
      with ``messaging.system`` ``aws.eventbridge`` (:data:`SYSTEM`; no registry value exists),
      ``messaging.operation.type`` and ``messaging.operation.name`` ``process``
      (``model/messaging/registry.yaml``: ``process``, "One or more messages are processed by a
      consumer"; ``docs/faas/aws-lambda.md``, "SQS event": "``messaging.operation.type`` MUST be set
      to ``process``", the rule of the one message trigger the conventions describe), the deprecated
      ``messaging.operation`` never, and ``source``, ``detail-type`` and ``id`` as
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

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes, config: Config) -> str | None:
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
        attributes[semconv.MESSAGING_SYSTEM] = SYSTEM
        attributes[semconv.MESSAGING_OPERATION_TYPE] = OPERATION
        attributes[semconv.MESSAGING_OPERATION_NAME] = OPERATION
        return f"{OPERATION} {source}" if source else OPERATION
