"""What `import lambda_otel_lite` costs: the modules it must never import in sync mode."""

from __future__ import annotations

import json
import subprocess
import sys


def imported_modules(code: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}


FORBIDDEN = (
    "pydantic",
    "http.client",
    "ssl",
    "urllib.request",
    "asyncio",
    "google",
    "opentelemetry.proto",
    "opentelemetry.exporter",
    "otlp_stdout_span_exporter",
    "opentelemetry.propagators.aws",  # the X-Ray propagators: only when OTEL_PROPAGATORS names them
    "importlib.metadata",
)


def test_import_and_sync_init_import_no_pydantic_http_client_ssl_or_protobuf() -> None:
    modules = imported_modules("import lambda_otel_lite; lambda_otel_lite.init_telemetry('t')")
    assert "lambda_otel_lite" in modules
    assert sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)) == []


# The package's own modules that `import lambda_otel_lite` plus a sync-mode init_telemetry() load:
# the extension, the event models, the local runtime and the testing helpers stay out.
SYNC_PACKAGE_MODULES = [
    "lambda_otel_lite",
    "lambda_otel_lite._config",
    "lambda_otel_lite._invocation",
    "lambda_otel_lite._log",
    "lambda_otel_lite._logs",
    "lambda_otel_lite._mapping",
    "lambda_otel_lite._otlp",
    "lambda_otel_lite._resets",
    "lambda_otel_lite._state",
    "lambda_otel_lite._timeouts",
    "lambda_otel_lite.exceptions",
    "lambda_otel_lite.exporter",
    "lambda_otel_lite.handler",
    "lambda_otel_lite.processor",
    "lambda_otel_lite.propagation",
    "lambda_otel_lite.resource",
    "lambda_otel_lite.semconv",
    "lambda_otel_lite.sources",
    "lambda_otel_lite.sources._base",
    "lambda_otel_lite.sources.http",
    "lambda_otel_lite.sources.sqs",
    "lambda_otel_lite.telemetry",
]


def test_sync_init_loads_exactly_the_pinned_package_modules() -> None:
    modules = imported_modules("import lambda_otel_lite; lambda_otel_lite.init_telemetry('t')")
    assert sorted(m for m in modules if m.split(".")[0] == "lambda_otel_lite") == SYNC_PACKAGE_MODULES


def loaded_modules(code: str) -> set[str]:
    """``sys.modules`` after *code*: unlike ``-X importtime``, it sees ``importlib.import_module`` too."""
    script = code + "; import sys, json; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_the_xray_propagator_is_imported_when_configured_and_only_then() -> None:
    code = (
        "import os; os.environ['OTEL_PROPAGATORS'] = 'tracecontext,baggage,xray-lambda'; "
        "import lambda_otel_lite; lambda_otel_lite.init_telemetry('t')"
    )
    assert "opentelemetry.propagators.aws" in loaded_modules(code)
    assert "opentelemetry.propagators.aws" not in loaded_modules(
        "import lambda_otel_lite; lambda_otel_lite.init_telemetry('t')"
    )


def test_a_batch_trigger_loads_its_source_and_the_batch_api_only_when_used() -> None:
    code = (
        "import lambda_otel_lite as l; l.init_telemetry('t'); "
        "from lambda_otel_lite.sources import detect_source; "
        "detect_source({'Records': [{'eventSource': 'aws:kinesis'}]})"
    )
    modules = loaded_modules(code)
    assert "lambda_otel_lite.sources.kinesis" in modules
    assert "lambda_otel_lite.sources.dynamodb" not in modules
    assert "lambda_otel_lite.records" not in modules
