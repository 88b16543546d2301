"""The per-invocation core shared by ``traced_handler`` and ``@instrumented``.

:func:`start_invocation` turns (event, Lambda context) into a started, current span: FaaS
attributes, the event source's attributes, cold start, the caller's attributes, the parent context.
:func:`finish_invocation` records the response or exception, ends the span and hands the spans to
the processing mode. Both catch their own failures: telemetry never breaks the handler.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode

from lambda_otel_lite import _config, _timeouts, semconv
from lambda_otel_lite._log import OnceLogger, internal_error
from lambda_otel_lite.propagation import (
    XRAY_ENV,
    CarrierFunction,
    carrier_from_function,
    extract_context,
    record_extractor,
    sampled_xray_context,
)
from lambda_otel_lite.sources import EventSource, detect_source
from lambda_otel_lite.telemetry import CURRENT_INVOCATION, STATE

if TYPE_CHECKING:
    from contextvars import ContextVar, Token

    from opentelemetry.util.types import Attributes

    from lambda_otel_lite.records import RecordSpan
    from lambda_otel_lite.sources import Attributes as MutableAttributes

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)


_SAME: object = object()


class Invocation:
    """One running invocation: its span, the context tokens, and where its spans go.

    ``outer`` is the invocation this one is nested in (a ``traced_handler`` inside an instrumented
    handler, within the same request), or None: only an outermost invocation completes, that is,
    hands its spans to the processing mode. ``_unfinished`` is emptied by the one caller that ends
    the invocation (``list.pop`` is atomic): the handler's return, or the timeout path.
    """

    __slots__ = (
        "_unfinished",
        "current_token",
        "deadline",
        "event",
        "kind",
        "margin_ms",
        "outer",
        "provider",
        "record_contexts",
        "record_spans",
        "request_id",
        "response",
        "source",
        "span",
        "token",
    )

    def __init__(
        self,
        span: trace.Span,
        token: object,
        kind: SpanKind,
        provider: object,
        request_id: str | None,
        outer: Invocation | None = None,
    ) -> None:
        self.span = span
        self.token = token
        self.kind = kind
        self.provider = provider
        self.request_id = request_id
        self.outer = outer
        self.current_token: Token[Invocation | None] | None = None
        self.margin_ms = 0
        self.deadline: float | None = None
        """Monotonic time of the deadline, when the Lambda context tells it."""
        self.event: object = None
        """The raw event."""
        self.source: EventSource | None = None
        self.response: object = None
        self.record_contexts: list[SpanContext | None] = []
        """The span context of each record of the batch event, as the invocation span links them."""
        self.record_spans: list[RecordSpan] = []
        """Record spans left and waiting for the response (``records.traced_records``)."""
        self._unfinished = [True]

    @property
    def finished(self) -> bool:
        return not self._unfinished

    def claim_finish(self) -> bool:
        """True for the one caller that gets to end this invocation; False for every later one."""
        try:
            self._unfinished.pop()
        except IndexError:
            return False
        return True


_CURRENT: ContextVar[Invocation | None] = CURRENT_INVOCATION


def _enclosing(request_id: str | None) -> tuple[Invocation | None, bool]:
    """The running invocation a new one with *request_id* is nested in, and whether a stale one was found.

    A running invocation of another request (or one already ended) is stale: leaked by a handler
    that never returned through us, or left over in this thread. The new invocation is then an
    outermost one, and completes on its own; a stale invocation never blocks later ones.
    """
    outer = _CURRENT.get()
    if outer is None:
        return None, False
    if outer.finished or outer.request_id != request_id:
        return None, True
    return outer, False


@functools.lru_cache(maxsize=16)
def _arn_attributes(arn: str, version: str | None) -> tuple[tuple[str, str], ...]:
    # arn:aws:lambda:<region>:<account>:function:<name>[:<alias or version>]
    parts = arn.split(":")
    if len(parts) not in (7, 8) or parts[0] != "arn" or parts[2] != "lambda" or parts[5] != "function":
        _once.warning(
            "invalid-arn",
            "context.invoked_function_arn %r is not a Lambda function ARN; cloud.account.id and cloud.resource_id "
            "are not set",
            arn,
        )
        return ()
    resource_id = ":".join(parts[:7])
    if len(parts) == 8:
        # The invoked ARN may name an alias; the conventions want the resolved version instead.
        resource_id += ":" + (version or parts[7])
    return ((semconv.CLOUD_ACCOUNT_ID, parts[4]), (semconv.CLOUD_RESOURCE_ID, resource_id))


def _context_attributes(lambda_context: object, attributes: MutableAttributes) -> None:
    if lambda_context is None:
        return
    request_id = getattr(lambda_context, "aws_request_id", None)
    if isinstance(request_id, str) and request_id:
        attributes[semconv.FAAS_INVOCATION_ID] = request_id
    arn = getattr(lambda_context, "invoked_function_arn", None)
    if isinstance(arn, str) and arn:
        attributes[semconv.AWS_LAMBDA_INVOKED_ARN] = arn
        version = getattr(lambda_context, "function_version", None)
        if not isinstance(version, str) or not version:
            version = STATE.config.function_version
        attributes.update(_arn_attributes(arn, version))


def _function_name(lambda_context: object) -> str | None:
    """The Lambda function name: ``context.function_name``, else ``AWS_LAMBDA_FUNCTION_NAME``.

    ``docs/faas/aws-lambda.md`` (v1.44.0): the span name "MUST be set to the function name from the
    Lambda ``Context`` unless stated otherwise".
    """
    name = getattr(lambda_context, "function_name", None)
    if isinstance(name, str) and name:
        return name
    return STATE.config.function_name


def parent_from_event(
    event: object,
    source: EventSource,
    get_carrier: CarrierFunction | None,
    extractor: CarrierFunction | None = None,
    handler_event: object = None,
) -> Context | None:
    """The parent context carried by *event*: ``get_carrier`` > registered extractor > built-in.

    The carrier functions receive the event as the handler does (*handler_event*: the typed model
    for a typed handler); the built-in extraction reads the raw *event*.
    """
    if get_carrier is not None:
        return extract_context(carrier_from_function(get_carrier, handler_event), "get_carrier")
    if extractor is not None:
        return extract_context(carrier_from_function(extractor, handler_event), "the registered carrier extractor")
    return extract_context(source.carrier(event), "event['headers']")


def _xray_link(parent: Context | None) -> Link | None:
    """The environment's X-Ray trace header as a link, not a parent (``xray-lambda`` makes it the parent).

    Only a sampled header is linked (:func:`~lambda_otel_lite.propagation.sampled_xray_context`, the
    one rule for X-Ray headers wherever they come from). None also without a header, for one naming
    no segment, and when the X-Ray context is the parent already.
    """
    span_context = sampled_xray_context(_config.trace_header(), XRAY_ENV)
    if span_context is None:
        return None
    if parent is not None and trace.get_current_span(parent).get_span_context() == span_context:
        return None
    return Link(span_context)


def start_invocation(
    tracer: trace.Tracer,
    name: str | None,
    event: object,
    lambda_context: object,
    *,
    kind: SpanKind | None = None,
    attributes: Attributes | None = None,
    links: Sequence[Link] | None = None,
    start_time: int | None = None,
    parent_context: Context | None = None,
    get_carrier: CarrierFunction | None = None,
    source: EventSource | None = None,
    extractor: CarrierFunction | None = None,
    fallback_name: str | None = None,
    provider: object = None,
    handler_event: object = _SAME,
) -> Invocation:
    """Start the invocation span and make it current.

    *event* is the raw event; *handler_event* is the event as the handler receives it (a typed
    model), passed to ``get_carrier`` and registered extractors. Explicit arguments (``name``,
    ``kind``, ``attributes``, ``parent_context``) win over what the event source derives.
    """
    if "botocore" in sys.modules:  # context out on AWS SDK calls; nothing to do in a function without boto3
        from lambda_otel_lite import _botocore  # deferred: only functions that use the AWS SDK load it

        _botocore.maybe_install()
    span_attributes: MutableAttributes = {}
    record_contexts: list[SpanContext | None] = []
    record_links = 0
    cold = False
    parent = parent_context
    suggested: str | None = None
    all_links: list[Link] = list(links) if links else []
    try:
        if source is None or not isinstance(event, Mapping):
            # A typed handler's source applies to events shaped like it; anything else (None, a
            # list: it fails validation) gets the generic source, not an error inside the library.
            source = detect_source(event)
        suggested = source.describe(event, STATE.names, span_attributes)
        span_attributes[semconv.FAAS_TRIGGER] = source.trigger_of(event)
        _context_attributes(lambda_context, span_attributes)
        if STATE.take_cold_start():
            cold = True
            for key in STATE.names.cold_start:
                span_attributes[key] = True
        if parent is None:
            parent = parent_from_event(
                event, source, get_carrier, extractor, event if handler_event is _SAME else handler_event
            )
        if parent is None and STATE.config.xray_lambda:
            parent = extract_context({XRAY_ENV: ""}, "the environment (xray-lambda)")  # it reads _X_AMZN_TRACE_ID
        # each record's producer, read once (registered record carrier extractor > built-in carrier)
        record_contexts = source.record_contexts(event, record_extractor(source.key))
        all_links += [Link(span_context) for span_context in record_contexts if span_context is not None]
        record_links = len(all_links) - len(links or ())
        if kind is None:
            kind = source.kind_of(event)
        xray = _xray_link(parent)
        if xray is not None:
            all_links.append(xray)
    except Exception:
        internal_error(_once, "start-invocation", "could not derive the invocation span's attributes")
    if attributes:
        span_attributes.update(attributes)
    request_id = getattr(lambda_context, "aws_request_id", None)
    if not isinstance(request_id, str):
        request_id = None
    outer, stale = _enclosing(request_id)
    if parent is None and stale:
        parent = Context()  # not a child of the stale invocation's span, still in the context
    span_kind = kind if kind is not None else SpanKind.SERVER
    try:
        span = tracer.start_span(
            name or suggested or _function_name(lambda_context) or fallback_name or "handler",
            context=parent,
            kind=span_kind,
            attributes=span_attributes,
            links=all_links,
            start_time=start_time,
        )
    except Exception:  # e.g. a span processor whose on_start raises: the handler still runs
        _once.warning("start-span", "Starting the invocation span raised; this invocation is not traced", exc_info=True)
        span = trace.INVALID_SPAN
    if record_links and getattr(span, "dropped_links", 0):  # over OTEL_SPAN_LINK_COUNT_LIMIT: dropped silently
        from lambda_otel_lite.records import warn_dropped_links  # deferred: only for a batch over the limit

        warn_dropped_links(span, len(record_contexts))
    if cold and STATE.config.init_span and STATE.config.on_demand:
        try:
            from lambda_otel_lite import _init_span

            _init_span.record(tracer, span, getattr(span, "start_time", None) or time.time_ns())
        except Exception:
            internal_error(_once, "init-span", "could not record the init span")
    # The parent context also carries baggage: keep it current inside the handler.
    token = context_api.attach(trace.set_span_in_context(span, parent))
    invocation = Invocation(span, token, span_kind, provider, request_id, outer)
    invocation.event, invocation.source, invocation.record_contexts = event, source, record_contexts
    invocation.current_token = _CURRENT.set(invocation)
    if outer is None:
        margin_ms = STATE.config.timeout_margin_ms
        try:
            _timeouts.arm(invocation, lambda_context, margin_ms)
        except Exception:  # the context's own method raised: this invocation has no watchdog
            _once.warning(
                "remaining-time", "context.get_remaining_time_in_millis() raised; no timeout watchdog", exc_info=True
            )
    return invocation


def status_code_of(response: object) -> int | None:
    """The HTTP status code of a handler's response: ``statusCode`` of a dict, or of a model."""
    if isinstance(response, Mapping):
        code: object = response.get("statusCode")
    else:
        code = getattr(response, "status_code", None)
        if code is None:
            code = getattr(response, "statusCode", None)
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.isdigit():
        return int(code)
    return None


def record_response(invocation: Invocation, response: object) -> None:
    """For an HTTP request, set the status-code attribute and, for 5xx (or 4xx on a CLIENT span), status ERROR.

    ``docs/http/http-spans.md`` (v1.44.0), "Status": 5xx is an error, 4xx is not on a SERVER span, and
    no status description is set when the status code tells the reason; ``error.type`` is the status
    code (``model/error/registry.yaml``). The ``statusCode`` a handler of any other trigger returns
    means nothing to Lambda and is ignored (:attr:`EventSource.http`).

    Reading the status code runs the response's own code (a ``status_code`` property): if that
    raises, the response is recorded without a status code and the handler's result is kept.
    """
    invocation.response = response
    source = invocation.source
    if source is None or not source.http:
        return
    try:
        code = status_code_of(response)
    except Exception:
        _once.warning(
            "status-code-raised",
            "Reading the status code of the handler's %s response raised; the invocation span has no status code",
            type(response).__name__,
            exc_info=True,
        )
        return
    if code is None:
        return
    span = invocation.span
    for key in STATE.names.status_code:
        span.set_attribute(key, code)
    if code >= 500 or (code >= 400 and invocation.kind is SpanKind.CLIENT):
        span.set_attribute(semconv.ERROR_TYPE, str(code))
        span.set_status(Status(StatusCode.ERROR))


def record_exception(invocation: Invocation, exc: BaseException) -> None:
    """Record a handler exception on the span: status ERROR, ``error.type`` and the exception event.

    ``docs/general/recording-errors.md`` (v1.44.0): ``error.type`` is the exception's canonical class
    name, and the status description "SHOULD be set to the exception message" (not repeating the
    type). The exception's own ``__str__`` may raise: the span then has no description, and the
    handler's exception is still the one that propagates.
    """
    span = invocation.span
    try:
        description: str | None = str(exc) or None
    except Exception:
        description = None
    try:
        span.set_attribute(semconv.ERROR_TYPE, semconv.error_type(exc))
        span.record_exception(exc, escaped=True)
    except Exception:
        _once.warning(
            "record-exception", "Recording the handler's %s on the span raised", type(exc).__name__, exc_info=True
        )
    span.set_status(Status(StatusCode.ERROR, description))


def _finish_batch(invocation: Invocation) -> None:
    """Record spans and partial batch responses (``records``), imported only when there are some.

    A response with ``batchItemFailures`` (a dict, or a model with ``batch_item_failures``) goes to
    ``finish_records`` whatever the trigger: SQS, Kinesis and DynamoDB Streams honour it, and for
    any other trigger Lambda ignores it, which ``finish_records`` reports (the records it names are lost).
    """
    response = invocation.response
    if not invocation.record_spans:
        try:
            partial = (
                "batchItemFailures" in response
                if isinstance(response, Mapping)
                else hasattr(response, "batch_item_failures")
            )
        except Exception:  # the response's own code raised: it is not read as a partial batch response
            partial = False
        if not partial:
            return
    try:
        from lambda_otel_lite.records import finish_records

        finish_records(invocation, response)
    except Exception:
        internal_error(_once, "finish-records", "could not end the record spans of the batch")


def _restore_context(invocation: Invocation) -> None:
    try:
        context_api.detach(invocation.token)  # type: ignore[arg-type]
    except Exception:
        internal_error(_once, "detach", "could not restore the context of the invocation")
    current_token, invocation.current_token = invocation.current_token, None
    if current_token is not None:
        try:
            _CURRENT.reset(current_token)
        except ValueError:  # finished from another context (a thread the handler handed it to)
            if _CURRENT.get() is invocation:
                _CURRENT.set(invocation.outer)


def finish_invocation(invocation: Invocation) -> None:
    """End the span, restore the context, and hand the spans to the processing mode.

    Runs whatever happened before it (a raising processor, a response that could not be read):
    each step is guarded on its own, so the invocation always completes and the handler's result
    or exception is what the caller gets.
    """
    _timeouts.WATCHDOG.disarm(invocation)
    _restore_context(invocation)
    if not invocation.claim_finish():
        # Timed out already, and exported then: nothing is exported twice. Spans the handler ended
        # since then go out now in sync mode (in the other modes, with the next flush).
        if STATE.mode is _config.ProcessorMode.SYNC and invocation.outer is None:
            STATE.flush(invocation.provider)
        return
    _finish_batch(invocation)
    try:
        invocation.span.end()
    except Exception:  # a span processor's on_end raising: the spans queued so far still go out
        _once.warning("end-span", "Ending the invocation span raised", exc_info=True)
    if invocation.outer is None:  # a nested traced_handler does not complete the invocation
        try:
            STATE.complete_invocation(invocation.provider, invocation.request_id)
        except Exception:
            internal_error(_once, "complete-invocation", "could not hand the invocation's spans to the processing mode")
