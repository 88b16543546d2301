"""What every event source shares: the :class:`EventSource` interface and the readers of raw events.

Every source reads the *raw* event (the JSON dict Lambda delivers). A typed handler's model only
selects the source up front; the attribute logic is the same code for both faces, and it never
depends on pydantic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from opentelemetry.baggage import get_all
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, get_current_span, set_span_in_context

from lambda_otel_lite import semconv
from lambda_otel_lite._mapping import find_key
from lambda_otel_lite.propagation import (
    RecordCarrierFunction,
    describe_extractor,
    extract_context,
    record_carrier,
)

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.util.types import AttributeValue

    from lambda_otel_lite._config import Config
    from lambda_otel_lite.semconv import AttributeNames

Attributes = dict[str, "AttributeValue"]


def header(headers: object, name: str) -> str | None:
    """Read header *name* from a header mapping, ignoring the case of its keys.

    Multi-value headers (a list of values) give their first value; anything that is not a mapping
    or not a string gives None.
    """
    if type(headers) is not dict and not isinstance(headers, Mapping):  # a dict first: an ABC check costs more
        return None
    key = find_key(headers, name)
    value: object = headers[key] if key is not None else None
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def mapping(value: object) -> Mapping[str, Any]:
    """*value* if it is a mapping, else an empty one (a dict is checked first: JSON events are dicts)."""
    return value if type(value) is dict or isinstance(value, Mapping) else {}


class EventSource:
    """How one kind of event maps onto the invocation span. Stateless; one instance per kind."""

    __slots__ = ()

    key: ClassVar[str] = "other"
    """A short name for the source, used in logs and tests."""
    trigger: ClassVar[str] = "other"
    """The ``faas.trigger`` value."""
    kind: ClassVar[SpanKind] = SpanKind.SERVER
    """The span kind the decorator uses when none is given."""
    http: ClassVar[bool] = False
    """Whether the event is an HTTP request: only then does a response's ``statusCode`` set the HTTP
    status attribute and, for 5xx, status ERROR (any other trigger's ``statusCode`` means nothing to
    Lambda, and the console's default template returns one for every function)."""

    def trigger_of(self, event: Any) -> str:
        """The ``faas.trigger`` of *event* (a source whose events differ overrides this)."""
        return self.trigger

    def kind_of(self, event: Any) -> SpanKind:
        """The span kind for *event* (a source whose events differ overrides this)."""
        return self.kind

    def carrier(self, event: Any) -> object:
        """What to extract a parent context from: the event's ``headers``, whatever they are.

        A value that is not a mapping is reported (once) by the extraction, not silently ignored;
        ``None`` means the event has no headers.
        """
        return event.get("headers") if isinstance(event, Mapping) else None

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes, config: Config) -> str | None:
        """Add this source's attributes to *attributes*; return the span name it suggests, if any.

        A function of its arguments: the attribute keys of the naming mode (*names*) and the parsed
        configuration (*config*: redacted query keys, known HTTP methods) are given by the caller;
        no source reads the library's global state.
        """
        return None

    def record_contexts(self, event: Any, extractor: RecordCarrierFunction | None = None) -> RecordContexts:
        """The producer's context of each record of a batch, in order (None for a record without one),
        read once per invocation: the invocation span links them all, and the record spans reuse them
        (with their baggage). *extractor* is the record carrier extractor registered for this trigger.
        Empty when neither it nor the source's built-in carrier can find one (nothing is read)."""
        if extractor is None and not self.carries_context:
            return NO_RECORD_CONTEXTS  # the common case (an HTTP request, a Kinesis batch): nothing to read
        contexts = RecordContexts()
        label = describe_extractor(extractor, f"the record carrier extractor for {self.key!r}") if extractor else ""
        for record in self.records(event):
            contexts.add(self.record_parent(record, extractor, label))
        return contexts

    # --- batches: per-record spans and partial batch responses ------------------------------

    batch_failures: ClassVar[bool] = False
    """Whether Lambda accepts a partial batch response (``batchItemFailures``) for this trigger."""

    def records(self, event: Any) -> list[Any]:
        """The raw records of a batch event (``Records``); none for other events."""
        records = event.get("Records") if isinstance(event, Mapping) else None
        return records if isinstance(records, list) else []

    def record_id(self, record: Mapping[str, Any]) -> str | None:
        """The record's ``itemIdentifier`` in a partial batch response (and its message id)."""
        return None

    carries_context: ClassVar[bool] = False
    """Whether the trigger's records have a built-in carrier (:meth:`record_context`)."""

    def record_context(self, record: Mapping[str, Any]) -> Context | None:
        """The producer's context the record's built-in carrier holds (a valid span context, and the
        baggage that came with it), if any."""
        return None

    def record_parent(self, record: object, extractor: RecordCarrierFunction | None, label: str) -> Context | None:
        """The producer's context of the raw *record*: the carrier *extractor* (named *label*) finds
        when it holds a valid span context, else the built-in carrier's."""
        if extractor is not None:
            context = context_of(record_carrier(extractor, record, label), label)
            if context is not None:
                return context
        return self.record_context(mapping(record)) if self.carries_context else None

    def describe_record(self, record: Mapping[str, Any], names: AttributeNames, attributes: Attributes) -> str:
        """Add the record span's attributes to *attributes*; return its name."""
        return "process"


class MessagingSource(EventSource):
    """A batch of messages (SQS, SNS, Kinesis): a CONSUMER span per invocation, in a new trace.

    Follows the OpenTelemetry messaging conventions for batch receive (semantic conventions v1.44.0,
    ``docs/messaging/messaging-spans.md``): the messages of a batch come from many traces, so none is
    the parent; each message's context becomes a link (of the batch span, and of the message's own
    span when the handler makes one). In every naming mode:

    - ``messaging.system``, ``messaging.operation.type`` and ``messaging.operation.name`` (``process``;
      ``docs/faas/aws-lambda.md``: "``messaging.operation.type`` MUST be set to ``process``"), and
      ``messaging.destination.name`` when every record names the same destination;
    - ``messaging.batch.message_count`` on a batch, never on a single message (``messaging-spans.md``:
      "SHOULD NOT" on spans that operate with a single message), which gets ``messaging.message.id``;
    - the name ``process {destination}`` (``messaging-spans.md``, "Span name":
      ``{messaging.operation.name} {destination}``; also the name of ``aws-lambda.md``'s own SQS
      example table), ``process multiple_sources`` for a batch from several destinations (the
      destination ``aws-lambda.md`` gives such a batch), ``process`` without one.
    """

    __slots__ = ()
    trigger = "pubsub"
    kind = SpanKind.CONSUMER
    system: ClassVar[str] = ""
    """``messaging.system``."""
    single_message: ClassVar[bool] = False
    """Whether Lambda delivers one message per invocation (SNS): the span then describes that message."""
    aws_key: ClassVar[str | None] = None
    """The registry's ``aws.*`` key naming the destination (the queue URL, topic ARN, stream name)."""

    def carrier(self, event: Any) -> object:
        return None

    def destination(self, record: Mapping[str, Any]) -> str | None:
        """``messaging.destination.name``: the queue, topic or stream the record came from."""
        return None

    def aws_value(self, record: Mapping[str, Any]) -> str | None:
        """The value of :attr:`aws_key` for *record*."""
        return None

    def _messaging(self, destination: str | None, attributes: Attributes) -> str:
        attributes[semconv.MESSAGING_SYSTEM] = self.system
        attributes[semconv.MESSAGING_OPERATION_TYPE] = "process"
        attributes[semconv.MESSAGING_OPERATION_NAME] = "process"
        if destination:
            attributes[semconv.MESSAGING_DESTINATION_NAME] = destination
        return messaging_name("process", destination)

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes, config: Config) -> str | None:
        records = self.records(event)
        if self.single_message and len(records) == 1:
            return self.describe_record(mapping(records[0]), names, attributes)
        attributes[semconv.MESSAGING_BATCH_MESSAGE_COUNT] = len(records)
        destinations: set[str | None] = set()
        values: set[str | None] = set()
        aws_key = self.aws_key
        for record in records:  # one pass: a batch has up to 10,000 records
            raw = mapping(record)
            destinations.add(self.destination(raw))
            if aws_key:
                values.add(self.aws_value(raw))
        if aws_key and len(values) == 1:
            value = values.pop()
            if value:
                attributes[aws_key] = value
        if len(destinations) > 1:  # a batch from several queues: the name says so, no destination is set
            self._messaging(None, attributes)
            return messaging_name("process", MULTIPLE_SOURCES)
        return self._messaging(destinations.pop() if destinations else None, attributes)

    def describe_record(self, record: Mapping[str, Any], names: AttributeNames, attributes: Attributes) -> str:
        message_id = self.record_id(record)
        if message_id:
            attributes[semconv.MESSAGING_MESSAGE_ID] = message_id
        if self.aws_key:
            value = self.aws_value(record)
            if value:
                attributes[self.aws_key] = value
        return self._messaging(self.destination(record), attributes)


MULTIPLE_SOURCES = "multiple_sources"
"""The destination of a batch from several queues (``docs/faas/aws-lambda.md``, "SQS event")."""


def context_of(carrier: Mapping[str, Any] | None, source: str) -> Context | None:
    """The context the configured propagators find in *carrier* (its span context, baggage) when it
    holds a valid span context, or None."""
    if not carrier:
        return None
    context = extract_context(carrier, source)
    if context is None:
        return None
    return context if get_current_span(context).get_span_context().is_valid else None


def span_context_in(span_context: SpanContext | None) -> Context | None:
    """A context holding *span_context* (from a carrier no propagator reads: an X-Ray header), or None."""
    return set_span_in_context(NonRecordingSpan(span_context)) if span_context is not None else None


def producer_of(context: Context | None) -> tuple[SpanContext | None, Mapping[str, object] | None]:
    """The span context and the baggage (None when empty) of a record's producer *context*."""
    if context is None:
        return None, None
    return get_current_span(context).get_span_context(), get_all(context) or None


class RecordContexts(list[SpanContext | None]):
    """The producer's span context of each record of a batch, in order (None for a record without
    one), as the batch span links them; and, by record index, the baggage of the records whose
    carrier had some (:attr:`baggage`), which the record spans make current.

    A list, so that it stands where a list of span contexts is expected (``Invocation.record_contexts``).
    """

    __slots__ = ("baggage",)

    def __init__(self) -> None:
        super().__init__()
        self.baggage: dict[int, Mapping[str, object]] = {}
        """The baggage of record *index*, for the records whose carrier had some."""

    def add(self, context: Context | None) -> None:
        """Append the producer *context* of the next record (None: it carries none)."""
        span_context, entries = producer_of(context)
        if entries:
            self.baggage[len(self)] = entries
        self.append(span_context)


NO_RECORD_CONTEXTS = RecordContexts()
"""The record contexts of an event whose records carry none (shared: never appended to)."""


def agreed[T](values: Iterable[T]) -> T | None:
    """The one value all of *values* are, or None when they differ or there are none."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


def document(
    collection: str | None, name: str | None, operation: str | None, moment: str | None, attributes: Attributes
) -> None:
    """The FaaS datasource attributes (``faas.document.*``) that have a value: collection, name, operation, time."""
    for key, value in (
        (semconv.FAAS_DOCUMENT_COLLECTION, collection),
        (semconv.FAAS_DOCUMENT_NAME, name),
        (semconv.FAAS_DOCUMENT_OPERATION, operation),
        (semconv.FAAS_DOCUMENT_TIME, moment),
    ):
        if value:
            attributes[key] = value


def arn_resource(arn: object, separator: str = ":") -> str | None:
    """The last part of an ARN after *separator* (``...:my-queue`` → ``my-queue``), or None."""
    value = text(arn)
    return value.rsplit(separator, 1)[-1] or None if value else None


def messaging_name(operation: str, destination: str | None) -> str:
    """``{operation} {destination}`` (``process orders``), or ``{operation}`` without a destination.

    ``docs/messaging/messaging-spans.md`` (v1.44.0), "Span name".
    """
    return f"{operation} {destination}" if destination else operation


def iso_time(epoch_seconds: object) -> str | None:
    """Seconds since the epoch (a DynamoDB stream's ``ApproximateCreationDateTime``) as ISO 8601 UTC."""
    if isinstance(epoch_seconds, bool) or not isinstance(epoch_seconds, int | float):
        return None
    import datetime

    try:
        moment = datetime.datetime.fromtimestamp(epoch_seconds, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
