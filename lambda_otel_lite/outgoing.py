"""Context out, by hand: the current trace context as propagation fields, for a payload you send.

Calls to SQS, SNS and Lambda carry the context by themselves (``lambda_otel_lite._botocore``): those
services have a place for it beside the payload, or a convention for it inside. EventBridge
``PutEvents``, Kinesis ``PutRecord``/``PutRecords`` and Step Functions ``StartExecution`` have none
that takes a W3C context (their only trace field, where they have one, is X-Ray's), and the library
never changes what you send there. Put the fields in the payload yourself with
:func:`inject_context`, and tell the consumer where they are.

Example:
    >>> from lambda_otel_lite.outgoing import inject_context
    >>> detail = {"order": 42, "trace": inject_context()}  # {} outside any span
    >>> sorted(detail)
    ['order', 'trace']
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import TYPE_CHECKING

from opentelemetry import propagate

from lambda_otel_lite._log import InternalErrors, OnceLogger

if TYPE_CHECKING:
    from opentelemetry.context import Context

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)
_INJECT = InternalErrors(
    _once, "inject-raised", "a propagator raised while injecting the trace context; nothing is injected"
)

__all__ = ["inject_context"]

FIELD_ORDER = ("traceparent", "tracestate", "baggage")
"""The fields of the default propagators, most needed first: where room is short (SQS and SNS allow 10
message attributes), ``traceparent`` goes, then ``tracestate``, then ``baggage``."""


def _rank(field: str) -> int:
    lowered = field.lower()
    return FIELD_ORDER.index(lowered) if lowered in FIELD_ORDER else len(FIELD_ORDER)


def propagation_fields(context: Context | None = None) -> dict[str, str]:
    """The fields the global propagators write for *context* (the current one when None), in
    :data:`FIELD_ORDER` (others after, as the propagators wrote them).

    Empty when there is no valid span context and no baggage. Raises what a propagator raises.
    """
    fields: dict[str, str] = {}
    propagate.inject(fields, context=context)
    if len(fields) > 1:
        ordered = sorted(fields, key=_rank)  # stable: the propagators' own order among equals
        if ordered != list(fields):
            fields = {name: fields[name] for name in ordered}
    return fields


def inject_context(carrier: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """The current trace context's propagation fields, to send inside a payload; written into
    *carrier* too when given.

    The fields are those of the globally configured propagators (``OTEL_PROPAGATORS``; W3C
    ``traceparent``, ``tracestate`` and ``baggage`` by default): ``{"traceparent": "00-...-01"}``
    inside a handler, ``{}`` where there is no span and no baggage. A propagator that raises is
    logged once and gives ``{}``: never an exception in your handler.

    Use it where AWS offers no place for a W3C context and the library changes nothing (EventBridge
    ``Detail``, Kinesis record data, Step Functions execution input), and read it on the other side:

    - **Kinesis** (and SQS bodies): ``register_record_carrier_extractor("kinesis",
      json_record_carrier("trace"))`` for data ``{"trace": {...}, ...}``;
    - **EventBridge**: ``@instrumented(get_carrier=lambda event: event["detail"].get("trace"))``;
    - **Step Functions**: pass the fields to the Lambda task as the payload's ``headers`` object
      (``"Payload": {"headers.$": "$.trace", ...}``): a payload's ``headers`` is read with no
      configuration, as for a Lambda ``Invoke``.

    The context is the *current* span's (the invocation span inside a handler), not that of the
    span the library makes for the AWS call that sends the payload: that span starts later.

    Args:
        carrier: A mapping to write the fields into (a dict of your payload); its other keys are kept.

    Returns:
        The fields written: a new dict, also when *carrier* is given.

    Raises:
        TypeError: *carrier* is neither None nor a mutable mapping.

    Example:
        >>> import json
        >>> record = {"order": 42}
        >>> _ = inject_context(record)  # record gains "traceparent" inside a span
        >>> data = json.dumps({"order": 42, "trace": inject_context()}).encode()
    """
    if carrier is not None and not isinstance(carrier, MutableMapping):
        raise TypeError(f"inject_context: carrier must be a mutable mapping or None, got {type(carrier).__name__}")
    fields: dict[str, str] = {}
    with _INJECT:
        fields = propagation_fields()
    if carrier is not None:
        carrier.update(fields)
    return fields
