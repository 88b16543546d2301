"""Functions that report which of the costly modules their process has loaded when the handler runs."""

from __future__ import annotations

import sys
from typing import Any

from lambda_otel_lite import instrumented

WATCHED = (
    "pydantic",
    "http",
    "ssl",
    "email",
    "asyncio",
    "otlp_stdout_span_exporter",
    "google",
    "opentelemetry.proto",
    "opentelemetry.exporter",
)


def loaded() -> list[str]:
    """The watched modules (top-level names, or the dotted name for the opentelemetry ones) now loaded."""
    found = set()
    for name in list(sys.modules):
        for watched in WATCHED:
            if name == watched or name.startswith(watched + "."):
                found.add(watched)
    return sorted(found)


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "loaded": loaded()}
