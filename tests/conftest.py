"""Fixtures shared by every test tier."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

# Internal errors of the library re-raise under its own tests (see lambda_otel_lite/_log.py).
os.environ["LAMBDA_OTEL_LITE_STRICT"] = "1"

from lambda_otel_lite import _config
from lambda_otel_lite.testing import reset
from tests.support import LAMBDA_ENV, StdoutTelemetry

# Property-based tests: bounded for CI by default; `pytest --hypothesis-profile=long` searches deeper.
settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("long", max_examples=5_000, deadline=None)
settings.load_profile("ci")

# The conformance tier needs AWS's Runtime Interface Emulator: ``./noxw -s conformance`` fetches it
# and names it here. Without it the tier is not collected at all (rather than skipped test by test).
collect_ignore = [] if os.environ.get("LAMBDA_OTEL_LITE_RIE") else ["conformance"]

_CLEARED = [var.name for var in _config.ENV_VARS] + [
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_SDK_DISABLED",
    "_HANDLER",
]


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts as a fresh Lambda process: no telemetry, no Lambda variables, no logged keys."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    reset()  # the one reset of every global of the library (lambda_otel_lite.testing.reset)
    yield
    reset()


@pytest.fixture
def lenient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Strict mode off: a test that injects faults on purpose sees what a user sees (logged once, not raised)."""
    monkeypatch.delenv("LAMBDA_OTEL_LITE_STRICT")


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Set the variables Lambda sets, as in a real execution environment."""
    for name, value in LAMBDA_ENV.items():
        monkeypatch.setenv(name, value)
    return dict(LAMBDA_ENV)


@pytest.fixture
def stdout_telemetry(capsys: pytest.CaptureFixture[str]) -> StdoutTelemetry:
    return StdoutTelemetry(capsys)
