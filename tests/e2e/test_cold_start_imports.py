"""What a cold start loads before the first response, per processing mode (the speed targets).

The extension talks HTTP over plain sockets (no ``http.client``, ``ssl`` or ``email``), and in
async mode on an on-demand environment the OTLP exporter and its protobuf encoder are loaded on the
extension thread after the first response, not before it.
"""

from __future__ import annotations

import pytest

from tests.e2e.support import export_violations, runtime

EXPORTER = ["google", "otlp_stdout_span_exporter"]  # the exporter and its protobuf encoder


def test_async_on_demand_answers_the_first_invocation_before_loading_the_exporter_and_loses_nothing() -> None:
    with runtime("modules", "async") as local:
        first = local.invoke({}).response_json()
        second = local.invoke({}).response_json()
        problems = export_violations(local, spans_per_invocation=1)
    assert first["loaded"] == []
    assert second["loaded"] == EXPORTER  # built on the extension thread, after the first response
    assert problems == []


@pytest.mark.parametrize(
    ("mode", "env"),
    [
        ("sync", {}),
        ("finalize", {}),
        ("async", {"AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency"}),
    ],
)
# SnapStart (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start) is decided by the same rule (unit-tested in
# tests/unit/test_config.py); the local runtime does not implement the restore API it needs.
def test_other_modes_and_ahead_of_traffic_inits_load_the_exporter_during_init(mode: str, env: dict[str, str]) -> None:
    with runtime("modules", mode, env=dict(env)) as local:
        first = local.invoke({}).response_json()
    assert first["loaded"] == EXPORTER  # and never http.client, ssl, email, pydantic or asyncio
