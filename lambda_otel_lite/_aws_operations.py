"""What each traced AWS operation's span says, and where its requests carry the context (v1.44.0).

- SQS ``SendMessage``/``SendMessageBatch``, SNS ``Publish``/``PublishBatch``: the W3C fields of the
  global propagators (``traceparent``, ``tracestate``, ``baggage``) as String message attributes,
  under a PRODUCER span (``docs/messaging/sqs.md``, ``sns.md``: ``send orders``, ``publish news``).
  A batch has one span, and every entry carries its context. SQS and SNS allow 10 attributes per
  message: what does not fit is left out, ``traceparent`` kept first, with one warning per process.
  ``Publish`` to a phone number or a mobile endpoint gets the span without a destination, and no
  attributes: nothing reads them there.
- Lambda ``Invoke``: the fields in the JSON payload's ``headers`` object, where
  opentelemetry-instrumentation-botocore puts them and where the invoked function's generic source
  reads its carrier, under a CLIENT span named after the function (``model/faas/spans.yaml``,
  ``faas.client``). The payload changes by that member only (the rest of its text is kept byte for
  byte); a payload that is not a JSON object, or whose ``headers`` is not one, goes out as it is.
- EventBridge ``PutEvents``, Kinesis ``PutRecord``/``PutRecords``, Step Functions
  ``StartExecution``: no W3C carrier exists (``TraceHeader`` and ``traceHeader`` take X-Ray's
  format, and setting them would override the request's ``X-Amzn-Trace-Id``), so nothing is
  injected (:func:`lambda_otel_lite.outgoing.inject_context` is for the payload). Their spans are
  CLIENT spans: ``docs/messaging/messaging-spans.md``, "Span kind", makes a send span PRODUCER only
  "if the context of the Send span is used as creation context, otherwise CLIENT", and
  ``StartExecution`` is the AWS SDK client span (``model/aws/sdk-spans.yaml``: ``SFN.StartExecution``).

A batch API's span has ``messaging.batch.message_count``, a single message's ``messaging.message.id``
(``messaging-spans.md``: "SHOULD use messaging.batch.message_count for batching APIs"). Partial
failures of a batch (``Failed`` entries) leave the status unset: the call itself succeeded.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from opentelemetry.trace import SpanKind, Status, StatusCode

from lambda_otel_lite import semconv
from lambda_otel_lite._aws_calls import CARRIED, Operation, carries_context
from lambda_otel_lite._log import OnceLogger
from lambda_otel_lite._mapping import find_key
from lambda_otel_lite.sources._base import arn_resource
from lambda_otel_lite.sources._base import text as nonempty_text

if TYPE_CHECKING:
    from opentelemetry import trace

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)

MAX_MESSAGE_ATTRIBUTES = 10
"""Per message. SQS rejects an 11th ("Message metadata for Amazon SQS"); SNS accepts more, but discards a
message with more than 10 instead of delivering it to an SQS subscription with raw message delivery
("Amazon SNS message attributes"): an 11th of ours could lose the message, silently."""
FAAS_INVOKED_NAME = "faas.invoked_name"
FAAS_INVOKED_PROVIDER = "faas.invoked_provider"
FAAS_INVOKED_REGION = "faas.invoked_region"
MESSAGING_DESTINATION_PARTITION_ID = "messaging.destination.partition.id"
AWS_STEP_FUNCTIONS_STATE_MACHINE_ARN = "aws.step_functions.state_machine.arn"


def _messaging(system: str, operation: str, destination: str | None, **more: Any) -> tuple[str, dict[str, Any]]:
    """``{operation} {destination}`` (``messaging-spans.md``, "Span name") and the attributes of a send."""
    attributes: dict[str, Any] = {
        semconv.MESSAGING_SYSTEM: system,
        semconv.MESSAGING_OPERATION_TYPE: "send",
        semconv.MESSAGING_OPERATION_NAME: operation,
    }
    if destination:
        attributes[semconv.MESSAGING_DESTINATION_NAME] = destination
    attributes.update((key, value) for key, value in more.items() if value is not None)
    return (f"{operation} {destination}" if destination else operation), attributes


# --- SQS and SNS: message attributes ----------------------------------------------------------------


class _MessageAttributes(Operation):
    """An operation whose messages have ``MessageAttributes``: the fields go there, as String values."""

    kind = SpanKind.PRODUCER
    entries_key: ClassVar[str | None] = None
    """The parameter listing a batch's entries; None when the parameters are the one message."""

    def entries(self, params: dict[str, Any]) -> list[Any]:
        if self.entries_key is None:
            return [params]
        entries = params.get(self.entries_key)
        return list(entries) if isinstance(entries, list | tuple) else []

    def plan(self, params: dict[str, Any]) -> object:
        entries = self.entries(params)
        for entry in entries:
            if isinstance(entry, Mapping) and carries_context(entry.get("MessageAttributes")):
                return CARRIED
        return entries or None

    def inject(self, params: dict[str, Any], plan: Any, fields: dict[str, str]) -> None:
        if self.entries_key is None:
            attributes = _with_fields(params.get("MessageAttributes"), fields, self.event)
            if attributes is not None:
                params["MessageAttributes"] = attributes
            return
        entries = []
        for entry in plan:  # new entries: the caller's dicts stay as they were
            attributes = (
                _with_fields(entry.get("MessageAttributes"), fields, self.event) if isinstance(entry, Mapping) else None
            )
            entries.append(entry if attributes is None else {**entry, "MessageAttributes": attributes})
        params[self.entries_key] = entries

    def count(self, params: dict[str, Any]) -> int | None:
        """``messaging.batch.message_count``: on every call of a batch API, never on a single message."""
        entries = params.get(self.entries_key) if self.entries_key is not None else None
        return len(entries) if isinstance(entries, list | tuple) else None

    def describe_response(self, parsed: Mapping[str, Any], span: trace.Span) -> None:
        message_id = nonempty_text(parsed.get("MessageId"))
        if message_id and self.entries_key is None:
            span.set_attribute(semconv.MESSAGING_MESSAGE_ID, message_id)


def _with_fields(attributes: object, fields: dict[str, str], event: str) -> dict[str, Any] | None:
    """A copy of *attributes* with the *fields* it lacks that fit, in their order; None when none is added."""
    if attributes is None:
        attributes = {}
    elif not isinstance(attributes, Mapping):
        return None  # botocore's validation reports it, as it would without us
    names = [name for name in fields if find_key(attributes, name) is None]
    room = max(MAX_MESSAGE_ATTRIBUTES - len(attributes), 0)
    if len(names) > room:
        _once.warning(
            "message-attributes-full",
            "A message of %s has %d message attributes, and SQS and SNS allow %d: the trace context fields "
            "%s are left out, so its consumer may not join the trace (logged once; nothing else is changed)",
            event,
            len(attributes),
            MAX_MESSAGE_ATTRIBUTES,
            ", ".join(names[room:]),
        )
        names = names[:room]
    if not names:
        return None
    return {**attributes, **{name: {"DataType": "String", "StringValue": fields[name]} for name in names}}


class _SqsSend(_MessageAttributes):
    """``send <queue>``, ``messaging.system`` ``aws_sqs`` (``docs/messaging/sqs.md``), the queue URL."""

    service, operation = "sqs", "SendMessage"

    def describe(self, params: dict[str, Any], context: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        url = nonempty_text(params.get("QueueUrl"))
        queue = arn_resource(url.rstrip("/"), "/") if url else None
        more = {semconv.AWS_SQS_QUEUE_URL: url, semconv.MESSAGING_BATCH_MESSAGE_COUNT: self.count(params)}
        return _messaging(semconv.SYSTEM_SQS, "send", queue, **more)


class _SqsSendBatch(_SqsSend):
    operation = "SendMessageBatch"
    entries_key = "Entries"


_TOPIC_ARN = re.compile(r"arn:[^:]+:sns:[^:]*:[^:]*:[^:/]+")


class _SnsPublish(_MessageAttributes):
    """``publish <topic>``, ``messaging.system`` ``aws.sns`` (``docs/messaging/sns.md``), the topic ARN.

    ``TargetArn`` names a topic or a mobile endpoint (``...:endpoint/GCM/app/id``), ``PhoneNumber`` a
    phone: neither of the last two is a destination of low cardinality, nor has a consumer to read
    attributes."""

    service, operation = "sns", "Publish"

    def topic(self, params: dict[str, Any]) -> str | None:
        arn = nonempty_text(params.get("TopicArn")) or nonempty_text(params.get("TargetArn"))
        return arn if arn and _TOPIC_ARN.fullmatch(arn) else None

    def entries(self, params: dict[str, Any]) -> list[Any]:
        return super().entries(params) if self.topic(params) else []

    def describe(self, params: dict[str, Any], context: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        topic = self.topic(params)
        more = {semconv.AWS_SNS_TOPIC_ARN: topic, semconv.MESSAGING_BATCH_MESSAGE_COUNT: self.count(params)}
        return _messaging(semconv.SYSTEM_SNS, "publish", arn_resource(topic, ":"), **more)


class _SnsPublishBatch(_SnsPublish):
    operation = "PublishBatch"
    entries_key = "PublishBatchRequestEntries"


# --- Lambda: the payload's headers ------------------------------------------------------------------

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index


Located = tuple[int, "tuple[int, int, Any] | None", bool]
"""Where a JSON object text opens; where its top-level ``headers`` value is and what it holds; whether
the object has members."""


def _locate_headers(text: str) -> Located | None:
    """Walk the top level of a JSON object text (``ValueError`` if a member is not JSON); None when
    *text* is not an object. With duplicate ``headers`` the last counts, as in every JSON parser."""
    start = _skip(text, 0)
    if text[start : start + 1] != "{":
        return None
    index = _skip(text, start + 1)
    found = None
    members = text[index : index + 1] != "}"
    while members:
        if text[index : index + 1] != '"':
            return None
        name, index = _DECODER.raw_decode(text, index)
        index = _skip(text, index)
        if text[index : index + 1] != ":":
            return None
        index = _skip(text, index + 1)
        value, end = _DECODER.raw_decode(text, index)
        if name == "headers":
            found = (index, end, value)
        index = _skip(text, end)
        if text[index : index + 1] == "}":
            break
        if text[index : index + 1] != ",":
            return None
        index = _skip(text, index + 1)
    return (start, found, members) if _skip(text, index + 1) == len(text) else None


def _object_start(text: str) -> Located | None:
    """For a text without ``"headers"``: where its object opens and whether it has members, judged by
    its first and last characters (the service checks the rest, as without us)."""
    start, end = _skip(text, 0), len(text.rstrip(_WHITESPACE))
    if end - start < 2 or text[start] != "{" or text[end - 1] != "}":
        return None
    return start, None, _skip(text, start + 1) < end - 1


def _payload_text(payload: object) -> str | None:
    """The payload as text, if it is text or UTF-8 bytes (a file object is left alone)."""
    if isinstance(payload, str):
        return payload
    if isinstance(payload, bytes | bytearray):
        try:
            return bytes(payload).decode()
        except UnicodeDecodeError:
            return None
    return None


_FUNCTION_ARN = re.compile(r"arn:[^:]+:lambda:([^:]*):[^:]*:function:([^:]+)(?::.*)?")


def _function(name: str | None) -> tuple[str | None, str | None]:
    """The name and region of a ``FunctionName``: a name or a partial or full ARN, with or without qualifier."""
    if not name:
        return None, None
    match = _FUNCTION_ARN.fullmatch(name)
    if match:
        return match.group(2), match.group(1) or None
    parts = name.split(":")
    if len(parts) >= 3 and parts[1] == "function":  # 123456789012:function:my-function[:qualifier]
        return parts[2] or None, None
    return parts[0] or None, None  # my-function[:qualifier]


class _LambdaInvoke(Operation):
    """A CLIENT span named after the invoked function, with ``faas.invoked_*`` (``model/faas/spans.yaml``);
    a function error (``FunctionError``: ``Unhandled``) is its ``error.type``."""

    service, operation = "lambda", "Invoke"

    def plan(self, params: dict[str, Any]) -> object:
        payload = params.get("Payload")
        text = _payload_text(payload)
        try:
            located = None if text is None else _locate_headers(text) if '"headers"' in text else _object_start(text)
        except ValueError:  # not JSON: Lambda says so, as it would without us
            located = None
        if located is None:
            logger.debug("The payload of an Invoke is not a JSON object: it goes out without a trace context")
            return None
        found = located[1]
        if found is not None:
            if not isinstance(found[2], dict):
                logger.debug(
                    "The headers of an Invoke's payload are not an object: it goes out without a trace context"
                )
                return None
            if carries_context(found[2]):
                return CARRIED
        return text, located, not isinstance(payload, str)

    def inject(self, params: dict[str, Any], plan: Any, fields: dict[str, str]) -> None:
        text, (start, found, members), binary = plan
        if found is None:
            member = '"headers":' + json.dumps(fields, separators=(",", ":")) + ("," if members else "")
            text = text[: start + 1] + member + text[start + 1 :]
        else:
            begin, end, headers = found
            added = {name: value for name, value in fields.items() if find_key(headers, name) is None}
            text = text[:begin] + json.dumps({**headers, **added}, separators=(",", ":")) + text[end:]
        params["Payload"] = text.encode() if binary else text

    def describe(self, params: dict[str, Any], context: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        name, region = _function(nonempty_text(params.get("FunctionName")))
        region = region or nonempty_text(context.get("client_region"))
        attributes = {FAAS_INVOKED_PROVIDER: "aws"}
        attributes.update(
            (key, value) for key, value in ((FAAS_INVOKED_NAME, name), (FAAS_INVOKED_REGION, region)) if value
        )
        return name or self.operation, attributes

    def describe_response(self, parsed: Mapping[str, Any], span: trace.Span) -> None:
        failure = nonempty_text(parsed.get("FunctionError"))
        if failure:
            span.set_attribute(semconv.ERROR_TYPE, failure)
            span.set_status(Status(StatusCode.ERROR, f"the invoked function failed ({failure})"))


# --- no W3C carrier: spans only ---------------------------------------------------------------------


class _PutEvents(Operation):
    """``send <event bus>``, ``messaging.system`` ``aws.eventbridge``. PutEvents is EventBridge's only
    way in, so one entry is a single message (``messaging.message.id``, ``cloudevents.*``), more a batch."""

    service, operation = "eventbridge", "PutEvents"

    def describe(self, params: dict[str, Any], context: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        raw = params.get("Entries")
        entries = (
            [entry if isinstance(entry, Mapping) else {} for entry in raw] if isinstance(raw, list | tuple) else []
        )
        buses = {arn_resource(nonempty_text(entry.get("EventBusName")), "/") or "default" for entry in entries}
        more: dict[str, Any] = {}
        if len(entries) == 1:
            more[semconv.CLOUDEVENTS_EVENT_SOURCE] = nonempty_text(entries[0].get("Source"))
            more[semconv.CLOUDEVENTS_EVENT_TYPE] = nonempty_text(entries[0].get("DetailType"))
        else:
            more[semconv.MESSAGING_BATCH_MESSAGE_COUNT] = len(entries)
        return _messaging(semconv.SYSTEM_EVENTBRIDGE, "send", buses.pop() if len(buses) == 1 else None, **more)

    def describe_response(self, parsed: Mapping[str, Any], span: trace.Span) -> None:
        results = parsed.get("Entries")
        if isinstance(results, list) and len(results) == 1 and isinstance(results[0], Mapping):
            event_id = nonempty_text(results[0].get("EventId"))
            if event_id:
                span.set_attribute(semconv.MESSAGING_MESSAGE_ID, event_id)
                span.set_attribute(semconv.CLOUDEVENTS_EVENT_ID, event_id)


class _PutRecord(Operation):
    """``send <stream>``, ``messaging.system`` ``aws.kinesis``, ``aws.kinesis.stream_name``; the shard is
    the partition, the sequence number the message id."""

    service, operation = "kinesis", "PutRecord"

    def describe(self, params: dict[str, Any], context: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        stream = nonempty_text(params.get("StreamName")) or arn_resource(nonempty_text(params.get("StreamARN")), "/")
        records = params.get("Records")
        count = len(records) if isinstance(records, list | tuple) else None
        more = {semconv.AWS_KINESIS_STREAM_NAME: stream, semconv.MESSAGING_BATCH_MESSAGE_COUNT: count}
        return _messaging(semconv.SYSTEM_KINESIS, "send", stream, **more)

    def describe_response(self, parsed: Mapping[str, Any], span: trace.Span) -> None:
        for key, name in (
            (MESSAGING_DESTINATION_PARTITION_ID, "ShardId"),
            (semconv.MESSAGING_MESSAGE_ID, "SequenceNumber"),
        ):
            value = nonempty_text(parsed.get(name))
            if value:
                span.set_attribute(key, value)


class _PutRecords(_PutRecord):
    operation = "PutRecords"

    def describe_response(self, parsed: Mapping[str, Any], span: trace.Span) -> None:
        return None  # a batch: records go to several shards


class _StartExecution(Operation):
    """``SFN.StartExecution``, the AWS SDK client span (``model/aws/sdk-spans.yaml``), with the state machine."""

    service, operation = "sfn", "StartExecution"

    def describe(self, params: dict[str, Any], context: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        attributes = {"rpc.system": "aws-api", "rpc.service": "SFN", "rpc.method": self.operation}
        for key, value in (
            ("cloud.region", nonempty_text(context.get("client_region"))),
            (AWS_STEP_FUNCTIONS_STATE_MACHINE_ARN, nonempty_text(params.get("stateMachineArn"))),
        ):
            if value:
                attributes[key] = value
        return f"SFN.{self.operation}", attributes


OPERATIONS: tuple[Operation, ...] = (
    _SqsSend(),
    _SqsSendBatch(),
    _SnsPublish(),
    _SnsPublishBatch(),
    _LambdaInvoke(),
    _PutEvents(),
    _PutRecord(),
    _PutRecords(),
    _StartExecution(),
)
_BEFORE = {f"before-parameter-build.{operation.event}": operation.before for operation in OPERATIONS}
_AFTER = {f"after-call.{operation.event}": operation.after for operation in OPERATIONS}
_ERROR = {f"after-call-error.{operation.event}": operation.error for operation in OPERATIONS}


def before_parameter_build(event_name: str, **kwargs: Any) -> None:
    """botocore's ``before-parameter-build`` of every call: one dict lookup for the others."""
    handler = _BEFORE.get(event_name)
    if handler is not None:
        handler(**kwargs)


def after_call(event_name: str, **kwargs: Any) -> None:
    """botocore's ``after-call`` of every call."""
    handler = _AFTER.get(event_name)
    if handler is not None:
        handler(**kwargs)


def after_call_error(event_name: str, **kwargs: Any) -> None:
    """botocore's ``after-call-error`` of every call."""
    handler = _ERROR.get(event_name)
    if handler is not None:
        handler(**kwargs)


HANDLERS: tuple[tuple[str, Any, str], ...] = (
    ("before-parameter-build", before_parameter_build, "lambda_otel_lite.before-parameter-build"),
    ("after-call", after_call, "lambda_otel_lite.after-call"),
    ("after-call-error", after_call_error, "lambda_otel_lite.after-call-error"),
)
"""``(event, handler, unique id)``. Three handlers for every call, dispatching on the event's full name
(``before-parameter-build.sqs.SendMessage``), rather than one per operation: botocore inspects each
handler it registers (about 60 us), and every new Session and every client found registers them."""
