"""Environments restored from one snapshot draw trace and span IDs of their own.

A snapshot carries the state of every pseudo-random generator. Each "restore" below starts from the
same captured state, as two environments resumed from one snapshot do, and runs the after-restore
hooks the way ``awslambdaric`` runs them after ``/runtime/restore/next``.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from awslambdaric.lambda_runtime_hooks_runner import run_after_restore
from opentelemetry import trace

from lambda_otel_lite import _snapstart, init_telemetry

SNAP_START = {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}


def restore_and_trace(tracer: trace.Tracer, state: Any, generator: Any, *, hooks: bool) -> tuple[int, int]:
    """Resume from the snapshot's PRNG *state*, (optionally) run the after-restore hooks, start a span."""
    generator.setstate(state)
    if hooks:
        run_after_restore()
    with tracer.start_as_current_span("first-after-restore") as span:
        context = span.get_span_context()
    return context.trace_id, context.span_id


@pytest.fixture
def snap_start(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in SNAP_START.items():
        monkeypatch.setenv(key, value)


@pytest.mark.usefixtures("snap_start")
def test_two_restores_from_one_snapshot_get_distinct_ids() -> None:
    tracer, provider = init_telemetry("snap")
    assert provider.id_generator is _snapstart.ID_GENERATOR
    snapshot = _snapstart.ID_GENERATOR._random.getstate()
    first = restore_and_trace(tracer, snapshot, _snapstart.ID_GENERATOR._random, hooks=True)
    second = restore_and_trace(tracer, snapshot, _snapstart.ID_GENERATOR._random, hooks=True)
    assert first[0] != second[0]
    assert first[1] != second[1]


@pytest.mark.usefixtures("snap_start")
def test_negative_control_without_the_hook_the_restored_copies_repeat_each_others_ids() -> None:
    tracer, _ = init_telemetry("snap")
    snapshot = _snapstart.ID_GENERATOR._random.getstate()
    first = restore_and_trace(tracer, snapshot, _snapstart.ID_GENERATOR._random, hooks=False)
    second = restore_and_trace(tracer, snapshot, _snapstart.ID_GENERATOR._random, hooks=False)
    assert first == second


def test_negative_control_the_sdk_generator_repeats_ids_across_restores_of_the_global_random() -> None:
    tracer, provider = init_telemetry("on-demand")  # not SnapStart: the SDK's RandomIdGenerator
    assert provider.id_generator is not _snapstart.ID_GENERATOR
    snapshot = random.getstate()
    first = restore_and_trace(tracer, snapshot, random, hooks=False)
    second = restore_and_trace(tracer, snapshot, random, hooks=False)
    assert first == second


@pytest.mark.usefixtures("snap_start")
def test_the_reseed_leaves_the_functions_own_random_alone() -> None:
    init_telemetry("snap")
    random.seed(1234)
    expected = random.Random(1234).random()
    run_after_restore()
    assert random.random() == expected


@pytest.mark.usefixtures("snap_start")
def test_the_spans_of_init_are_flushed_before_the_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    from awslambdaric.lambda_runtime_hooks_runner import run_before_snapshot

    from tests.support import decode_stdout

    tracer, _ = init_telemetry("snap")
    with tracer.start_as_current_span("warm-up"):
        pass
    assert decode_stdout(capsys.readouterr().out) == []  # sync mode: queued until a flush
    run_before_snapshot()
    assert [span.name for span in decode_stdout(capsys.readouterr().out)] == ["warm-up"]
