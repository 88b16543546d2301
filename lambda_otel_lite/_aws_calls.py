"""The span of one AWS SDK call, carried between botocore's events in the call's request context.

``BaseClient._make_api_call`` emits, for one call and with the same ``context`` dict (the request
context botocore creates per call):

- ``before-parameter-build.<service>.<Operation>`` (``params``, ``model``, ``context``): the
  caller's parameters, before validation, serialization and signing see them (the conventions'
  ``docs/non-normative/compatibility/aws.md``: "Propagation headers must be added before the
  signature is calculated"). The span starts here, a child of the current span (the invocation
  span inside a handler), and its context is the one injected, so the consumer links a span that
  is exported. It goes into ``context``, and is never made current: an event handler cannot
  restore the previous context when the call raises;
- ``after-call.<service>.<Operation>`` (``http_response``, ``parsed``, ``model``, ``context``): the
  parsed response, of a failed call too (status >= 300, before botocore raises its ``ClientError``):
  ``error.type`` is the error code (``AWS.SimpleQueueService.NonExistentQueue``);
- ``after-call-error.<service>.<Operation>`` (``exception``, ``context``): the request raised
  (connection errors, timeouts): ``error.type`` is the exception's class (``semconv.error_type``).

A call that raises between the first event and the others (parameter validation, endpoint
resolution, another handler) emits neither: its span ends when botocore lets go of the request
context (as the exception is handled), ERROR with ``error.type`` ``_OTHER`` (the registry's
fallback value).

Someone else propagating wins. A request that carries a trace field already (boto3sqs's
instrumentation, contrib's SNS and Lambda extensions, the caller) gets neither fields nor a span:
the conventions' "If a user provides a custom creation context in a message, this context SHOULD
NOT be modified" (``docs/messaging/messaging-spans.md``, "Producer spans"), and no second span of
the call. When the current span is the one opentelemetry-instrumentation-botocore made for this
very call (recording, ``rpc.system`` ``aws-api``, ``rpc.method`` the operation), its context is
injected and no span is made. ``suppress_instrumentation`` turns everything off.

Every handler body runs under the internal-error guard: a bug of ours is logged once and the call
goes out as the caller made it (re-raised under the library's own tests).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.trace import SpanKind, Status, StatusCode

from lambda_otel_lite import _resets, semconv
from lambda_otel_lite._log import InternalErrors, OnceLogger
from lambda_otel_lite.outgoing import propagation_fields

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)
_END = InternalErrors(_once, "aws-call-end", "ending the span of an AWS call raised")
_ABANDONED = InternalErrors(_once, "aws-call-abandoned", "ending the span of an abandoned AWS call raised")

TRACER_NAME = "lambda_otel_lite"
OTHER_ERROR = "_OTHER"
AWS_REQUEST_ID = "aws.request_id"
SPAN_KEY = "lambda_otel_lite.span"
"""Where a call's span waits in botocore's request context between events."""
CARRIED = object()
"""A plan meaning: the request carries a trace context already; no span, no injection."""


class _Shared:
    """The tracer, and the trace fields of the configured propagators (cached per propagator)."""

    __slots__ = ("trace_fields", "tracer")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.tracer: trace.Tracer | None = None
        self.trace_fields: tuple[object, frozenset[str]] = (None, frozenset())


_SHARED = _Shared()


@_resets.register
def reset() -> None:
    """Forget the tracer and the cached fields. Tests only."""
    _SHARED.reset()


def tracer() -> trace.Tracer:
    """The tracer of the AWS call spans (``lambda_otel_lite``) from the global provider, which follows
    whichever provider ``init_telemetry`` made active (a proxy's tracer follows the first one set)."""
    found = _SHARED.tracer
    if found is None:
        found = _SHARED.tracer = trace.get_tracer(TRACER_NAME)
    return found


def trace_fields() -> frozenset[str]:
    """The lower-cased fields that name a trace context (not ``tracestate`` or ``baggage``):
    ``traceparent`` and the other fields of the configured propagators (``X-Amzn-Trace-Id`` with ``xray``)."""
    textmap = propagate.get_global_textmap()
    cached_for, fields = _SHARED.trace_fields
    if cached_for is not textmap:
        fields = frozenset({field.lower() for field in textmap.fields} - {"tracestate", "baggage"} | {"traceparent"})
        _SHARED.trace_fields = (textmap, fields)
    return fields


def carries_context(carrier: object) -> bool:
    """Whether *carrier* (message attributes, payload headers) holds a trace field, whatever its case."""
    if not isinstance(carrier, Mapping) or not carrier:
        return False
    fields = trace_fields()
    return any(isinstance(name, str) and name.lower() in fields for name in carrier)


def made_by_contrib(span: trace.Span, operation: str) -> bool:
    """Whether *span* is opentelemetry-instrumentation-botocore's span of a call of *operation*."""
    if not span.is_recording():
        return False
    attributes = getattr(span, "attributes", None)
    if not isinstance(attributes, Mapping):
        return False
    system = attributes.get("rpc.system") or attributes.get("rpc.system.name")
    method = attributes.get("rpc.method")
    return (
        system == "aws-api"
        and isinstance(method, str)
        and (method == operation or method.endswith(("." + operation, "/" + operation)))
    )


class _Call:
    """The span of one call, in botocore's request context until ``after-call``/``after-call-error``."""

    __slots__ = ("ended", "span")

    def __init__(self, span: trace.Span) -> None:
        self.span = span
        self.ended = False

    def end(self) -> None:
        if not self.ended:
            self.ended = True
            with _END:
                self.span.end()

    def __del__(self) -> None:
        if self.ended:
            return
        with _ABANDONED:  # the call raised before a response was handled: no after-call event came
            self.span.set_attribute(semconv.ERROR_TYPE, OTHER_ERROR)
            self.span.set_status(Status(StatusCode.ERROR, "the call raised before a response was handled"))
            self.end()


class Operation:
    """One AWS operation: its span, and where its requests carry the context (if anywhere)."""

    service: ClassVar[str]
    """botocore's hyphenized service id, as in event names (``sqs``, ``eventbridge``, ``sfn``)."""
    operation: ClassVar[str]
    kind: ClassVar[SpanKind] = SpanKind.CLIENT

    def __init__(self) -> None:
        self.event = event = f"{self.service}.{self.operation}"
        # the one guard, per event: a failure of one operation's tracing is logged once, the call goes on
        self._before = InternalErrors(_once, "aws-call-before:" + event, f"tracing a {event} call failed")
        self._after = InternalErrors(_once, "aws-call-after:" + event, f"describing the response of {event} failed")
        self._error = InternalErrors(_once, "aws-call-error:" + event, f"recording the failure of {event} failed")

    # --- what each operation says ------------------------------------------------------------------

    def plan(self, params: dict[str, Any]) -> object:
        """Where the context goes in this request: None for nowhere, :data:`CARRIED` when the request
        carries one already (then no span either)."""
        return None

    def describe(self, params: dict[str, Any], context: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """The span's name and its attributes at start (those sampling may read)."""
        raise NotImplementedError

    def inject(self, params: dict[str, Any], plan: Any, fields: dict[str, str]) -> None:
        """Write *fields* into *params* where *plan* says, replacing values, never changing the caller's."""

    def describe_response(self, parsed: Mapping[str, Any], span: trace.Span) -> None:
        """Add what a successful response tells."""

    # --- botocore's events -------------------------------------------------------------------------

    def before(self, params: Any, context: Any, **_: Any) -> None:
        if not isinstance(params, dict) or not isinstance(context, dict):
            return
        if otel_context.get_value(_SUPPRESS_INSTRUMENTATION_KEY):
            return
        with self._before:
            self._start(params, context)

    def _start(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        plan = self.plan(params)
        if plan is CARRIED:
            return
        outgoing = None  # the current context: contrib's span of this call
        if not made_by_contrib(trace.get_current_span(), self.operation):
            name, attributes = self.describe(params, context)
            span = tracer().start_span(name, kind=self.kind, attributes=attributes)
            context[SPAN_KEY] = _Call(span)
            outgoing = trace.set_span_in_context(span)
        if plan is not None:
            fields = propagation_fields(outgoing)
            if fields:
                self.inject(params, plan, fields)

    def after(self, http_response: Any, parsed: Any, context: Any, **_: Any) -> None:
        call = context.pop(SPAN_KEY, None) if isinstance(context, dict) else None
        if call is None:
            return
        try:
            self._describe_after(http_response, parsed, call)
        finally:
            call.end()

    def _describe_after(self, http_response: Any, parsed: Any, call: _Call) -> None:
        with self._after:
            response = parsed if isinstance(parsed, Mapping) else {}
            error = response.get("Error")
            status = getattr(http_response, "status_code", None)
            if isinstance(error, Mapping) or (isinstance(status, int) and status >= 300):
                error = error if isinstance(error, Mapping) else {}
                message = error.get("Message")
                call.span.set_attribute(semconv.ERROR_TYPE, str(error.get("Code") or status))
                call.span.set_status(Status(StatusCode.ERROR, message if isinstance(message, str) else None))
            else:
                self.describe_response(response, call.span)
            metadata = response.get("ResponseMetadata")
            request_id = metadata.get("RequestId") if isinstance(metadata, Mapping) else None
            if isinstance(request_id, str) and request_id:
                call.span.set_attribute(AWS_REQUEST_ID, request_id)

    def error(self, exception: BaseException, context: Any, **_: Any) -> None:
        call = context.pop(SPAN_KEY, None) if isinstance(context, dict) else None
        if call is None:
            return
        try:
            with self._error:
                try:
                    description: str | None = str(exception) or None
                except Exception:  # the exception's own __str__ raised: no description
                    description = None
                call.span.set_attribute(semconv.ERROR_TYPE, semconv.error_type(exception))
                call.span.set_status(Status(StatusCode.ERROR, description))
        finally:
            call.end()
