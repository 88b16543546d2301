"""Log correlation: records logged inside an invocation carry its span's ids, with contrib's names and formats."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry import trace

from lambda_otel_lite import _logs, init_telemetry, instrumented
from lambda_otel_lite._config import load_config
from lambda_otel_lite.testing import LambdaContext
from tests.support import StdoutTelemetry

FIELDS = ("otelTraceID", "otelSpanID", "otelTraceSampled", "otelServiceName")
CONTEXT = LambdaContext(aws_request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"
HTTP_V2: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "GET /orders/{id}",
    "rawPath": "/orders/42",
    "rawQueryString": "",
    "headers": {"host": "api.example.com"},
    "requestContext": {
        "domainName": "api.example.com",
        "http": {"method": "GET", "path": "/orders/42", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
        "routeKey": "GET /orders/{id}",
        "stage": "$default",
    },
    "isBase64Encoded": False,
}


class Records(logging.Handler):
    """Keeps every record that reaches it (a handler on the root logger sees what awslambdaric's sees)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def fields(self) -> list[tuple[object, ...]]:
        """The correlation fields of each record, None where a record has none."""
        return [tuple(getattr(record, name, None) for name in FIELDS) for record in self.records]


@pytest.fixture(autouse=True)
def original_factory() -> Iterator[Callable[..., logging.LogRecord]]:
    """The factory before the test, restored after it (whatever the test installed)."""
    factory = logging.getLogRecordFactory()
    yield factory
    _logs.uninstall()
    logging.setLogRecordFactory(factory)


@pytest.fixture
def records() -> Iterator[Records]:
    root = logging.getLogger()
    handler, level = Records(), root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def install() -> None:
    """What init_telemetry() does (until it does it itself): read the environment, install."""
    _logs.install(load_config(), service_name="orders-api")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logging.getLogger("orders").info("in the invocation")
    with trace.get_tracer("orders").start_as_current_span("load_order"):
        logging.getLogger("orders").info("in a child span")
    logging.getLogger("orders").info("in the invocation again")
    return {"statusCode": 200}


def test_records_logged_in_an_instrumented_handler_carry_the_exported_spans_ids_and_sampled_flag(
    records: Records, stdout_telemetry: StdoutTelemetry
) -> None:
    init_telemetry("orders")
    install()
    handler(copy.deepcopy(HTTP_V2), CONTEXT)
    spans = {span.name: span for span in stdout_telemetry.spans()}
    invocation, child = spans["GET /orders/{id}"], spans["load_order"]
    assert records.fields() == [
        (invocation.trace_id, invocation.span_id, True, "orders-api"),
        (child.trace_id, child.span_id, True, "orders-api"),
        (invocation.trace_id, invocation.span_id, True, "orders-api"),
    ]
    assert len(invocation.trace_id) == 32
    assert len(invocation.span_id) == 16


def test_an_unsampled_invocation_gives_its_records_the_callers_trace_id_and_sampled_false(
    records: Records, stdout_telemetry: StdoutTelemetry
) -> None:
    init_telemetry("orders")
    install()
    event = copy.deepcopy(HTTP_V2)
    event["headers"]["traceparent"] = f"00-{TRACE}-{PARENT}-00"
    handler(event, CONTEXT)
    assert stdout_telemetry.spans() == []  # not sampled: nothing exported
    trace_id, span_id, sampled, _ = records.fields()[0]
    assert (trace_id, sampled) == (TRACE, False)
    assert isinstance(span_id, str)
    assert len(span_id) == 16
    assert span_id not in ("0", PARENT)


def test_records_outside_any_span_carry_zero_ids_and_sampled_false(records: Records) -> None:
    init_telemetry("orders")
    install()
    logging.getLogger("orders").info("at init")
    assert records.fields() == [("0", "0", False, "orders-api")]


def test_the_service_name_defaults_to_the_function_name(records: Records, lambda_env: dict[str, str]) -> None:
    _logs.install(load_config())
    logging.getLogger("orders").info("at init")
    assert records.fields() == [("0", "0", False, lambda_env["AWS_LAMBDA_FUNCTION_NAME"])]


def test_interleaved_contexts_each_get_their_own_span(records: Records) -> None:
    """The kept values belong to one context: switching between two spans' contexts switches the ids."""
    tracer, _ = init_telemetry("orders")
    install()
    first, second = tracer.start_span("first"), tracer.start_span("second")
    order = (first, second, first, second)
    for span in order:
        with trace.use_span(span):
            logging.getLogger("orders").info("in a span")
    assert [fields[1] for fields in records.fields()] == [f"{span.get_span_context().span_id:016x}" for span in order]


@pytest.mark.parametrize("value", ["false", "0", "off", " FALSE "])
def test_the_variable_turns_it_off(
    value: str, records: Records, monkeypatch: pytest.MonkeyPatch, original_factory: Callable[..., logging.LogRecord]
) -> None:
    monkeypatch.setenv("LAMBDA_OTEL_LITE_LOG_CORRELATION", value)
    tracer, _ = init_telemetry("orders")
    install()
    with tracer.start_as_current_span("work"):
        logging.getLogger("orders").info("in a span")
    assert records.fields() == [(None, None, None, None)]
    assert logging.getLogRecordFactory() is original_factory
    assert not _logs.installed()


@pytest.mark.parametrize(("value", "on"), [(None, True), ("", True), ("true", True), ("1", True), ("no", False)])
def test_it_is_on_unless_the_variable_says_otherwise(value: str | None, on: bool) -> None:
    env = {} if value is None else {"LAMBDA_OTEL_LITE_LOG_CORRELATION": value}
    assert load_config(env).log_correlation is on


def test_a_bad_value_warns_once_naming_the_variable_and_keeps_it_on(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        config = load_config({"LAMBDA_OTEL_LITE_LOG_CORRELATION": "maybe"})
    assert config.log_correlation is True
    assert [r.getMessage() for r in caplog.records] == [
        "Invalid value for LAMBDA_OTEL_LITE_LOG_CORRELATION: 'maybe' (allowed: true or false); using true"
    ]


def test_a_second_config_that_turns_it_off_uninstalls(original_factory: Callable[..., logging.LogRecord]) -> None:
    install()
    _logs.install(load_config({"LAMBDA_OTEL_LITE_LOG_CORRELATION": "false"}))
    assert logging.getLogRecordFactory() is original_factory


def test_install_is_idempotent_and_uninstall_restores_the_previous_factory_exactly(records: Records) -> None:
    made: list[str] = []
    base = logging.getLogRecordFactory()

    def previous(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made.append("previous")
        return base(*args, **kwargs)

    logging.setLogRecordFactory(previous)
    install()
    ours = logging.getLogRecordFactory()
    install()  # again: what init_telemetry() will do, and this test's explicit call after it
    _logs.install(load_config(), service_name="renamed")
    assert logging.getLogRecordFactory() is ours
    logging.getLogger("orders").info("through both")
    assert made == ["previous"]  # the previous factory is kept, and called once per record
    assert records.fields() == [("0", "0", False, "renamed")]
    _logs.uninstall()
    assert logging.getLogRecordFactory() is previous
    _logs.uninstall()  # harmless
    assert logging.getLogRecordFactory() is previous


def test_a_failure_turns_correlation_off_logs_once_and_never_raises_into_the_caller(
    records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAMBDA_OTEL_LITE_STRICT")  # as in production: internal errors are not re-raised
    tracer, _ = init_telemetry("orders")
    install()

    def broken(context: object = None) -> trace.Span:
        raise RuntimeError("broken context")

    with tracer.start_as_current_span("work"):
        monkeypatch.setattr(trace, "get_current_span", broken)  # after the span starts: the SDK calls it too
        logging.getLogger("orders").info("first")  # does not raise
        logging.getLogger("orders").info("second")
    messages = [(record.getMessage(), getattr(record, "otelTraceID", None)) for record in records.records]
    assert messages == [
        ("lambda-otel-lite internal error: log correlation failed; log records carry no trace ids from now on", None),
        ("first", None),
        ("second", None),
    ]


def test_under_our_own_tests_a_failure_re_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    tracer, _ = init_telemetry("orders")
    install()

    def broken(context: object = None) -> trace.Span:
        raise RuntimeError("broken context")

    with tracer.start_as_current_span("work"):
        monkeypatch.setattr(trace, "get_current_span", broken)  # after the span starts: the SDK calls it too
        with pytest.raises(RuntimeError, match="broken context"):
            logging.getLogger("orders").warning("raises")


# --- opentelemetry-instrumentation-logging's LoggingInstrumentor active too -------------------


@pytest.fixture
def instrumentor() -> Iterator[Any]:
    from opentelemetry.instrumentation.logging import LoggingInstrumentor

    instrumentor = LoggingInstrumentor()
    yield instrumentor
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()


def contrib(instrumentor: Any) -> None:
    # No OpenTelemetry log handler: these tests are about the record factory only.
    instrumentor.instrument(inject_trace_context=True, enable_log_auto_instrumentation=False)


@pytest.mark.parametrize("order", ["ours first", "contrib first"])
def test_with_the_logging_instrumentor_active_too_records_carry_the_same_ids(
    order: str, instrumentor: Any, records: Records, stdout_telemetry: StdoutTelemetry
) -> None:
    init_telemetry("orders")
    if order == "ours first":
        install()
        contrib(instrumentor)
    else:
        contrib(instrumentor)
        install()
    handler(copy.deepcopy(HTTP_V2), CONTEXT)
    spans = {span.name: span for span in stdout_telemetry.spans()}
    invocation, child = spans["GET /orders/{id}"], spans["load_order"]
    assert [fields[:3] for fields in records.fields()] == [
        (invocation.trace_id, invocation.span_id, True),
        (child.trace_id, child.span_id, True),
        (invocation.trace_id, invocation.span_id, True),
    ]


def test_uninstalling_under_the_instrumentor_leaves_it_working_and_the_chain_restorable(
    instrumentor: Any, records: Records, original_factory: Callable[..., logging.LogRecord]
) -> None:
    """Ours wrapped by contrib's: uninstall cannot unlink it, so it is turned off and skipped later."""
    tracer, _ = init_telemetry("orders")
    install()
    ours = logging.getLogRecordFactory()
    contrib(instrumentor)
    _logs.uninstall()
    with tracer.start_as_current_span("work") as span:
        logging.getLogger("orders").info("contrib's ids only")
    assert records.fields()[0][:2] == (
        f"{span.get_span_context().trace_id:032x}",
        f"{span.get_span_context().span_id:016x}",
    )
    instrumentor.uninstrument()
    assert logging.getLogRecordFactory() is ours  # contrib restores what it wrapped: ours, turned off
    logging.getLogger("orders").info("no ids")
    assert records.fields()[1] == (None, None, None, None)
    install()  # skips the turned-off one
    _logs.uninstall()
    assert logging.getLogRecordFactory() is original_factory
