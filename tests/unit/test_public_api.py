"""The public API: ``__all__`` of the package is pinned, and every name in it resolves."""

from __future__ import annotations

import lambda_otel_lite

PUBLIC = [
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


def test_all_is_the_pinned_public_api() -> None:
    assert sorted(lambda_otel_lite.__all__) == PUBLIC


def test_every_public_name_resolves() -> None:
    for name in PUBLIC:
        assert getattr(lambda_otel_lite, name) is not None
