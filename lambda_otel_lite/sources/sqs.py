"""SQS: one CONSUMER span per batch, in a new trace, linked to each traced message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry.trace import Link, SpanKind, get_current_span

from lambda_otel_lite import semconv
from lambda_otel_lite.sources._base import Attributes, EventSource, mapping, text

if TYPE_CHECKING:
    from lambda_otel_lite.semconv import AttributeNames


class SqsSource(EventSource):
    """SQS batches: a CONSUMER span per invocation, a new trace, one link per traced message.

    Follows the OpenTelemetry messaging conventions for batch receive: the messages of a batch come
    from many traces, so none is the parent; each message's context (its ``traceparent`` message
    attribute, or its ``AWSTraceHeader`` system attribute when the X-Ray propagator is configured)
    becomes a link.
    """

    __slots__ = ()
    key = "sqs"
    trigger = "pubsub"
    kind = SpanKind.CONSUMER

    def carrier(self, event: Any) -> object:
        return None

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes) -> str | None:
        records = event.get("Records")
        records = records if isinstance(records, list) else []
        first = mapping(records[0]) if records else {}
        arn = text(first.get("eventSourceARN"))
        queue = arn.rsplit(":", 1)[-1] if arn else None
        attributes[semconv.MESSAGING_SYSTEM] = "aws_sqs"
        for key in names.messaging_operation:
            attributes[key] = "process"
        attributes[semconv.MESSAGING_BATCH_MESSAGE_COUNT] = len(records)
        if queue:
            attributes[semconv.MESSAGING_DESTINATION_NAME] = queue
            return f"{queue} process"
        return "process"

    def links(self, event: Any) -> list[Link]:
        from lambda_otel_lite.propagation import extract_context

        links: list[Link] = []
        records = event.get("Records")
        for record in records if isinstance(records, list) else []:
            record = mapping(record)
            carrier: dict[str, Any] = dict(mapping(record.get("messageAttributes")))
            trace_header = mapping(record.get("attributes")).get("AWSTraceHeader")
            if isinstance(trace_header, str):
                # Read only by the X-Ray propagator, when it is configured.
                carrier["X-Amzn-Trace-Id"] = trace_header
            context = extract_context(carrier, "an SQS message")
            if context is None:
                continue
            span_context = get_current_span(context).get_span_context()
            if span_context.is_valid:
                links.append(Link(span_context))
        return links
