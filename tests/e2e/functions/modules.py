"""A function that reports which of the costly modules its process has loaded when the handler runs."""

from __future__ import annotations

import sys
from typing import Any

from lambda_otel_lite import instrumented

WATCHED = ("pydantic", "http", "ssl", "email", "asyncio", "otlp_stdout_span_exporter", "google")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    loaded = sorted({name.split(".")[0] for name in sys.modules if name.split(".")[0] in WATCHED})
    return {"statusCode": 200, "loaded": loaded}
