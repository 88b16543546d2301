"""Log correlation under the real awslambdaric: the ids are in the lines the runtime writes."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lambda_otel_lite.local.decode import DecodedSpan, decode_lines
from lambda_otel_lite.local.runtime import LocalRuntime
from tests.e2e.support import log_lines, runtime

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "logs"
JSON_LOGS = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
FIELDS = ("otelTraceID", "otelSpanID", "otelTraceSampled", "otelServiceName")


def run(env: Mapping[str, str | None], events: list[dict[str, Any]]) -> tuple[LocalRuntime, list[DecodedSpan]]:
    with runtime("log_correlation", env=dict(env)) as local:
        for event in events:
            assert local.invoke(event).error is None
        spans, errors = decode_lines(local.stdout_lines())
    assert errors == []
    return local, spans


def json_lines(local: LocalRuntime) -> list[dict[str, Any]]:
    """The function's JSON log lines, without the timestamp (the one field that varies)."""
    lines = [json.loads(line) for line in log_lines(local)]
    for line in lines:
        del line["timestamp"]
    return lines


def test_json_log_lines_carry_the_ids_of_the_exported_invocation_and_child_spans() -> None:
    local, spans = run(JSON_LOGS, [{"n": 1}, {"n": 2}])
    service = local.function_name
    expected: list[dict[str, Any]] = [
        {
            "level": "INFO",
            "message": "init done",
            "logger": "root",
            "requestId": "",
            "otelTraceID": "0",
            "otelSpanID": "0",
            "otelTraceSampled": False,
            "otelServiceName": service,
        }
    ]
    for number, invocation in enumerate(local.invocations, 1):
        (span,) = [s for s in spans if s.attributes.get("faas.invocation_id") == invocation.request_id]
        (child,) = [s for s in spans if s.name == "child" and s.parent_span_id == span.span_id]
        expected += [
            {
                "level": "INFO",
                "message": f"handling {number}",
                "logger": "root",
                "requestId": invocation.request_id,
                "otelTraceID": span.trace_id,
                "otelSpanID": span.span_id,
                "otelTraceSampled": True,
                "otelServiceName": service,
            },
            {
                "level": "WARNING",
                "message": "in a child span",
                "logger": "orders",
                "requestId": invocation.request_id,
                "otelTraceID": child.trace_id,
                "otelSpanID": child.span_id,
                "otelTraceSampled": True,
                "otelServiceName": service,
            },
        ]
    assert json_lines(local) == expected


def test_false_leaves_the_json_lines_as_the_runtime_writes_them() -> None:
    local, _ = run({**JSON_LOGS, "LAMBDA_OTEL_LITE_LOG_CORRELATION": "false"}, [{"n": 1}])
    lines = json_lines(local)
    assert [line["message"] for line in lines] == ["init done", "handling 1", "in a child span"]
    assert [sorted(set(FIELDS) & set(line)) for line in lines] == [[], [], []]


def test_the_text_format_names_only_the_runtimes_fields() -> None:
    """Why the logs page shows a formatter: Lambda's default text lines do not show the ids."""
    local, spans = run({}, [{"n": 1}])
    (line,) = log_lines(local)  # the WARNING (the text format's root level is WARNING)
    (request_id,) = [invocation.request_id for invocation in local.invocations]
    assert re.fullmatch(rf"\[WARNING\]\t\S+Z\t{request_id}\tin a child span", line), line
    assert all(span.trace_id not in line for span in spans)


def test_the_text_format_example_puts_the_invocation_spans_ids_in_the_line() -> None:
    local, spans = run({"LOG_CORRELATION_EXAMPLE": "text_format"}, [{"order_id": "42"}])
    (span,) = spans
    (request_id,) = [invocation.request_id for invocation in local.invocations]
    (line,) = log_lines(local)
    pattern = rf"\[INFO\]\t\S+Z\t{request_id}\ttrace_id={span.trace_id} span_id={span.span_id}\tloading order 42"
    assert re.fullmatch(pattern, line), line
    shown = (EXAMPLES / "text-line.txt").read_text().rstrip("\n")  # the line the logs page shows
    assert re.fullmatch(r"\[INFO\]\t\S+Z\t[0-9a-f-]{36}\ttrace_id=[0-9a-f]{32} span_id=[0-9a-f]{16}\t.+", shown)


def test_the_text_format_example_keeps_working_when_correlation_is_off() -> None:
    local, _ = run({"LOG_CORRELATION_EXAMPLE": "text_format", "LAMBDA_OTEL_LITE_LOG_CORRELATION": "false"}, [{}])
    (line,) = log_lines(local)  # the formatter's defaults: no "--- Logging error ---"
    assert "\ttrace_id=0 span_id=0\tloading order None" in line


def test_the_json_example_logs_the_ids_of_its_spans_in_the_fields_the_logs_page_shows() -> None:
    local, spans = run({**JSON_LOGS, "LOG_CORRELATION_EXAMPLE": "orders"}, [{"order_id": "42"}])
    names = {span.name: span for span in spans}
    invocation, child = names[local.function_name], names["load_order"]
    lines = json_lines(local)
    assert [(line["message"], line["otelTraceID"], line["otelSpanID"]) for line in lines] == [
        ("loading order 42", invocation.trace_id, invocation.span_id),
        ("cache miss", child.trace_id, child.span_id),
    ]
    shown = json.loads((EXAMPLES / "json-line.json").read_text())
    assert list(shown) == ["timestamp", *lines[1]]  # the same fields, in the order awslambdaric writes them
