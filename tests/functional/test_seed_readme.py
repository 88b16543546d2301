"""The seed README's code, run verbatim: what it prints to stdout, decoded with opentelemetry-proto."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from lambda_otel_lite.testing import LambdaContext
from tests.support import StdoutTelemetry, shape

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


def load_seed(name: str) -> ModuleType:
    """Import a seed example afresh: its module body is the function's init phase."""
    module_name = f"tests.functional.seed.{name}"
    sys.modules.pop(module_name, None)
    return importlib.import_module(module_name)


def context() -> LambdaContext:
    return LambdaContext(
        function_name="orders-api",
        function_version="7",
        region="eu-west-1",
        aws_request_id="6f9e4c1a-1111-2222-3333-444455556666",
        invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:orders-api:live",
    )


FAAS = {
    "faas.trigger": "other",
    "faas.invocation_id": "6f9e4c1a-1111-2222-3333-444455556666",
    "cloud.account.id": "123456789012",
    # The alias "live" is replaced by the version it resolves to, per the FaaS conventions.
    "cloud.resource_id": "arn:aws:lambda:eu-west-1:123456789012:function:orders-api:7",
    "aws.lambda.invoked_arn": "arn:aws:lambda:eu-west-1:123456789012:function:orders-api:live",
}


@pytest.mark.usefixtures("lambda_env")
def test_basic_usage_prints_one_line_per_invocation_with_the_whole_trace(stdout_telemetry: StdoutTelemetry) -> None:
    seed = load_seed("basic_usage")

    responses = []
    per_invocation: list[list[Any]] = []
    for _ in range(3):
        responses.append(seed.handler({"type": "order.created"}, context()))
        # Sync mode: the line is on stdout by the time the handler has returned.
        lines = stdout_telemetry.lines()
        assert len(lines) == 1
        per_invocation.append(stdout_telemetry_spans(lines))

    assert responses == [{"statusCode": 200}] * 3
    first = per_invocation[0]
    assert [shape(span, first) for span in first] == [
        {
            "name": "process_event",
            "kind": "INTERNAL",
            "status": "UNSET",
            "status_message": "",
            "parent": "span:my-handler",
            "attributes": {"event.type": "order.created"},
            "links": [],
            "events": [],
        },
        {
            "name": "my-handler",
            "kind": "SERVER",
            "status": "UNSET",
            "status_message": "",
            "parent": None,
            "attributes": {**FAAS, "faas.cold_start": True},
            "links": [],
            "events": [],
        },
    ]
    assert first[0].trace_id == first[1].trace_id
    assert first[0].scope == "my-service"
    assert first[1].resource == {
        "cloud.provider": "aws",
        "cloud.platform": "aws_lambda",
        "cloud.region": "eu-west-1",
        "faas.name": "orders-api",
        "faas.version": "7",
        "faas.instance": "2026/11/25/[7]0123456789abcdef0123456789abcdef",
        "faas.max_memory": 512 * MIB,
        "service.name": "orders-api",
        "aws.log.group.names": ["/aws/lambda/orders-api"],
        "aws.log.stream.names": ["2026/11/25/[7]0123456789abcdef0123456789abcdef"],
        "telemetry.sdk.language": "python",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.version": first[1].resource["telemetry.sdk.version"],
    }
    # Cold start is marked on the first invocation only; each invocation is its own trace.
    for later in per_invocation[1:]:
        assert "faas.cold_start" not in later[1].attributes
        assert later[1].attributes == FAAS
    assert len({spans[1].trace_id for spans in per_invocation}) == 3


def stdout_telemetry_spans(lines: list[str]) -> list[Any]:
    from lambda_otel_lite.local.decode import decode_lines

    spans, errors = decode_lines(lines)
    assert errors == []
    return spans


def test_api_gateway_example_sets_http_attributes_and_error_status(
    stdout_telemetry: StdoutTelemetry, rest_v1_event: dict[str, Any]
) -> None:
    seed = load_seed("api_gateway")

    assert seed.handler(rest_v1_event, None) == {"statusCode": 200, "body": "Success"}
    assert seed.error_handler(rest_v1_event, None) == {"statusCode": 500, "body": "Internal error"}

    ok, error = stdout_telemetry.spans()
    http = {
        "faas.trigger": "http",
        "http.method": "POST",
        "http.route": "/orders/{id}",
        "http.target": "/orders/42?verbose=true",
        "http.scheme": "https",
        "net.host.name": "abc123.execute-api.eu-west-1.amazonaws.com",
        "net.host.port": 443,  # API Gateway is HTTPS-only; no port in Host nor X-Forwarded-Port
        "http.client_ip": "203.0.113.9",
        "http.user_agent": "curl/8.5.0",
    }
    # The context-manager form cannot see the returned dict, so the status code is not recorded.
    assert shape(ok) == {
        "name": "api-handler",
        "kind": "SERVER",
        "status": "UNSET",
        "status_message": "",
        "parent": PARENT_ID,
        "attributes": {**http, "faas.cold_start": True},
        "links": [],
        "events": [],
    }
    assert ok.trace_id == TRACE_ID
    assert shape(error)["attributes"] == http


@pytest.fixture
def rest_v1_event() -> dict[str, Any]:
    return {
        "resource": "/orders/{id}",
        "path": "/orders/42",
        "httpMethod": "POST",
        "headers": {
            "Host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "Traceparent": TRACEPARENT,
            "User-Agent": "curl/8.5.0",
            "X-Forwarded-Proto": "https",
        },
        "queryStringParameters": {"verbose": "true"},
        "multiValueQueryStringParameters": None,
        "pathParameters": {"id": "42"},
        "requestContext": {
            "resourcePath": "/orders/{id}",
            "httpMethod": "POST",
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "curl/8.5.0"},
        },
        "body": json.dumps({"item": "book"}),
        "isBase64Encoded": False,
    }


def test_distributed_tracing_example_parents_on_headers_and_merges_attributes(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    seed = load_seed("distributed_tracing")

    seed.handler({"headers": {"traceparent": TRACEPARENT}}, context())

    (span,) = stdout_telemetry.spans()
    assert (span.trace_id, span.parent_span_id) == (TRACE_ID, PARENT_ID)
    assert span.attributes == {**FAAS, "faas.cold_start": True, "custom.attribute": "value"}


def test_distributed_tracing_custom_carrier_reads_sqs_message_attributes(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    seed = load_seed("distributed_tracing")
    event = {
        "Records": [
            {
                "messageId": "1",
                "eventSource": "aws:sqs",
                "messageAttributes": {"traceparent": {"stringValue": TRACEPARENT, "dataType": "String"}},
            }
        ]
    }

    seed.handler_with_custom_extraction(event, context())

    (span,) = stdout_telemetry.spans()
    assert (span.trace_id, span.parent_span_id) == (TRACE_ID, PARENT_ID)


def test_custom_configuration_example_runs_the_users_processors() -> None:
    # ConsoleSpanExporter binds the process's stdout when it is imported, so run it in a process of its own.
    script = (
        "import tests.functional.seed.custom_configuration as seed\n"
        "with seed.tracer.start_as_current_span('work'):\n"
        "    pass\n"
        "assert seed.provider.force_flush()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )

    printed = json.loads(result.stdout)
    assert printed["name"] == "work"
    assert isinstance(printed["attributes"]["start_load_average"], float)
