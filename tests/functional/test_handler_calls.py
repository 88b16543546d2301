"""How a decorated handler may be called, and the global provider's tracers across a re-init."""

from __future__ import annotations

import threading
from typing import Any

from opentelemetry import trace

from lambda_otel_lite import init_telemetry, instrumented
from lambda_otel_lite._state import CURRENT_INVOCATION, STATE
from lambda_otel_lite._timeouts import WATCHDOG
from lambda_otel_lite.testing import LambdaContext, capture_spans


def test_a_context_passed_as_a_keyword_gives_the_invocation_id_and_the_watchdog() -> None:
    init_telemetry("orders")
    seen: list[tuple[object, object]] = []

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> str:
        invocation = CURRENT_INVOCATION.get()
        seen.append((invocation.deadline is not None, [i.request_id for i in WATCHDOG.running()]))
        return context.aws_request_id  # type: ignore[no-any-return]

    context = LambdaContext(aws_request_id="by-keyword")
    with capture_spans() as capture:
        assert handler({"hello": "world"}, context=context) == "by-keyword"
        assert handler(event={"hello": "world"}, context=context) == "by-keyword"
    assert seen == [(True, ["by-keyword"]), (True, ["by-keyword"])]
    assert [span.attributes["faas.invocation_id"] for span in capture.spans] == ["by-keyword", "by-keyword"]  # type: ignore[index]


def test_a_context_by_keyword_under_another_parameter_name() -> None:
    init_telemetry("orders")

    @instrumented
    def handler(payload: dict[str, Any], lambda_context: Any) -> object:
        return payload["n"]

    with capture_spans() as capture:
        assert handler({"n": 1}, lambda_context=LambdaContext(aws_request_id="named")) == 1
    (span,) = capture.spans
    assert span.attributes is not None
    assert span.attributes["faas.invocation_id"] == "named"


def test_a_global_tracer_never_pairs_a_new_provider_with_the_previous_tracer() -> None:
    """The delegating tracer swaps provider and tracer as one tuple, whatever thread reads it."""
    init_telemetry("first")
    tracer = trace.get_tracer_provider().get_tracer("shared")
    stop = threading.Event()
    mismatches: list[object] = []

    def paired(pair: tuple[Any, Any]) -> bool:
        provider, its_tracer = pair
        return provider is None or its_tracer.span_processor is provider._active_span_processor

    def starts() -> None:
        while not stop.is_set():
            tracer.start_span("s").end()
            pair = tracer._pair  # type: ignore[attr-defined]
            if not paired(pair):
                mismatches.append(pair)

    worker = threading.Thread(target=starts)
    worker.start()
    try:
        for n in range(20):
            init_telemetry(f"again-{n}")
    finally:
        stop.set()
        worker.join(10)
    assert mismatches == []
    tracer.start_span("after").end()
    provider, _ = tracer._pair  # type: ignore[attr-defined]
    assert provider is STATE.provider
    assert paired(tracer._pair)  # type: ignore[attr-defined]
