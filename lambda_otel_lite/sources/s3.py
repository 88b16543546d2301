"""S3 event notifications: a SERVER span per delivery, with the ``faas.document.*`` attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind

from lambda_otel_lite.sources._base import Attributes, EventSource, agreed, document, mapping, text

if TYPE_CHECKING:
    from lambda_otel_lite.semconv import AttributeNames


def s3_operation(event_name: str | None) -> str | None:
    """``ObjectCreated:Put`` → ``insert``; ``ObjectRemoved:*`` and lifecycle expirations → ``delete``."""
    if not event_name:
        return None
    if event_name.startswith("ObjectCreated"):
        return "insert"
    if event_name.startswith(("ObjectRemoved", "LifecycleExpiration")):
        return "delete"
    return None


def object_key(key: str | None) -> str | None:
    """The object key as stored: S3 notifications deliver it URL-encoded (``my+file%281%29.txt``)."""
    if not key:
        return None
    from urllib.parse import unquote_plus

    return unquote_plus(key)


class S3Source(EventSource):
    """S3 notifications, as the FaaS conventions' datasource trigger: the bucket is the collection,
    the object key the name, ``eventName`` gives the operation and ``eventTime`` the time. Set from
    the first record, and for the whole batch only where every record agrees."""

    __slots__ = ()
    key = "s3"
    trigger = "datasource"
    kind = SpanKind.SERVER

    def carrier(self, event: Any) -> object:
        return None

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes) -> str | None:
        records = [mapping(record) for record in self.records(event)]
        if not records:
            return None

        document(
            agreed(text(mapping(mapping(record.get("s3")).get("bucket")).get("name")) for record in records),
            agreed(object_key(text(mapping(mapping(record.get("s3")).get("object")).get("key"))) for record in records),
            agreed(s3_operation(text(record.get("eventName"))) for record in records),
            text(records[0].get("eventTime")),
            attributes,
        )
        return None  # the conventions name a function's span after the function
