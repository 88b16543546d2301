"""Helpers for testing Lambda handlers instrumented with lambda-otel-lite.

Installing the package registers a pytest plugin (``lambda_otel_lite.testing.plugin``) with three
fixtures: ``span_capture`` (the finished spans of the code under test, in memory),
``lambda_context`` (a :class:`LambdaContext` with realistic defaults) and ``sample_event`` (AWS's
sample events by name). Outside pytest, use :func:`capture_spans`, :class:`LambdaContext` and
:func:`sample_event` directly.

Example:
    >>> from lambda_otel_lite.testing import LambdaContext, sample_event
    >>> context = LambdaContext(function_name="orders")
    >>> context.invoked_function_arn
    'arn:aws:lambda:us-east-1:123456789012:function:orders'
    >>> sample_event("apigateway-http-v2")["version"]
    '2.0'
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import ReadableSpan, Span

__all__ = ["LambdaContext", "SpanCapture", "capture_spans", "reset", "sample_event", "sample_event_names"]


@dataclass
class LambdaContext:
    """A stand-in for the context object Lambda passes to a handler, with realistic defaults.

    Example:
        >>> LambdaContext(function_name="orders", region="eu-west-1").invoked_function_arn
        'arn:aws:lambda:eu-west-1:123456789012:function:orders'
    """

    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    region: str = "us-east-1"
    account_id: str = "123456789012"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef"
    invoked_function_arn: str = ""
    timeout_millis: int = 3000
    _deadline_ms: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            self.invoked_function_arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"
        if not self.log_group_name:
            self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline_ms = int(time.time() * 1000) + self.timeout_millis

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the simulated function timeout."""
        return max(self._deadline_ms - int(time.time() * 1000), 0)


# --- sample events ------------------------------------------------------------------------------


def sample_event_names() -> list[str]:
    """The names :func:`sample_event` knows.

    Example:
        >>> sample_event_names()  # doctest: +NORMALIZE_WHITESPACE
        ['alb', 'alb-multi-value', 'apigateway-authorizer-request-v1', 'apigateway-authorizer-request-v2',
         'apigateway-authorizer-token', 'apigateway-http-v2', 'apigateway-rest-v1', 'dynamodb', 'eventbridge',
         'eventbridge-s3', 'eventbridge-scheduled', 'eventbridge-scheduler', 'function-url', 'kinesis', 's3',
         'sns', 'sqs', 'sqs-s3', 'sqs-sns']
    """
    folder = resources.files(__package__).joinpath("events")
    return sorted(entry.name.removesuffix(".json") for entry in folder.iterdir() if entry.name.endswith(".json"))


def sample_event(name: str) -> dict[str, Any]:
    """A fresh copy of the AWS documentation's sample event *name* (see :func:`sample_event_names`).

    Raises:
        ValueError: no sample event of that name; the message lists the names there are.

    Example:
        >>> event = sample_event("apigateway-http-v2")
        >>> event["rawPath"]
        '/my/path'
    """
    names = sample_event_names()
    if name not in names:
        raise ValueError(f"no sample event named {name!r}; there are: {', '.join(names)}")
    text = resources.files(__package__).joinpath("events", f"{name}.json").read_text(encoding="utf-8")
    event: dict[str, Any] = json.loads(text)
    return event


# --- span capture -------------------------------------------------------------------------------


class SpanCapture:
    """The spans finished while a capture is active, in the order they ended.

    Thread rules: spans may end on any thread; reads take a snapshot under a lock.

    Example:
        >>> with capture_spans() as capture:
        ...     response = handler(sample_event("sqs"), LambdaContext())
        >>> capture.names()
        ['process my-queue']
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: list[ReadableSpan] = []
        self.active = True

    def _add(self, span: ReadableSpan) -> None:
        if self.active:
            with self._lock:
                self._spans.append(span)

    @property
    def spans(self) -> list[ReadableSpan]:
        """Every captured span, in the order they ended."""
        with self._lock:
            return list(self._spans)

    def names(self) -> list[str]:
        """The captured spans' names, in the order they ended."""
        return [span.name for span in self.spans]

    def by_name(self, name: str) -> list[ReadableSpan]:
        """The captured spans called *name*."""
        return [span for span in self.spans if span.name == name]

    def one(self, name: str) -> ReadableSpan:
        """The one captured span called *name*; an ``AssertionError`` names what was captured otherwise."""
        found = self.by_name(name)
        if len(found) != 1:
            raise AssertionError(f"expected one span named {name!r}, found {len(found)} among {self.names()}")
        return found[0]

    def clear(self) -> None:
        """Forget the spans captured so far."""
        with self._lock:
            self._spans.clear()


def _capture_processor(capture: SpanCapture) -> Any:
    from opentelemetry.sdk.trace import SpanProcessor

    class _CaptureProcessor(SpanProcessor):
        """Hands finished spans to a :class:`SpanCapture`; owned by the capture, so shutdown does nothing."""

        def on_start(self, span: Span, parent_context: Context | None = None) -> None:
            return None

        def on_end(self, span: ReadableSpan) -> None:
            capture._add(span)

        def shutdown(self) -> None:
            return None

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            return True

    return _CaptureProcessor()


@contextlib.contextmanager
def capture_spans() -> Iterator[SpanCapture]:
    """Capture the spans finished inside the ``with`` block, whatever ``init_telemetry()`` set up.

    The capture joins the active tracer provider and every provider ``init_telemetry()`` creates
    while it is active (a handler module imported inside the block included); the spans are still
    exported as configured. When no ``init_telemetry()`` is in effect, it calls it with the
    defaults, so that a decorated handler imported earlier has a provider to report to.

    Example:
        >>> with capture_spans() as capture:
        ...     response = handler(sample_event("apigateway-http-v2"), LambdaContext())
        >>> capture.one("POST").attributes["http.status_code"]
        200
    """
    from lambda_otel_lite import telemetry  # deferred: the plugin loads this module before the package is needed

    if telemetry.STATE.provider is None:
        telemetry.init_telemetry()
    capture = SpanCapture()
    processor = _capture_processor(capture)
    telemetry.add_observer(processor)
    try:
        yield capture
    finally:
        capture.active = False
        telemetry.remove_observer(processor)


# --- a fresh process ----------------------------------------------------------------------------


def reset() -> None:
    """Restore the state of a fresh process: what the next handler call sees is a cold start.

    It shuts the active tracer provider down (exporting what it holds) and forgets every global
    of the library: the provider and tracer, the processing mode and its extension, the cold-start
    flag, the SIGTERM handler, the log correlation, the AWS SDK hooks, registered carrier
    extractors, span observers, the timeout watchdog's invocations and thread, cached ARN
    attributes, the encoder's caches and which warnings were logged. Each module of the library
    registers its own part (``lambda_otel_lite._resets``); this runs them all. The ``fresh_lambda``
    fixture of the pytest plugin calls it around a test, so that a test of ``faas.cold_start``
    passes whatever ran before it.

    Example:
        >>> reset()
        >>> from lambda_otel_lite.telemetry import STATE
        >>> STATE.provider is None, STATE.cold_start
        (True, True)
    """
    from lambda_otel_lite import _resets  # deferred, as above

    _resets.reset_all()
