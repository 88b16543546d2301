"""Telemetry never breaks the handler: a raising processor, exporter or ID generator at every public entry point.

Strict mode is off here (``lenient``): these faults are injected on purpose, and the test sees what
a user sees. For every fault and every entry point, run twice: the caller gets the handler's own
result or exception, and each failure is logged once (at WARNING; a repeat goes to DEBUG).
"""

from __future__ import annotations

import collections
import copy
import logging
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator

from lambda_otel_lite import (
    LambdaSpanProcessor,
    StdoutSpanExporter,
    init_telemetry,
    inject_context,
    instrumented,
    process_records,
    traced_handler,
    traced_records,
)
from lambda_otel_lite.testing import LambdaContext, sample_event

pytestmark = pytest.mark.usefixtures("lenient")


class RaisingProcessor(SpanProcessor):
    def __init__(self, where: str) -> None:
        self.where = where

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        if self.where == "on_start":
            raise RuntimeError("on_start failed")

    def on_end(self, span: ReadableSpan) -> None:
        if self.where == "on_end":
            raise RuntimeError("on_end failed")


class RaisingExporter(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        raise RuntimeError("export failed")


class RaisingIds(IdGenerator):
    def generate_span_id(self) -> int:
        raise RuntimeError("no span id")

    def generate_trace_id(self) -> int:
        raise RuntimeError("no trace id")


def set_up(fault: str) -> tuple[trace.Tracer, Any]:
    """``init_telemetry`` with *fault* in the pipeline."""
    if fault == "exporter":
        return init_telemetry("faulty", span_processors=[LambdaSpanProcessor(RaisingExporter())])
    if fault == "id_generator":
        return init_telemetry("faulty", tracer_provider=TracerProvider(id_generator=RaisingIds()))
    return init_telemetry(
        "faulty", span_processors=[LambdaSpanProcessor(StdoutSpanExporter()), RaisingProcessor(fault)]
    )


class Boom(Exception):
    pass


def sqs_handler() -> Callable[[dict[str, Any], Any], Any]:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> Any:
        def handle(record: dict[str, Any]) -> None:
            if record is event["Records"][0]:
                raise Boom("the first record fails")

        return process_records(event, handle)

    return handler


def entry_points(fault: str) -> dict[str, Callable[[], object]]:
    """Each public entry point, as a call that gives what the caller gets."""
    tracer, provider = set_up(fault)

    @instrumented
    def returns(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 201}

    @instrumented
    def raises(event: dict[str, Any], context: Any) -> None:
        raise Boom("the handler's own")

    def context_manager() -> dict[str, Any]:
        with traced_handler(tracer, provider, "GET /orders", sample_event("apigateway-http-v2"), LambdaContext()) as s:
            response = {"statusCode": 202}
            s.set_response(response)
            return response

    def records_outside_a_handler() -> int:
        count = 0
        for _record, span in traced_records(sample_event("sqs")):
            with span:
                count += 1
        return count

    def re_init() -> str:
        set_up(fault)  # the previous provider is flushed and shut down
        return "initialised"

    @instrumented
    def injects(event: dict[str, Any], context: Any) -> bool:
        return isinstance(inject_context({}), dict)

    def aws_sdk_call() -> object:
        import boto3  # type: ignore[import-untyped]
        from botocore.stub import Stubber  # type: ignore[import-untyped]

        client = boto3.session.Session().client(
            "sqs", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
        )

        @instrumented
        def sends(event: dict[str, Any], context: Any) -> object:
            with Stubber(client) as stubber:
                stubber.add_response("send_message", {"MessageId": "m-1"})
                return client.send_message(QueueUrl="https://sqs.eu-west-1.amazonaws.com/1/q", MessageBody="x")[
                    "MessageId"
                ]

        return sends({}, LambdaContext())

    return {
        "@instrumented returns": lambda: returns(copy.deepcopy(sample_event("apigateway-http-v2")), LambdaContext()),
        "@instrumented raises": lambda: raises({}, LambdaContext()),
        "traced_handler": context_manager,
        "process_records": lambda: sqs_handler()(sample_event("sqs"), LambdaContext()),
        "traced_records": records_outside_a_handler,
        "init_telemetry": re_init,
        "inject_context": lambda: injects({}, LambdaContext()),
        "AWS SDK call": aws_sdk_call,
    }


EXPECTED: dict[str, object] = {
    "@instrumented returns": {"statusCode": 201},
    "@instrumented raises": Boom,
    "traced_handler": {"statusCode": 202},
    "process_records": {"batchItemFailures": [{"itemIdentifier": sample_event("sqs")["Records"][0]["messageId"]}]},
    "traced_records": len(sample_event("sqs")["Records"]),
    "init_telemetry": "initialised",
    "inject_context": True,
    "AWS SDK call": "m-1",
}
FAULTS = ["on_start", "on_end", "exporter", "id_generator"]


def outcome(call: Callable[[], object]) -> object:
    try:
        return call()
    except Exception as exc:
        return type(exc)


@pytest.mark.parametrize("entry", list(EXPECTED))
@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_in_the_pipeline_never_changes_what_the_caller_gets_and_is_logged_once(
    fault: str, entry: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG, logger="lambda_otel_lite")
    call = entry_points(fault)[entry]
    assert [outcome(call), outcome(call)] == [EXPECTED[entry]] * 2
    warned = [
        r.getMessage().split("\n")[0]
        for r in caplog.records
        if r.name.startswith("lambda_otel_lite") and r.levelno >= logging.WARNING
    ]
    repeated = {message: count for message, count in collections.Counter(warned).items() if count > 1}
    assert repeated == {}
    triggered = {
        # where the fault is on the path of the entry point at all
        "on_start": entry not in ("init_telemetry",),
        "on_end": entry not in ("init_telemetry",),
        "exporter": entry not in ("traced_records", "init_telemetry"),
        "id_generator": entry not in ("init_telemetry",),
    }[fault]
    if triggered:
        assert warned != [], "the failure was not logged"


def test_traced_records_outside_a_handler_with_a_raising_on_end_keeps_the_records_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    set_up("on_end")

    def process() -> None:
        for _record, span in traced_records(sample_event("sqs")):
            with span:
                raise Boom("the record's own")

    with pytest.raises(Boom):
        process()
    assert any(
        "ending a record span" in r.getMessage() or "leaving a record span" in r.getMessage() for r in caplog.records
    )


def test_a_processor_whose_shutdown_raises_does_not_break_a_re_init(caplog: pytest.LogCaptureFixture) -> None:
    class RaisingShutdown(SpanProcessor):
        raised = False

        def shutdown(self) -> None:
            if not self.raised:  # once: the provider's exit handler shuts it down again
                self.raised = True
                raise RuntimeError("shutdown failed")

    init_telemetry("first", span_processors=[RaisingShutdown()])
    _, provider = init_telemetry("second")
    assert provider is not None
    assert [r for r in caplog.records if "shut" in r.getMessage() and r.levelno >= logging.WARNING] != []
