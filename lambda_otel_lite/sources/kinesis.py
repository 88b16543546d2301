"""Kinesis Data Streams: one CONSUMER span per batch of records; partial batch responses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lambda_otel_lite import semconv
from lambda_otel_lite.sources._base import MessagingSource, arn_resource, mapping, text

if TYPE_CHECKING:
    from collections.abc import Mapping


class KinesisSource(MessagingSource):
    """Kinesis batches: the stream is the destination (``arn:...:stream/NAME``). A record has no
    place for a trace context but its data: without a record carrier extractor registered for
    ``"kinesis"`` (:func:`~lambda_otel_lite.propagation.json_record_carrier`), the batch span has no
    links and nothing is read.

    ``messaging.system`` is ``aws.kinesis``: the conventions have no value for Kinesis, and this
    follows the spelling of their newest AWS value, ``aws.sns``.
    """

    __slots__ = ()
    key = "kinesis"
    system = semconv.SYSTEM_KINESIS
    batch_failures = True

    def destination(self, record: Mapping[str, Any]) -> str | None:
        return arn_resource(record.get("eventSourceARN"), "/")

    def record_id(self, record: Mapping[str, Any]) -> str | None:
        return text(mapping(record.get("kinesis")).get("sequenceNumber"))
