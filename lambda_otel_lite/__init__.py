"""lambda-otel-lite: lightweight OpenTelemetry tracing for AWS Lambda.

Example:
    >>> from lambda_otel_lite import init_telemetry, traced_handler
    >>> tracer, provider = init_telemetry("my-service")
"""

from __future__ import annotations

import sys as _sys
from typing import TYPE_CHECKING, Any

from lambda_otel_lite.exceptions import (
    ConfigurationError,
    EventValidationError,
    LambdaOtelLiteError,
    TelemetryNotInitializedError,
)
from lambda_otel_lite.exporter import StdoutSpanExporter
from lambda_otel_lite.handler import InvocationSpan, instrumented, traced_handler
from lambda_otel_lite.processor import LambdaSpanProcessor, ProcessorMode
from lambda_otel_lite.propagation import (
    json_record_carrier,
    register_carrier_extractor,
    register_record_carrier_extractor,
)
from lambda_otel_lite.resource import get_lambda_resource
from lambda_otel_lite.telemetry import init_telemetry

if TYPE_CHECKING:
    from lambda_otel_lite.outgoing import inject_context
    from lambda_otel_lite.records import RecordSpan, process_records, traced_records

__version__ = "0.1.0"

__all__ = [
    "ConfigurationError",
    "EventValidationError",
    "InvocationSpan",
    "LambdaOtelLiteError",
    "LambdaSpanProcessor",
    "ProcessorMode",
    "RecordSpan",
    "StdoutSpanExporter",
    "TelemetryNotInitializedError",
    "__version__",
    "get_lambda_resource",
    "init_telemetry",
    "inject_context",
    "instrumented",
    "json_record_carrier",
    "process_records",
    "register_carrier_extractor",
    "register_record_carrier_extractor",
    "traced_handler",
    "traced_records",
]


def __getattr__(name: str) -> Any:
    # The batch API loads with its first use: handlers that process no batch never import it.
    if name in ("RecordSpan", "process_records", "traced_records"):
        from lambda_otel_lite import records

        return getattr(records, name)
    if name == "inject_context":  # loads with its first use, as the batch API does
        from lambda_otel_lite import outgoing

        return outgoing.inject_context
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if "botocore" in _sys.modules:  # boto3 imported first (as isort orders imports): hook it before any client exists
    from lambda_otel_lite import _botocore

    _botocore.maybe_install()
