"""Attribute names for each naming mode (``OTEL_SEMCONV_STABILITY_OPT_IN``).

The default names are those of the seed README (``http.method``, ``http.status_code``,
``faas.cold_start``...), so dashboards built on it keep working. ``http`` switches to the current
stable OpenTelemetry names and ``http/dup`` emits both. Values are the same in every mode.

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
MESSAGING_OPERATION_LEGACY = "messaging.operation"
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
    status_code: tuple[str, ...]
    target: tuple[str, ...]
    """Path plus query string (legacy only)."""
    path: tuple[str, ...]
    """Path alone (stable only)."""
    query: tuple[str, ...]
    """Query string without ``?`` (stable only)."""
    scheme: tuple[str, ...]
    host: tuple[str, ...]
    client_address: tuple[str, ...]
    user_agent: tuple[str, ...]
    protocol_version: tuple[str, ...]
    cold_start: tuple[str, ...]
    messaging_operation: tuple[str, ...]
    operation_first: bool
    """Messaging span names: ``process orders`` (current conventions) or ``orders process`` (before 1.27)."""


_LEGACY = AttributeNames(
    method=("http.method",),
    status_code=("http.status_code",),
    target=("http.target",),
    path=(),
    query=(),
    scheme=("http.scheme",),
    host=("net.host.name",),
    client_address=("http.client_ip",),
    user_agent=("http.user_agent",),
    protocol_version=(),
    cold_start=("faas.cold_start",),
    messaging_operation=(MESSAGING_OPERATION_LEGACY,),
    operation_first=False,
)

_STABLE = AttributeNames(
    method=("http.request.method",),
    status_code=("http.response.status_code",),
    target=(),
    path=("url.path",),
    query=("url.query",),
    scheme=("url.scheme",),
    host=("server.address",),
    client_address=("client.address",),
    user_agent=("user_agent.original",),
    protocol_version=("network.protocol.version",),
    cold_start=("faas.coldstart",),
    messaging_operation=(MESSAGING_OPERATION_TYPE, MESSAGING_OPERATION_NAME),
    operation_first=True,
)


def _both(first: AttributeNames, second: AttributeNames) -> AttributeNames:
    """Every key of both; the span names of *second* (the mode being moved to)."""
    merged: dict[str, object] = {
        field: getattr(first, field) + getattr(second, field)
        for field in AttributeNames._fields
        if isinstance(getattr(first, field), tuple)
    }
    merged["operation_first"] = second.operation_first
    return AttributeNames(**merged)  # type: ignore[arg-type]


_BY_MODE = {
    SemconvMode.LEGACY: _LEGACY,
    SemconvMode.STABLE: _STABLE,
    SemconvMode.DUP: _both(_LEGACY, _STABLE),
}


def attribute_names(mode: SemconvMode) -> AttributeNames:
    """The attribute keys for *mode*."""
    return _BY_MODE[mode]
