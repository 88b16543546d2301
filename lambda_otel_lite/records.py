"""A span per record of a batch (SQS, Kinesis, DynamoDB Streams, SNS, S3), and where a failed record goes.

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
context; the producer's baggage is current inside its block. Where a record's context is: a record
carrier extractor registered for the trigger
(:func:`~lambda_otel_lite.propagation.register_record_carrier_extractor`), else the trigger's
built-in carrier (SQS and SNS message attributes, a sampled ``AWSTraceHeader``); for the record
spans only, ``get_carrier=`` comes first. It ends when the invocation does, with the time its block
was left: so when the handler returns a partial batch response (``batchItemFailures``, whoever built
it), the spans of the records it names get status ERROR, and the batch span records how many
records failed.

A failed record must reach Lambda's retry. Lambda honours a partial batch response for SQS, Kinesis
and DynamoDB Streams only (``EventSource.batch_failures``), and only when the event source mapping
has ``FunctionResponseTypes: [ReportBatchItemFailures]``. Every other trigger (SNS, S3, EventBridge:
asynchronous invocations) ignores the response: there, a failed record fails the invocation, so that
Lambda's retries, dead-letter queue and on-failure destination apply. :func:`process_records` does
so, and a handler that returns ``batchItemFailures`` for such a trigger is reported (a warning, and
an ERROR invocation span), since the records it names are lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import baggage as baggage_api
from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from lambda_otel_lite import semconv
from lambda_otel_lite._log import InternalErrors, OnceLogger
from lambda_otel_lite._state import CURRENT_INVOCATION, STATE
from lambda_otel_lite.propagation import describe_extractor, record_carrier, record_extractor
from lambda_otel_lite.sources import detect_source
from lambda_otel_lite.sources._base import RecordContexts, context_of, producer_of

if TYPE_CHECKING:
    from types import TracebackType

    from opentelemetry.context import Context
    from opentelemetry.trace import SpanContext

    from lambda_otel_lite._invocation import Invocation
    from lambda_otel_lite.propagation import RecordCarrierFunction
    from lambda_otel_lite.sources import EventSource

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)
_START = InternalErrors(_once, "record-span", "starting a record span raised; the record is not traced")
_LEAVE = InternalErrors(_once, "record-leave", "leaving a record span raised")
_END = InternalErrors(_once, "record-end", "ending a record span raised")
_BAGGAGE = InternalErrors(_once, "record-baggage", "setting a record's baggage raised; its block runs without it")
_DESCRIBE = InternalErrors(_once, "describe-record", "describing a record raised; its span is generic")

FAILED_COUNT = "lambda_otel_lite.batch.failed_count"
"""Records named in the handler's ``batchItemFailures`` (set on the batch span when it returns one:
for SQS, Kinesis and DynamoDB Streams always, for any other trigger when it names some)."""

IN_RESPONSE = "The record is in the handler's batchItemFailures"
"""Status description of a record span named in the response without an exception of its own."""

_GENERIC = "other"
"""``EventSource.key`` of an event of no known source."""


class RecordSpan:
    """The span of one record, as a context manager: ``with span:`` around the record's processing.

    Entering starts the span (a child of the invocation span, linked to the record's producer) and
    makes it current, with the baggage the record's carrier held (set over the invocation's own
    entries of the same names); leaving records an exception and the end time, and restores the
    context. The span ends with the invocation, at that time, once the handler's response is known.

    A record whose processing raised is ERROR with the exception as an event, ``error.type`` its
    canonical class name (:func:`lambda_otel_lite.semconv.error_type`) and the exception's message as
    the status description: semantic conventions v1.44.0, ``docs/general/recording-errors.md``, "When
    the operation fails with an exception, the span status description SHOULD be set to the
    exception message", and "It's NOT RECOMMENDED to duplicate status code or ``error.type`` in span
    status description". A record named in the handler's ``batchItemFailures`` without having raised
    is ERROR with ``error.type`` ``batch_item_failure`` (:data:`lambda_otel_lite.semconv.BATCH_ITEM_FAILURE`).

    Thread rules: enter and leave it in one thread (it attaches the span to that thread's context).

    Example:
        >>> for record, span in traced_records({"Records": []}):
        ...     with span:
        ...         pass
    """

    __slots__ = (
        "_attributes",
        "_baggage",
        "_end_ns",
        "_invocation",
        "_link",
        "_name",
        "_raised",
        "_span",
        "_token",
        "record_id",
    )

    def __init__(
        self,
        invocation: Invocation | None,
        name: str,
        attributes: dict[str, Any],
        link: Link | None,
        record_id: str | None,
        baggage: Mapping[str, object] | None = None,
    ) -> None:
        self._invocation = invocation
        self._name = name
        self._attributes = attributes
        self._link = link
        self._baggage = baggage
        self.record_id = record_id
        """The record's ``itemIdentifier`` in a partial batch response."""
        self._span: trace.Span | None = None
        self._token: object = None
        self._end_ns: int | None = None
        self._raised = False

    @property
    def span(self) -> trace.Span:
        """The record's span (``INVALID_SPAN`` before the block is entered)."""
        return self._span if self._span is not None else trace.INVALID_SPAN

    def __enter__(self) -> trace.Span:
        invocation = self._invocation
        self._span = trace.INVALID_SPAN
        with _START:
            tracer = STATE.tracer or trace.get_tracer("lambda_otel_lite")
            parent = trace.set_span_in_context(invocation.span) if invocation is not None else None
            self._span = tracer.start_span(
                self._name,
                context=parent,
                kind=SpanKind.CONSUMER,
                attributes=self._attributes,
                links=[self._link] if self._link is not None else None,
            )
        self._token = context_api.attach(trace.set_span_in_context(self._span, _with_baggage(self._baggage)))
        if invocation is not None and not invocation.finished:
            # it ends with the invocation; one that finished already (timed out) leaves it to this span's exit
            invocation.record_spans.append(self)
        return self._span

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        span = self.span
        with _LEAVE:
            try:
                if exc is not None:
                    self._raised = True
                    span.set_attribute(semconv.ERROR_TYPE, semconv.error_type(exc))
                    span.set_status(Status(StatusCode.ERROR, _message(exc)))
                    span.record_exception(exc, escaped=True)
            finally:
                try:
                    context_api.detach(self._token)  # type: ignore[arg-type]
                finally:
                    self._end_ns = time.time_ns()
                    invocation = self._invocation
                    # No invocation to wait for, or it ended first (timed out): this span ends itself
                    # now, unless the timeout cut it short already.
                    if (invocation is None or invocation.finished) and span.is_recording():
                        span.end(self._end_ns)

    def _finish(self, failed: bool, timed_out: bool) -> None:
        if timed_out and self._end_ns is None:
            return  # still open: the timeout path ends it as cut short
        span = self.span
        with _END:
            if failed and not self._raised:  # one that raised keeps its exception's error.type and message
                span.set_attribute(semconv.ERROR_TYPE, semconv.BATCH_ITEM_FAILURE)
                span.set_status(Status(StatusCode.ERROR, IN_RESPONSE))
            span.end(self._end_ns)


def _with_baggage(entries: Mapping[str, object] | None) -> Context | None:
    """The current context with the producer's baggage *entries* set (None: the current context as is)."""
    if not entries:
        return None
    context = context_api.get_current()
    with _BAGGAGE:
        for name, value in entries.items():
            context = baggage_api.set_baggage(name, value, context)
        return context
    return None


def traced_records(event: Any, *, get_carrier: RecordCarrierFunction | None = None) -> Iterator[tuple[Any, RecordSpan]]:
    """Each record of a batch *event* (typed model or raw dict) with its :class:`RecordSpan`.

    Outside an instrumented handler the spans are children of the current span and end at once.
    An event that is not a batch yields nothing.

    *get_carrier* finds a record's carrier for this loop's record spans: it receives each raw record
    (as Lambda delivers it, whatever the handler's event type) and returns a mapping of propagation
    fields or None, before the extractor registered for the trigger
    (:func:`~lambda_otel_lite.propagation.register_record_carrier_extractor`) and the built-in
    carrier, which serve a record it gives no valid context for. The batch span's links are not
    affected: that span started before the handler ran, with the registered and built-in carriers.

    Build the response as the trigger wants it: a partial batch response (``batchItemFailures``)
    for SQS, Kinesis and DynamoDB Streams; for any other trigger (SNS, S3), let a record's exception
    propagate, so that the invocation fails and Lambda retries it.

    Example:
        >>> @instrumented
        ... def handler(event: SQSEvent, context):
        ...     for record, span in traced_records(event):
        ...         with span:
        ...             print(record.body)
    """
    invocation: Invocation | None = CURRENT_INVOCATION.get()
    raw = _raw_event(invocation, event)
    return _traced(invocation, event, raw, _source(invocation, raw), get_carrier)


def _traced(
    invocation: Invocation | None,
    event: Any,
    raw: Any,
    source: EventSource,
    get_carrier: RecordCarrierFunction | None = None,
) -> Iterator[tuple[Any, RecordSpan]]:
    """The records of *event* with their spans; *raw* is its raw event, from *source*."""
    raw_records = source.records(raw)
    records = _records(event) if not isinstance(event, Mapping) else raw_records
    # the contexts the invocation span linked, read from these very records when it started
    known = invocation.record_contexts if invocation is not None and raw is invocation.event else None
    extractor = record_extractor(source.key) if known is None else None
    label = describe_extractor(extractor, f"the record carrier extractor for {source.key!r}") if extractor else ""
    override = describe_extractor(get_carrier, "get_carrier") if get_carrier is not None else ""
    names = STATE.names
    for index, record in enumerate(records):
        raw_record = raw_records[index] if index < len(raw_records) else _dump(record)
        attributes: dict[str, Any] = {}
        bag: Mapping[str, object] | None = None
        described_all = False
        with _DESCRIBE:
            described = raw_record if isinstance(raw_record, Mapping) else {}
            name = source.describe_record(described, names, attributes)
            context = context_of(record_carrier(get_carrier, raw_record, override), override) if get_carrier else None
            if context is not None:
                span_context, bag = producer_of(context)
            elif known is not None:
                span_context, bag = _known(known, index)
            else:
                span_context, bag = producer_of(source.record_parent(raw_record, extractor, label))
            record_id = source.record_id(described)
            described_all = True
        if not described_all:
            name, span_context, bag, record_id = "process", None, None, None
        link = Link(span_context) if span_context is not None else None
        yield record, RecordSpan(invocation, name, attributes, link, record_id, bag)


def _known(known: list[SpanContext | None], index: int) -> tuple[SpanContext | None, Mapping[str, object] | None]:
    """Record *index*'s span context and baggage, as the invocation read them when it started."""
    if index >= len(known):
        return None, None
    return known[index], known.baggage.get(index) if isinstance(known, RecordContexts) else None


def process_records(
    event: Any, handle: Callable[[Any], object], *, get_carrier: RecordCarrierFunction | None = None
) -> dict[str, list[dict[str, str]]]:
    """Call *handle* for each record of *event*, each in its record span; return the partial batch response.

    *get_carrier* finds a record's carrier for the record spans, as in :func:`traced_records`.

    What a record whose *handle* raises (an ``Exception``) becomes depends on the trigger; either way
    its span records the exception first:

    - SQS, Kinesis, DynamoDB Streams (Lambda accepts a partial batch response, with the event source
      mapping's ``FunctionResponseTypes: [ReportBatchItemFailures]``): the record is named in
      ``batchItemFailures`` (``{"itemIdentifier": ...}``: the SQS message id, the Kinesis or
      DynamoDB sequence number), the format of Powertools' ``BatchProcessor``, and processing goes
      on with the next record. On an SQS FIFO queue the records after a failure are not processed
      and are reported failed too (Lambda would otherwise deliver them out of order). A failed
      record without an identifier cannot be named: its exception propagates, so that Lambda
      retries the whole batch.
    - Any other trigger (SNS, S3, an unknown ``Records`` event): Lambda ignores a partial batch
      response there, so the first failure's exception propagates unchanged (the invocation fails,
      and Lambda's retries, dead-letter queue and on-failure destination apply), and the records
      after it are not processed: Lambda retries the whole event, so they would run twice. SNS and
      S3 deliver one record per event.

    The response is ``{"batchItemFailures": [...]}`` for every trigger (empty when nothing failed).

    Raises:
        TypeError: *event* is not a batch (its raw event has no ``Records`` list: an EventBridge
            event, an HTTP request). An empty ``Records`` list is a batch of none.
        Exception: what *handle* raised, as described above (bare ``raise``: its own type and traceback).

    Example:
        >>> @instrumented
        ... def handler(event: SQSEvent, context):
        ...     return process_records(event, lambda record: save(record.body))
    """
    invocation: Invocation | None = CURRENT_INVOCATION.get()
    raw = _raw_event(invocation, event)
    source = _source(invocation, raw)
    records = raw.get("Records") if isinstance(raw, Mapping) else None
    if not isinstance(records, list):
        raise TypeError(_not_a_batch(source, raw))
    partial = source.batch_failures
    failures: list[dict[str, str]] = []
    fifo_failure: Exception | None = None
    for record, span in _traced(invocation, event, raw, source, get_carrier):
        if fifo_failure is not None:  # not processed: named for a retry, in order
            if not span.record_id:
                raise fifo_failure  # it cannot be named: the whole batch is retried
            failures.append({"itemIdentifier": span.record_id})
            continue
        try:
            with span:
                handle(record)
        except Exception as failure:
            if not partial or not span.record_id:
                raise  # the invocation fails: Lambda retries the whole event
            failures.append({"itemIdentifier": span.record_id})
            if _fifo(record):
                fifo_failure = failure
    return {"batchItemFailures": failures}


def finish_records(invocation: Invocation, response: object, *, timed_out: bool = False) -> None:
    """End the invocation's record spans (ERROR for those in *response*'s ``batchItemFailures``) and
    record the failures on the batch span. Called once, before the invocation span ends; on a
    timeout, for the record spans already left (the open ones are cut short with the rest).

    For SQS, Kinesis and DynamoDB Streams the batch span gets :data:`FAILED_COUNT`, and is ERROR
    (``error.type`` ``batch_item_failure``) when every record of the batch failed. For a trigger
    whose response Lambda drops (SNS, S3, EventBridge, any ``Records`` event: not an HTTP request,
    not a direct invocation, whose caller reads it), a response naming records means they are lost:
    a warning (once per process) says so, and the invocation span is ERROR with ``error.type``
    ``batch_item_failure``.
    """
    items = _failure_items(response)
    failed = _identifiers(items) if items is not None else None
    spans, invocation.record_spans = invocation.record_spans, []
    for record_span in spans:
        record_span._finish(failed is not None and record_span.record_id in failed, timed_out)
    source = invocation.source
    if items is None or failed is None or source is None:
        return
    span = invocation.span
    if source.batch_failures:
        span.set_attribute(FAILED_COUNT, len(failed))
        total = len(source.records(invocation.event)) if invocation.event is not None else 0
        if failed and total and len(failed) >= total:
            span.set_attribute(semconv.ERROR_TYPE, semconv.BATCH_ITEM_FAILURE)
            span.set_status(Status(StatusCode.ERROR, f"Every record of the batch failed ({total})"))
        return
    if items and _response_dropped(source, invocation.event):
        _once.warning(
            "ignored-batch-item-failures",
            "The handler of an event of source %r returned batchItemFailures naming %d record(s), but Lambda "
            "honours a partial batch response only for SQS, Kinesis and DynamoDB Streams: it ignores this one, and "
            "those records are lost (no retry, no dead-letter queue or on-failure destination). Raise instead: let "
            "the record's exception propagate (process_records does), so that the invocation fails and Lambda "
            "retries it",
            source.key,
            len(items),
        )
        span.set_attribute(FAILED_COUNT, len(items))
        span.set_attribute(semconv.ERROR_TYPE, semconv.BATCH_ITEM_FAILURE)
        span.set_status(
            Status(
                StatusCode.ERROR,
                f"Lambda ignores batchItemFailures for this trigger: {len(items)} failed record(s) are not retried",
            )
        )


def warn_dropped_links(span: trace.Span, records: int) -> None:
    """One warning per process: the batch span of *records* records lost links to the SDK's link limit.

    The tracer provider keeps at most ``OTEL_SPAN_LINK_COUNT_LIMIT`` links per span (default 128,
    read when the provider is created, as ``SpanLimits``) and drops the rest without a word; the
    count comes from the span itself (``ReadableSpan.dropped_links``), so it is exact for any
    provider, one given its own ``SpanLimits`` too. Called only when *span* dropped some.
    """
    dropped = getattr(span, "dropped_links", 0)
    kept = len(getattr(span, "links", ()))
    _once.warning(
        "batch-links-dropped",
        "The batch span of %d records got %d links, but the tracer provider keeps at most %d per span "
        "(OTEL_SPAN_LINK_COUNT_LIMIT): %d were dropped. Each record span still links its own producer; set "
        "OTEL_SPAN_LINK_COUNT_LIMIT (before init_telemetry) to at least the batch size to keep them all",
        records,
        kept + dropped,
        kept,
        dropped,
    )


def failed_ids(response: object) -> set[str] | None:
    """The ``itemIdentifier`` values of a partial batch response, or None when *response* is not one."""
    items = _failure_items(response)
    return _identifiers(items) if items is not None else None


def _failure_items(response: object) -> list[Any] | None:
    """The ``batchItemFailures`` list of a response (a dict, or a model with ``batch_item_failures``)."""
    if isinstance(response, Mapping):
        items = response.get("batchItemFailures")
    else:
        try:
            items = getattr(response, "batch_item_failures", None)  # a model of the response
        except Exception:  # the response's own property raised: it is not read as a partial batch response
            items = None
    return items if isinstance(items, list) else None


def _identifiers(items: list[Any]) -> set[str]:
    ids: set[str] = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, Mapping) else getattr(item, "item_identifier", None)
        if isinstance(identifier, str):
            ids.add(identifier)
    return ids


def _response_dropped(source: EventSource, event: object) -> bool:
    """Whether Lambda drops the response of an invocation by *event*: not for an HTTP trigger, nor for
    a direct invocation (an event of no known source and without ``Records``), whose caller reads it."""
    if source.trigger_of(event) == "http":
        return False
    return source.key != _GENERIC or (isinstance(event, Mapping) and isinstance(event.get("Records"), list))


def _not_a_batch(source: EventSource, raw: object) -> str:
    if source.key != _GENERIC:
        what = f"an event of source {source.key!r}"
    elif isinstance(raw, Mapping):
        what = "an event of no known source"
    else:
        what = f"a {type(raw).__name__}, not an event"
    try:
        trigger = source.trigger_of(raw)
    except Exception:
        trigger = source.trigger
    return (
        f"process_records needs a batch event, one with a 'Records' list (SQS, Kinesis, DynamoDB Streams, SNS, S3); "
        f"it got {what} (faas.trigger {trigger!r}) without one. Process a single event in the handler itself"
    )


def _raw_event(invocation: Invocation | None, event: Any) -> Any:
    """The raw event of *event*: itself when a dict; the invocation's raw event for a typed model,
    or, outside an instrumented handler, the model as AWS delivered it (its aliases)."""
    if isinstance(event, Mapping):
        return event
    if invocation is not None and invocation.event is not None:
        return invocation.event
    return _dump(event)


def _source(invocation: Invocation | None, raw: Any) -> EventSource:
    if invocation is not None and invocation.source is not None and raw is invocation.event:
        return invocation.source
    return detect_source(raw)


def _records(event: Any) -> list[Any]:
    records = getattr(event, "records", None)
    return list(records) if isinstance(records, list | tuple) else []


def _dump(record: Any) -> Any:
    dump = getattr(record, "model_dump", None)
    return dump(by_alias=True) if callable(dump) else record


def _message(exc: BaseException) -> str | None:
    """The exception's message, or None when it has none (or its ``__str__`` raises)."""
    try:
        return str(exc) or None
    except Exception:
        return None


def _fifo(record: Any) -> bool:
    arn = record.get("eventSourceARN") if isinstance(record, Mapping) else getattr(record, "event_source_arn", None)
    return isinstance(arn, str) and arn.endswith(".fifo")
