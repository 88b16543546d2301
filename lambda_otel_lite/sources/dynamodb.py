"""DynamoDB Streams: a SERVER span per batch, with the ``faas.document.*`` attributes; partial batch responses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind

from lambda_otel_lite.sources._base import Attributes, EventSource, agreed, document, iso_time, mapping, text

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lambda_otel_lite._config import Config
    from lambda_otel_lite.semconv import AttributeNames

OPERATIONS = {"INSERT": "insert", "MODIFY": "edit", "REMOVE": "delete"}
"""Stream event names as ``faas.document.operation`` values."""


def table_name(record: Mapping[str, Any]) -> str | None:
    """``arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`` → ``NAME``."""
    arn = text(record.get("eventSourceARN"))
    if not arn:
        return None
    parts = arn.split("/")
    return parts[1] or None if len(parts) > 1 and parts[0].endswith(":table") else None


def _operation(record: Mapping[str, Any]) -> str | None:
    return OPERATIONS.get(text(record.get("eventName")) or "")


def _moment(record: Mapping[str, Any]) -> str | None:
    return iso_time(mapping(record.get("dynamodb")).get("ApproximateCreationDateTime"))


class DynamoDbSource(EventSource):
    """DynamoDB stream batches, as the FaaS conventions' datasource trigger.

    ``faas.document.collection`` is the table (the conventions' own examples are S3 and Cosmos DB:
    the collection is where the operation happened). ``faas.document.operation`` (insert, edit,
    delete) and ``faas.document.time`` (``ApproximateCreationDateTime``) are the first record's: the
    conventions require the operation on a datasource span (``model/faas/spans.yaml``,
    ``faas.datasource.server``), and a batch of several operations has no one value. Each record's
    span (``traced_records``) carries its own.

    A stream record carries no trace context of AWS's making; one the writer stored in the item is
    read by a record carrier extractor registered for ``"dynamodb"``, and then links the batch span
    and the record's span.
    """

    __slots__ = ()
    key = "dynamodb"
    trigger = "datasource"
    kind = SpanKind.SERVER
    batch_failures = True

    def carrier(self, event: Any) -> object:
        return None

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes, config: Config) -> str | None:
        records = [mapping(record) for record in self.records(event)]
        document(
            agreed(table_name(record) for record in records),
            None,
            _operation(records[0]) if records else None,
            _moment(records[0]) if records else None,
            attributes,
        )
        return None  # the conventions name a function's span after the function

    def record_id(self, record: Mapping[str, Any]) -> str | None:
        return text(mapping(record.get("dynamodb")).get("SequenceNumber"))

    def describe_record(self, record: Mapping[str, Any], names: AttributeNames, attributes: Attributes) -> str:
        table = table_name(record)
        operation = _operation(record)
        document(table, None, operation, _moment(record), attributes)
        return " ".join(part for part in (operation, table) if part) or "process"
