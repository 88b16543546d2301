"""Attribute names for each naming mode (``OTEL_SEMCONV_STABILITY_OPT_IN``).

The default names are those of the seed README (``http.method``, ``http.status_code``,
``faas.cold_start``...), so dashboards built on it keep working. ``http`` switches to the current
stable OpenTelemetry names and ``http/dup`` emits both (the HTTP migration guide,
``docs/non-normative/http-migration.md`` of semantic conventions v1.44.0). Values are the same in
every mode, except that the current naming records an unknown HTTP method as ``_OTHER``. Messaging
attributes and span names follow the current messaging conventions in every mode: no release of
lambda-otel-lite ever had older ones.

Each field of :class:`AttributeNames` is the tuple of keys one logical attribute is written under,
resolved once at init, so the invocation path never branches on the mode.
"""

from __future__ import annotations

from typing import NamedTuple

from lambda_otel_lite._config import SemconvMode

# Names that are the same in every mode.
FAAS_TRIGGER = "faas.trigger"
FAAS_INVOCATION_ID = "faas.invocation_id"
CLOUD_ACCOUNT_ID = "cloud.account.id"
CLOUD_RESOURCE_ID = "cloud.resource_id"
HTTP_ROUTE = "http.route"
MESSAGING_SYSTEM = "messaging.system"
MESSAGING_DESTINATION_NAME = "messaging.destination.name"
MESSAGING_BATCH_MESSAGE_COUNT = "messaging.batch.message_count"
MESSAGING_MESSAGE_ID = "messaging.message.id"
MESSAGING_OPERATION_TYPE = "messaging.operation.type"
MESSAGING_OPERATION_NAME = "messaging.operation.name"

# messaging.system values (model/messaging/registry.yaml, v1.44.0), for the triggers and the outgoing calls
# alike. The registry has members for SQS and SNS only; its enums are open, and the Kinesis and
# EventBridge values follow the spelling of its newest AWS member, aws.sns.
SYSTEM_SQS = "aws_sqs"
SYSTEM_SNS = "aws.sns"
SYSTEM_KINESIS = "aws.kinesis"
SYSTEM_EVENTBRIDGE = "aws.eventbridge"
FAAS_DOCUMENT_COLLECTION = "faas.document.collection"
FAAS_DOCUMENT_OPERATION = "faas.document.operation"
FAAS_DOCUMENT_NAME = "faas.document.name"
FAAS_DOCUMENT_TIME = "faas.document.time"
FAAS_TIME = "faas.time"
CLOUDEVENTS_EVENT_ID = "cloudevents.event_id"
CLOUDEVENTS_EVENT_SOURCE = "cloudevents.event_source"
CLOUDEVENTS_EVENT_TYPE = "cloudevents.event_type"
ERROR_TYPE = "error.type"
AWS_LAMBDA_INVOKED_ARN = "aws.lambda.invoked_arn"
AWS_SQS_QUEUE_URL = "aws.sqs.queue.url"
AWS_SNS_TOPIC_ARN = "aws.sns.topic.arn"
AWS_KINESIS_STREAM_NAME = "aws.kinesis.stream_name"
HTTP_REQUEST_METHOD_ORIGINAL = "http.request.method_original"

BATCH_ITEM_FAILURE = "batch_item_failure"
"""``error.type`` of a record named in a partial batch response without an exception of its own, and of
a batch span every record of which failed (``docs/general/recording-errors.md``: a value of our own)."""


def error_type(exc: BaseException) -> str:
    """``error.type`` for *exc*: its canonical class name (``ValueError``, ``orders.errors.OutOfStock``).

    The registry's note on ``error.type`` (``model/error/registry.yaml``, v1.44.0): "its canonical class
    name identifying the type within the artifact SHOULD be used". Builtins go without ``builtins.``.
    """
    cls = type(exc)
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if not module or module == "builtins" else f"{module}.{name}"


class AttributeNames(NamedTuple):
    """The keys each logical attribute is written under in one naming mode."""

    method: tuple[str, ...]
    """The request method as sent (legacy only)."""
    request_method: tuple[str, ...]
    """The request method as the current conventions record it: a known method, else ``_OTHER`` (stable only)."""
    status_code: tuple[str, ...]
    target: tuple[str, ...]
    """Path plus query string (legacy only)."""
    path: tuple[str, ...]
    """Path alone (stable only)."""
    query: tuple[str, ...]
    """Query string without ``?`` (stable only)."""
    scheme: tuple[str, ...]
    host: tuple[str, ...]
    port: tuple[str, ...]
    client_address: tuple[str, ...]
    user_agent: tuple[str, ...]
    protocol_version: tuple[str, ...]
    cold_start: tuple[str, ...]


_LEGACY = AttributeNames(
    method=("http.method",),
    request_method=(),
    status_code=("http.status_code",),
    target=("http.target",),
    path=(),
    query=(),
    scheme=("http.scheme",),
    host=("net.host.name",),
    port=("net.host.port",),
    client_address=("http.client_ip",),
    user_agent=("http.user_agent",),
    protocol_version=(),
    cold_start=("faas.cold_start",),
)

_STABLE = AttributeNames(
    method=(),
    request_method=("http.request.method",),
    status_code=("http.response.status_code",),
    target=(),
    path=("url.path",),
    query=("url.query",),
    scheme=("url.scheme",),
    host=("server.address",),
    port=("server.port",),
    client_address=("client.address",),
    user_agent=("user_agent.original",),
    protocol_version=("network.protocol.version",),
    cold_start=("faas.coldstart",),
)


def _both(first: AttributeNames, second: AttributeNames) -> AttributeNames:
    """Every key of both."""
    return AttributeNames(*(a + b for a, b in zip(first, second, strict=True)))


_BY_MODE = {
    SemconvMode.LEGACY: _LEGACY,
    SemconvMode.STABLE: _STABLE,
    SemconvMode.DUP: _both(_LEGACY, _STABLE),
}


def attribute_names(mode: SemconvMode) -> AttributeNames:
    """The attribute keys for *mode*."""
    return _BY_MODE[mode]
