"""Sampling: init_telemetry(sampler=...), OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, exact counts."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

from lambda_otel_lite import ConfigurationError, LambdaSpanProcessor, init_telemetry, instrumented
from lambda_otel_lite.testing import LambdaContext
from tests.support import StdoutTelemetry

TRACE = "0af7651916cd43dd8448eb211c80319c"
HTTP: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "GET /x",
    "rawPath": "/x",
    "headers": {},
    "requestContext": {"http": {"method": "GET", "path": "/x"}},
}


def run(times: int = 3, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    responses = []

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        from opentelemetry import trace

        with trace.get_tracer("t").start_as_current_span("child"):
            pass
        return {"statusCode": 200}

    for number in range(times):
        event = copy.deepcopy(HTTP)
        event["headers"] = dict(headers or {})
        responses.append(handler(event, LambdaContext(aws_request_id=f"r-{number}")))
    return responses


def processor_of(provider: Any) -> LambdaSpanProcessor:
    processor = provider._active_span_processor._span_processors[0]
    assert isinstance(processor, LambdaSpanProcessor)
    return processor


def test_an_always_off_sampler_exports_nothing_and_counts_no_drop(stdout_telemetry: StdoutTelemetry) -> None:
    _, provider = init_telemetry("sampling", sampler=ALWAYS_OFF)
    assert run() == [{"statusCode": 200}] * 3
    assert stdout_telemetry.spans() == []
    processor = processor_of(provider)
    assert (processor.dropped_spans, processor.failed_spans) == (0, 0)


@pytest.mark.parametrize(("ratio", "exported"), [("0", 0), ("1", 6)])
def test_the_sdk_environment_variables_choose_the_sampler(
    ratio: str, exported: int, monkeypatch: pytest.MonkeyPatch, stdout_telemetry: StdoutTelemetry
) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", ratio)
    init_telemetry("sampling")
    run()
    assert len(stdout_telemetry.spans()) == exported


def test_a_sampled_w3c_parent_is_followed_by_a_parent_based_sampler(stdout_telemetry: StdoutTelemetry) -> None:
    init_telemetry("sampling", sampler=ParentBased(ALWAYS_OFF))
    run(1, {"traceparent": f"00-{TRACE}-b7ad6b7169203331-01"})
    run(1, {"traceparent": f"00-{TRACE}-b7ad6b7169203331-00"})
    run(1)
    spans = stdout_telemetry.spans()
    assert [span.name for span in spans] == ["child", "GET /x"]  # only the sampled parent's invocation
    assert {span.trace_id for span in spans} == {TRACE}


def test_a_sampler_that_is_not_one_is_rejected_naming_the_argument() -> None:
    with pytest.raises(
        ConfigurationError, match=r"sampler must be an opentelemetry\.sdk\.trace\.sampling\.Sampler, got str"
    ):
        init_telemetry("sampling", sampler="always_off")  # type: ignore[arg-type]
