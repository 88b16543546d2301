"""Bad input never breaks the handler: it runs, its span is exported, nothing raises from the library."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from lambda_otel_lite import init_telemetry, traced_handler
from lambda_otel_lite.testing import LambdaContext
from tests.support import StdoutTelemetry


def raising_carrier(event: Any) -> dict[str, str]:
    raise RuntimeError("carrier lookup failed")


CASES: dict[str, tuple[object, object, dict[str, Any]]] = {
    "event None": (None, LambdaContext(), {}),
    "headers None": ({"headers": None}, LambdaContext(), {}),
    "headers a string": ({"headers": "traceparent: x"}, LambdaContext(), {}),
    "headers a list": ({"headers": [["traceparent", "x"]]}, LambdaContext(), {}),
    "event a list": ([1, 2, 3], LambdaContext(), {}),
    "event a string": ("hello", LambdaContext(), {}),
    "event bytes": (b"\xff\xfe", LambdaContext(), {}),
    "event an int": (7, LambdaContext(), {}),
    "context missing fields": ({}, object(), {}),
    "context None": ({}, None, {}),
    "context with wrong types": ({}, SimpleNamespace(aws_request_id=1, invoked_function_arn=b"arn"), {}),
    "invalid ARN": ({}, LambdaContext(invoked_function_arn="arn:aws:lambda:nope"), {}),
    "malformed traceparent": ({"headers": {"traceparent": "00-zzzz-yyyy-01"}}, LambdaContext(), {}),
    "traceparent of zeros": (
        {"headers": {"traceparent": "00-00000000000000000000000000000000-0000000000000000-01"}},
        LambdaContext(),
        {},
    ),
    "non-string header values": ({"headers": {"traceparent": 12, 3: "x", "baggage": None}}, LambdaContext(), {}),
    "HTTP event with odd values": (
        {"httpMethod": 5, "requestContext": {"identity": None}, "headers": {"Host": ["a"]}, "path": None},
        LambdaContext(),
        {},
    ),
    "HTTP v2 event with a non-dict http": (
        {"version": "2.0", "requestContext": {"http": "GET"}, "routeKey": 3},
        None,
        {},
    ),
    "raising get_carrier": ({"headers": {}}, LambdaContext(), {"get_carrier": raising_carrier}),
    "get_carrier returning a string": ({}, LambdaContext(), {"get_carrier": lambda event: "traceparent"}),
}


@pytest.mark.parametrize("case", CASES)
def test_the_handler_runs_and_one_root_span_is_exported(
    case: str, stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    event, context, kwargs = CASES[case]
    tracer, provider = init_telemetry("t")
    ran = []

    with caplog.at_level(logging.WARNING), traced_handler(tracer, provider, "handler", event, context, **kwargs):
        ran.append(True)

    (span,) = stdout_telemetry.spans()
    assert (ran, span.name, span.parent_span_id, span.status) == ([True], "handler", None, "UNSET")
    # Problems with the input are reported at most once each; nothing is logged as an internal error.
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == len(set(messages)) <= 1
    assert not any("internal error" in message for message in messages)


def test_a_raising_get_carrier_warns_once_across_invocations(
    stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    tracer, provider = init_telemetry("t")
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            with traced_handler(tracer, provider, "handler", {}, None, get_carrier=raising_carrier):
                pass
    assert len(stdout_telemetry.spans()) == 3
    assert [r.getMessage() for r in caplog.records] == [
        "get_carrier 'raising_carrier' raised; the invocation span starts a new trace"
    ]
