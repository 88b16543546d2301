"""What a cold start loads before the first response, per processing mode (the speed targets).

The default exporter is lambda-otel-lite's own OTLP encoder: no processing mode, typed or not,
loads protobuf, the OTLP exporter packages or ``otlp-stdout-span-exporter``. The extension talks
HTTP over plain sockets (no ``http.client``, ``ssl`` or ``email``). With
``LAMBDA_OTEL_LITE_EXPORTER=otlp-stdout-span-exporter`` that package's exporter is used; in async
mode on an on-demand environment it is loaded on the extension thread after the first response.
"""

from __future__ import annotations

import pytest

from lambda_otel_lite.testing import sample_event
from tests.e2e.support import export_violations, runtime

PACKAGE_EXPORTER = ["google", "opentelemetry.exporter", "opentelemetry.proto", "otlp_stdout_span_exporter"]
PACKAGE = {"LAMBDA_OTEL_LITE_EXPORTER": "otlp-stdout-span-exporter"}


@pytest.mark.parametrize("mode", ["sync", "async", "finalize"])
def test_the_default_exporter_loads_no_protobuf_in_any_mode_and_loses_nothing(mode: str) -> None:
    with runtime("modules", mode) as local:
        first = local.invoke({}).response_json()
        second = local.invoke({}).response_json()
        problems = export_violations(local, spans_per_invocation=1) if mode != "finalize" else []
    assert first["loaded"] == second["loaded"] == []  # nor http.client, ssl, email, pydantic, asyncio
    assert problems == []


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_typed_handler_loads_pydantic_and_no_protobuf(mode: str) -> None:
    with runtime("modules_typed", mode) as local:
        first = local.invoke(sample_event("apigateway-http-v2")).response_json()
        problems = export_violations(local, spans_per_invocation=1)
    assert "pydantic" in first["loaded"]
    assert [name for name in first["loaded"] if name in PACKAGE_EXPORTER] == []
    assert problems == []


def test_the_package_exporter_in_async_on_demand_loads_after_the_first_response_and_loses_nothing() -> None:
    with runtime("modules", "async", env=dict(PACKAGE)) as local:
        first = local.invoke({}).response_json()
        second = local.invoke({}).response_json()
        problems = export_violations(local, spans_per_invocation=1)
    assert first["loaded"] == []
    assert second["loaded"] == PACKAGE_EXPORTER  # built on the extension thread, after the first response
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
def test_the_package_exporter_elsewhere_loads_during_init(mode: str, env: dict[str, str]) -> None:
    with runtime("modules", mode, env={**PACKAGE, **env}) as local:
        first = local.invoke({}).response_json()
    assert first["loaded"] == PACKAGE_EXPORTER
