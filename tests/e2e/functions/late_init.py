"""A function that sets telemetry up inside its first invocation, after registration closed."""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import Tracer

from lambda_otel_lite import init_telemetry, traced_handler
from lambda_otel_lite.telemetry import STATE

_telemetry: list[Any] = []


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if not _telemetry:
        _telemetry.extend(init_telemetry("late"))
    tracer: Tracer = _telemetry[0]
    with traced_handler(tracer, _telemetry[1], "late-handler", event, context), tracer.start_as_current_span("child"):
        pass
    return {"mode": STATE.mode.value}
