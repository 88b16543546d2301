"""A SnapStart function: a span made during init, and an after-restore hook of its own.

``SNAP_FAIL_RESTORE=1`` makes its after-restore hook raise.
"""

from __future__ import annotations

import os
from typing import Any

from snapshot_restore_py import register_after_restore

from lambda_otel_lite import init_telemetry, instrumented

tracer, provider = init_telemetry("e2e")

with tracer.start_as_current_span("warm-up"):  # init work: exported once, before the snapshot
    pass


def reconnect() -> None:
    print("after-restore hook ran", flush=True)
    if os.environ.get("SNAP_FAIL_RESTORE") == "1":
        raise ConnectionError("the database is unreachable after the restore")


register_after_restore(reconnect)


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with tracer.start_as_current_span("child"):
        pass
    return {"statusCode": 200}
