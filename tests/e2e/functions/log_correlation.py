"""A function for the end-to-end tests of log correlation.

Its own handler logs with the root logger at init, in its invocation span and in a child span.
With ``LOG_CORRELATION_EXAMPLE`` naming a file of ``examples/logs/`` (``text_format``), the handler
is that example's, imported as Lambda imports a handler module.

Event: ``{"n": int}`` (ours) or the example's.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path
from typing import Any

from lambda_otel_lite import _config, _logs, init_telemetry, instrumented

EXAMPLE = os.environ.get("LOG_CORRELATION_EXAMPLE")

if EXAMPLE:
    path = Path(__file__).resolve().parents[3] / "examples" / "logs" / f"{EXAMPLE}.py"
    spec = importlib.util.spec_from_file_location(f"logs_example_{EXAMPLE}", path)
    assert spec is not None
    assert spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    tracer, provider = example.tracer, example.provider
else:
    tracer, provider = init_telemetry("e2e")

# Until init_telemetry() installs log correlation itself; harmless after (install is idempotent).
_logs.install(_config.load_config(), service_name=str(provider.resource.attributes["service.name"]))

if not EXAMPLE:
    logging.getLogger().info("init done")


@instrumented
def _handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logging.getLogger().info("handling %s", event.get("n"))
    with tracer.start_as_current_span("child"):
        logging.getLogger("orders").warning("in a child span")
    return {"statusCode": 200}


handler = example.handler if EXAMPLE else _handler
