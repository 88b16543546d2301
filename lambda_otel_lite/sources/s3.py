"""S3 event notifications: a SERVER span per delivery, with the ``faas.document.*`` attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind

from lambda_otel_lite.sources._base import Attributes, EventSource, agreed, document, mapping, text

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lambda_otel_lite._config import Config
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
    the object key the name, ``eventName`` gives the operation and ``eventTime`` the time. The
    bucket and the key are set only where every record agrees; the operation (required by
    ``model/faas/spans.yaml``, ``faas.datasource.server``) and the time are the first record's."""

    __slots__ = ()
    key = "s3"
    trigger = "datasource"
    kind = SpanKind.SERVER

    def carrier(self, event: Any) -> object:
        return None

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes, config: Config) -> str | None:
        records = [mapping(record) for record in self.records(event)]
        if not records:
            return None

        document(
            agreed(text(mapping(mapping(record.get("s3")).get("bucket")).get("name")) for record in records),
            agreed(object_key(text(mapping(mapping(record.get("s3")).get("object")).get("key"))) for record in records),
            s3_operation(text(records[0].get("eventName"))),
            text(records[0].get("eventTime")),
            attributes,
        )
        return None  # the conventions name a function's span after the function

    def describe_record(self, record: Mapping[str, Any], names: AttributeNames, attributes: Attributes) -> str:
        """The record's ``faas.document.*``; named ``{operation} {bucket}``, as DynamoDB records are."""
        s3 = mapping(record.get("s3"))
        bucket = text(mapping(s3.get("bucket")).get("name"))
        operation = s3_operation(text(record.get("eventName")))
        document(
            bucket,
            object_key(text(mapping(s3.get("object")).get("key"))),
            operation,
            text(record.get("eventTime")),
            attributes,
        )
        return " ".join(part for part in (operation, bucket) if part) or "process"
