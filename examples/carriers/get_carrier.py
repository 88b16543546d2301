"""Where the trace context is, when it is not in the event's headers: a carrier function per handler.

Run it locally:
``lambda-otel-lite invoke examples/carriers/get_carrier.py:handler --event examples/carriers/event.json``
"""

from __future__ import annotations

from typing import Any

from lambda_otel_lite import init_telemetry, instrumented, traced_handler

tracer, provider = init_telemetry("jobs")


# --8<-- [start:function]
def from_metadata(event: dict[str, Any]) -> dict[str, str]:
    """The producer put the W3C headers under ``metadata.trace``."""
    trace_fields: dict[str, str] = event.get("metadata", {}).get("trace", {})
    return trace_fields


# --8<-- [end:function]


# --8<-- [start:decorator]
@instrumented(get_carrier=from_metadata)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"job": event.get("job"), "status": "done"}


# --8<-- [end:decorator]


# --8<-- [start:context-manager]
def seed_style_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with traced_handler(tracer, provider, "run job", event, context, get_carrier=from_metadata):
        return {"job": event.get("job"), "status": "done"}


# --8<-- [end:context-manager]
