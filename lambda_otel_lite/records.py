"""A span per record of a batch (SQS, SNS, Kinesis, DynamoDB Streams), and partial batch responses.

Two ways, for typed models and raw dicts alike::

    @instrumented
    def handler(event: SQSEvent, context):
        for record, span in traced_records(event):
            with span:              # the record's span, current inside the block
                handle(record)      # an exception is recorded on this record's span, and propagates

    @instrumented
    def handler(event: SQSEvent, context):
        return process_records(event, handle)   # {"batchItemFailures": [...]}, as Powertools' BatchProcessor

Each record span is a child of the invocation (batch) span and links to the record's producer
context. It ends when the invocation does, with the time its block was left: so when the handler
returns a partial batch response (``batchItemFailures``, whoever built it), the spans of the records
it names get status ERROR, and the batch span records how many records failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from lambda_otel_lite._log import OnceLogger
from lambda_otel_lite.telemetry import CURRENT_INVOCATION, STATE

if TYPE_CHECKING:
    from types import TracebackType

    from lambda_otel_lite.invocation import Invocation
    from lambda_otel_lite.sources import EventSource

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)

FAILED_COUNT = "lambda_otel_lite.batch.failed_count"
"""Records named in the handler's ``batchItemFailures`` (set on the batch span when it returns one)."""


class RecordSpan:
    """The span of one record, as a context manager: ``with span:`` around the record's processing.

    Entering starts the span (a child of the invocation span, linked to the record's producer) and
    makes it current; leaving records an exception (status ERROR) and the end time. The span ends
    with the invocation, at that time, once the handler's response is known.

    Example:
        >>> for record, span in traced_records({"Records": []}):
        ...     with span:
        ...         pass
    """

    __slots__ = ("_attributes", "_end_ns", "_invocation", "_link", "_name", "_span", "_token", "record_id")

    def __init__(
        self,
        invocation: Invocation | None,
        name: str,
        attributes: dict[str, Any],
        link: Link | None,
        record_id: str | None,
    ) -> None:
        self._invocation = invocation
        self._name = name
        self._attributes = attributes
        self._link = link
        self.record_id = record_id
        """The record's ``itemIdentifier`` in a partial batch response."""
        self._span: trace.Span | None = None
        self._token: object = None
        self._end_ns: int | None = None

    @property
    def span(self) -> trace.Span:
        """The record's span (``INVALID_SPAN`` before the block is entered)."""
        return self._span if self._span is not None else trace.INVALID_SPAN

    def __enter__(self) -> trace.Span:
        invocation = self._invocation
        tracer = STATE.tracer or trace.get_tracer("lambda_otel_lite")
        parent = trace.set_span_in_context(invocation.span) if invocation is not None else None
        try:
            self._span = tracer.start_span(
                self._name,
                context=parent,
                kind=SpanKind.CONSUMER,
                attributes=self._attributes,
                links=[self._link] if self._link is not None else None,
            )
        except Exception:
            _once.warning("record-span", "Starting a record span raised; the record is not traced", exc_info=True)
            self._span = trace.INVALID_SPAN
        self._token = context_api.attach(trace.set_span_in_context(self._span))
        if invocation is not None:
            invocation.record_spans.append(self)
        return self._span

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        span = self.span
        if exc is not None:
            try:
                span.record_exception(exc, escaped=True)
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            except Exception:
                _once.warning("record-exception", "Recording an exception on a record span raised", exc_info=True)
        try:
            context_api.detach(self._token)  # type: ignore[arg-type]
        except Exception:
            _once.warning("record-detach", "Restoring the context after a record span failed", exc_info=True)
        self._end_ns = time.time_ns()
        if self._invocation is None:
            span.end(self._end_ns)  # no invocation to wait for

    def _finish(self, failed: bool, timed_out: bool) -> None:
        if timed_out and self._end_ns is None:
            return  # still open: the timeout path ends it as cut short
        span = self.span
        try:
            if failed:
                span.set_status(Status(StatusCode.ERROR, "The record is in the handler's batchItemFailures"))
            span.end(self._end_ns)
        except Exception:
            _once.warning("record-end", "Ending a record span raised", exc_info=True)


def traced_records(event: Any) -> Iterator[tuple[Any, RecordSpan]]:
    """Each record of a batch *event* (typed model or raw dict) with its :class:`RecordSpan`.

    Outside an instrumented handler the spans are children of the current span and end at once.
    An event that is not a batch yields nothing.

    Example:
        >>> @instrumented
        ... def handler(event: SQSEvent, context):
        ...     for record, span in traced_records(event):
        ...         with span:
        ...             print(record.body)
    """
    invocation: Invocation | None = CURRENT_INVOCATION.get()
    raw = invocation.event if invocation is not None and invocation.event is not None else event
    source = _source(invocation, raw)
    raw_records = source.records(raw)
    records = _records(event) if not isinstance(event, Mapping) else raw_records
    # the contexts the invocation span linked, read from these very records when it started
    known = invocation.record_contexts if invocation is not None and raw is invocation.event else []
    names = STATE.names
    for index, record in enumerate(records):
        raw_record = raw_records[index] if index < len(raw_records) else _dump(record)
        raw_record = raw_record if isinstance(raw_record, Mapping) else {}
        attributes: dict[str, Any] = {}
        try:
            name = source.describe_record(raw_record, names, attributes)
            span_context = known[index] if index < len(known) else source.record_context(raw_record)
            record_id = source.record_id(raw_record)
        except Exception:
            _once.warning("describe-record", "Describing a record raised; its span is generic", exc_info=True)
            name, span_context, record_id = "process", None, None
        link = Link(span_context) if span_context is not None else None
        yield record, RecordSpan(invocation, name, attributes, link, record_id)


def process_records(event: Any, handle: Callable[[Any], object]) -> dict[str, list[dict[str, str]]]:
    """Call *handle* for each record of *event*, each in its record span; return the partial batch response.

    A record whose *handle* raises (an ``Exception``) is recorded as failed on its span and named in
    ``batchItemFailures`` (``{"itemIdentifier": ...}``: the SQS message id, the Kinesis or DynamoDB
    sequence number), the format of Powertools' ``BatchProcessor``. Processing goes on with the next
    record, except on an SQS FIFO queue, where the records after a failure are not processed and
    are reported failed too (Lambda would otherwise deliver them out of order).

    Example:
        >>> @instrumented
        ... def handler(event: SQSEvent, context):
        ...     return process_records(event, lambda record: save(record.body))
    """
    failures: list[dict[str, str]] = []
    fifo_failed = False
    for record, span in traced_records(event):
        if fifo_failed:
            if span.record_id:
                failures.append({"itemIdentifier": span.record_id})
            continue
        try:
            with span:
                handle(record)
        except Exception:
            if span.record_id:
                failures.append({"itemIdentifier": span.record_id})
            else:
                _once.warning(
                    "record-no-id", "A failed record has no identifier for batchItemFailures; it cannot be retried"
                )
            fifo_failed = _fifo(record)
    return {"batchItemFailures": failures}


def finish_records(invocation: Invocation, response: object, *, timed_out: bool = False) -> None:
    """End the invocation's record spans (ERROR for those in *response*'s ``batchItemFailures``) and
    record the failure count on the batch span. Called once, before the invocation span ends; on a
    timeout, for the record spans already left (the open ones are cut short with the rest)."""
    failed = failed_ids(response)
    spans, invocation.record_spans = invocation.record_spans, []
    for record_span in spans:
        record_span._finish(failed is not None and record_span.record_id in failed, timed_out)
    if failed is None or invocation.source is None or not invocation.source.batch_failures:
        return
    span = invocation.span
    span.set_attribute(FAILED_COUNT, len(failed))
    total = len(invocation.source.records(invocation.event)) if invocation.event is not None else 0
    if failed and total and len(failed) >= total:
        span.set_status(Status(StatusCode.ERROR, f"Every record of the batch failed ({total})"))


def failed_ids(response: object) -> set[str] | None:
    """The ``itemIdentifier`` values of a partial batch response, or None when *response* is not one."""
    items = response.get("batchItemFailures") if isinstance(response, Mapping) else None
    if items is None:
        items = getattr(response, "batch_item_failures", None)  # a model of the response
    if not isinstance(items, list):
        return None
    ids: set[str] = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, Mapping) else getattr(item, "item_identifier", None)
        if isinstance(identifier, str):
            ids.add(identifier)
    return ids


def _source(invocation: Invocation | None, raw: Any) -> EventSource:
    if invocation is not None and invocation.source is not None:
        return invocation.source
    from lambda_otel_lite.sources import detect_source

    return detect_source(raw)


def _records(event: Any) -> list[Any]:
    records = getattr(event, "records", None)
    return list(records) if isinstance(records, list | tuple) else []


def _dump(record: Any) -> Any:
    dump = getattr(record, "model_dump", None)
    return dump(by_alias=True) if callable(dump) else record


def _fifo(record: Any) -> bool:
    arn = record.get("eventSourceARN") if isinstance(record, Mapping) else getattr(record, "event_source_arn", None)
    return isinstance(arn, str) and arn.endswith(".fifo")
