"""The per-invocation core shared by ``traced_handler`` and ``@instrumented``.

:func:`start_invocation` turns (event, Lambda context) into a started, current span: FaaS
attributes, the event source's attributes, cold start, the caller's attributes, the parent context.
:func:`finish_invocation` restores the context and ends the invocation when the handler returns.

:func:`end_invocation` is the one way an invocation ends, whoever gets there first: the handler's
return, the timeout watchdog (``Invocation.time_out``, which ``_timeouts`` calls on the invocations
armed on it) and the SIGTERM flush (:func:`end_running`, handed to ``_sigterm`` as a hook). It
claims the invocation, ends its record spans, cuts short what is still open (on a timeout), ends
the span and hands the spans to the processing mode.

Every step runs under the one internal-error guard (``_log.InternalErrors``): telemetry never
breaks the handler.
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

from lambda_otel_lite import _config, _resets, _timeouts, semconv
from lambda_otel_lite._log import InternalErrors, OnceLogger
from lambda_otel_lite._state import CURRENT_INVOCATION, STATE
from lambda_otel_lite.propagation import (
    XRAY_ENV,
    CarrierFunction,
    carrier_from_function,
    extract_context,
    record_extractor,
    sampled_xray_context,
)
from lambda_otel_lite.sources import EventSource, detect_source

if TYPE_CHECKING:
    from contextvars import ContextVar, Token

    from opentelemetry.util.types import Attributes

    from lambda_otel_lite.records import RecordSpan
    from lambda_otel_lite.sources import Attributes as MutableAttributes

# The logger keeps the name users filter by from before this module was private.
logger = logging.getLogger("lambda_otel_lite.invocation")
_once = OnceLogger(logger)
_DERIVE = InternalErrors(_once, "start-invocation", "could not derive the invocation span's attributes")
_START_SPAN = InternalErrors(_once, "start-span", "starting the invocation span raised; this invocation is not traced")
_INIT_SPAN = InternalErrors(_once, "init-span", "could not record the init span")
_ARM = InternalErrors(_once, "remaining-time", "arming the timeout watchdog raised; this invocation has none")
_RESPONSE = InternalErrors(_once, "record-response", "recording the handler's response on the span raised")
_EXCEPTION = InternalErrors(_once, "record-exception", "recording the handler's exception on the span raised")
_RECORDS = InternalErrors(_once, "finish-records", "could not end the record spans of the batch")
_CUT_SHORT = InternalErrors(_once, "cut-short", "ending a span cut short by the invocation's end raised")
_END = InternalErrors(_once, "end-invocation", "ending the invocation span or handing its spans over raised")


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

    def time_out(self, description: str, error_type: str = _timeouts.TIMEOUT, *, export: bool = True) -> bool:
        """End this invocation as cut short by *description* (the watchdog; the SIGTERM flush without export).

        False when it had ended already (it returned, or was timed out before).
        """
        return end_invocation(self, cut_short=(description, error_type), export=export)


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


@_resets.register
def _forget_arns() -> None:
    _arn_attributes.cache_clear()


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
    header = _config.trace_header()
    if not header or "Sampled=1" not in header:  # the warm path: Lambda sets an unsampled header per invocation
        return None
    span_context = sampled_xray_context(header, XRAY_ENV)
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
    config = STATE.config
    try:  # the one guard in its except form (see _log.InternalErrors.caught): the warm path
        if source is None or (type(event) is not dict and not isinstance(event, Mapping)):
            # A typed handler's source applies to events shaped like it; anything else (None, a
            # list: it fails validation) gets the generic source, not an error inside the library.
            source = detect_source(event)
        names = STATE.names
        suggested = source.describe(event, names, span_attributes, config)
        span_attributes[semconv.FAAS_TRIGGER] = source.trigger_of(event)
        _context_attributes(lambda_context, span_attributes)
        if STATE.take_cold_start():
            cold = True
            for key in names.cold_start:
                span_attributes[key] = True
        if parent is None:
            parent = parent_from_event(
                event, source, get_carrier, extractor, event if handler_event is _SAME else handler_event
            )
        if parent is None and config.xray_lambda:
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
        _DERIVE.caught()
    if attributes:
        span_attributes.update(attributes)
    request_id = getattr(lambda_context, "aws_request_id", None)
    if not isinstance(request_id, str):
        request_id = None
    outer, stale = _enclosing(request_id)
    if parent is None and stale:
        parent = Context()  # not a child of the stale invocation's span, still in the context
    span_kind = kind if kind is not None else SpanKind.SERVER
    span: trace.Span = trace.INVALID_SPAN
    try:  # e.g. a span processor whose on_start raises, or an ID generator: the handler still runs
        span = tracer.start_span(
            name or suggested or _function_name(lambda_context) or fallback_name or "handler",
            context=parent,
            kind=span_kind,
            attributes=span_attributes,
            links=all_links,
            start_time=start_time,
        )
    except Exception:
        _START_SPAN.caught()
    if record_links and getattr(span, "dropped_links", 0):  # over OTEL_SPAN_LINK_COUNT_LIMIT: dropped silently
        from lambda_otel_lite.records import warn_dropped_links  # deferred: only for a batch over the limit

        warn_dropped_links(span, len(record_contexts))
    if cold and config.init_span and config.on_demand:
        with _INIT_SPAN:
            from lambda_otel_lite import _init_span  # deferred: only the cold start's invocation records it

            _init_span.record(tracer, span, getattr(span, "start_time", None) or time.time_ns())
    # The parent context also carries baggage: keep it current inside the handler.
    token = context_api.attach(trace.set_span_in_context(span, parent))
    invocation = Invocation(span, token, span_kind, provider, request_id, outer)
    invocation.event, invocation.source, invocation.record_contexts = event, source, record_contexts
    invocation.current_token = _CURRENT.set(invocation)
    if outer is None:
        try:
            _timeouts.arm(invocation, lambda_context, config.timeout_margin_ms)
        except Exception:  # e.g. the context's get_remaining_time_in_millis() raised: no watchdog for this one
            _ARM.caught()
    return invocation


def status_code_of(response: object) -> int | None:
    """The HTTP status code of a handler's response: ``statusCode`` of a dict, or of a model."""
    if type(response) is dict or isinstance(response, Mapping):  # a dict first: an ABC check costs more
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
    except Exception:  # the response's own code raised: not a library failure, the result is kept
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
    try:
        for key in STATE.names.status_code:
            span.set_attribute(key, code)
        if code >= 500 or (code >= 400 and invocation.kind is SpanKind.CLIENT):
            span.set_attribute(semconv.ERROR_TYPE, str(code))
            span.set_status(Status(StatusCode.ERROR))
    except Exception:
        _RESPONSE.caught()


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
    except Exception:  # the user's exception's own __str__ raised: no description, not a library failure
        description = None
    with _EXCEPTION:
        try:
            span.set_attribute(semconv.ERROR_TYPE, semconv.error_type(exc))
            span.record_exception(exc, escaped=True)
        finally:
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
    with _RECORDS:
        from lambda_otel_lite.records import finish_records  # deferred: only batches load the batch module

        finish_records(invocation, response)


def _restore_context(invocation: Invocation) -> None:
    """Detach the invocation's context and reset the current invocation (the handler's thread only)."""
    try:
        context_api.detach(invocation.token)  # type: ignore[arg-type]
    finally:
        current_token, invocation.current_token = invocation.current_token, None
        if current_token is not None:
            try:
                _CURRENT.reset(current_token)
            except ValueError:  # finished from another context (a thread the handler handed it to)
                if _CURRENT.get() is invocation:
                    _CURRENT.set(invocation.outer)


def finish_invocation(invocation: Invocation) -> None:
    """The handler returned (or raised): restore its context, then end the invocation (:func:`end_invocation`)."""
    end_invocation(invocation, restore=True)


def end_invocation(
    invocation: Invocation, *, cut_short: tuple[str, str] | None = None, export: bool = True, restore: bool = False
) -> bool:
    """End *invocation*: the one way, for the handler's return, the watchdog and the SIGTERM flush.

    With *restore* (the handler's return, in the handler's thread), the invocation's context is
    restored first. The first caller then claims the invocation; every later one gets False (a
    handler returning after its timeout only flushes, in sync mode, the spans it ended since:
    nothing is exported twice). The one that claims it ends it: the record spans end (on a
    timeout, those left already, as they were); with *cut_short* ``(description, error_type)``, the
    spans still open in the invocation's trace end with status ERROR and that ``error.type``, and
    so does the invocation span; the invocation span ends; and, for an outermost invocation and
    unless *export* is False (the SIGTERM flush exports by itself), its spans go to the processing
    mode (a timeout in finalize mode flushes: the process is about to be stopped).

    Every step runs after the one before, whatever that raised, under the one guard: whatever
    fails, the handler's result or exception is what the caller gets.
    """
    claimed = False
    try:  # the one guard in its except form: this runs at every invocation's end
        try:
            if restore:
                _restore_context(invocation)
        finally:
            claimed = invocation.claim_finish()
            if claimed:
                _end(invocation, cut_short, export)
            elif restore and STATE.mode is _config.ProcessorMode.SYNC and invocation.outer is None:
                STATE.flush(invocation.provider)  # the spans the handler ended after its timeout
    except Exception:
        _END.caught()
    return claimed


def _end(invocation: Invocation, cut_short: tuple[str, str] | None, export: bool) -> None:
    """The steps of :func:`end_invocation`, for the one caller that claimed *invocation*."""
    _timeouts.WATCHDOG.disarm(invocation)
    ended: int | None = None
    try:
        if cut_short is None:
            _finish_batch(invocation)
        else:
            ended = time.time_ns()
            _cut_short(invocation, cut_short, ended)
    finally:
        try:
            invocation.span.end(ended)
        finally:
            if export and invocation.outer is None:  # a nested traced_handler does not complete it
                if cut_short is not None and STATE.mode is _config.ProcessorMode.FINALIZE:
                    STATE.flush(invocation.provider)
                else:
                    STATE.complete_invocation(invocation.provider, invocation.request_id)


def _cut_short(invocation: Invocation, cut_short: tuple[str, str], ended: int) -> None:
    """The invocation ends before the handler returned: its record spans, its open spans, its status."""
    description, error_type = cut_short
    if invocation.record_spans:  # those already left end as they were; the open ones are cut short below
        with _RECORDS:
            from lambda_otel_lite.records import finish_records  # deferred: only batches load the batch module

            finish_records(invocation, None, timed_out=True)
    span = invocation.span
    open_spans = STATE.open_spans
    if open_spans is not None:
        for child in open_spans.take(span.get_span_context().trace_id, span):
            with _CUT_SHORT:
                child.set_attribute(semconv.ERROR_TYPE, error_type)
                child.set_status(Status(StatusCode.ERROR, f"Cut short: the invocation ended ({error_type}) first"))
                child.end(ended)
    span.set_attribute(semconv.ERROR_TYPE, error_type)
    span.set_status(Status(StatusCode.ERROR, description))
    logger.warning(
        "lambda-otel-lite: invocation %s: %s; its spans are exported now", invocation.request_id, description
    )


SHUTDOWN = "shutdown"
"""``error.type`` of an invocation still running when Lambda stopped the environment (SIGTERM)."""


def end_running(shutting_down: bool = True) -> int:
    """End every invocation still running (the SIGTERM flush, which exports right after); how many were.

    One past its deadline (less the margin) ends as timed out; any other, when *shutting_down*, as
    cut short by the shutdown. Handed to ``_sigterm`` through the extension's hooks.
    """
    count = 0
    now = time.monotonic()
    for invocation in _timeouts.WATCHDOG.running():
        if not isinstance(invocation, Invocation):
            continue
        deadline = invocation.deadline
        if deadline is not None and now >= deadline - invocation.margin_ms / 1000:
            description, error_type = _timeouts.description(invocation), _timeouts.TIMEOUT
        elif shutting_down:
            description = "Shutdown: Lambda stopped the environment (SIGTERM) while the invocation was running"
            error_type = SHUTDOWN
        else:
            continue
        count += invocation.time_out(description, error_type, export=False)
    return count


def is_running(request_id: object) -> bool:
    """Whether an instrumented invocation of *request_id* is running (armed on the watchdog)."""
    return any(getattr(invocation, "request_id", None) == request_id for invocation in _timeouts.WATCHDOG.running())
