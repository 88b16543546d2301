"""A failing export thread (the Managed Instances flusher) hands over to sync mode and says so once."""

from __future__ import annotations

import logging

import pytest

from lambda_otel_lite._config import ProcessorMode
from lambda_otel_lite._extension import Hooks
from lambda_otel_lite._flusher import ProcessFlusher


class _Fatal(BaseException):
    """Not an Exception: what the thread's own guard (``flush_provider``) would not catch."""


class _Recorder:
    def __init__(self, *, current: bool) -> None:
        self.current = current
        self.flushed: list[object] = []
        self.fell_back: list[object] = []
        self.active = object()

    def flush(self, provider: object) -> None:
        self.flushed.append(provider)
        if len(self.flushed) == 1:
            raise _Fatal("the exporter's interpreter state is gone")

    def fall_back(self, thread: object) -> bool:
        self.fell_back.append(thread)
        return self.current

    def hooks(self) -> Hooks:
        return Hooks(provider=lambda: self.active, flush=self.flush, fell_back=self.fall_back)


def _fail_once(recorder: _Recorder) -> ProcessFlusher:
    flusher = ProcessFlusher(ProcessorMode.ASYNC, recorder.hooks())
    flusher.start()
    queued = object()
    assert flusher.handler_complete("r1", queued)
    assert flusher.thread is not None
    flusher.thread.join(10)
    assert not flusher.thread.is_alive()
    assert recorder.flushed[0] is queued
    return flusher


def test_a_failing_flusher_falls_back_flushes_the_active_provider_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = _Recorder(current=True)
    with caplog.at_level(logging.WARNING):
        flusher = _fail_once(recorder)
    assert not flusher.alive
    assert not flusher.handler_complete("r2", None)  # the handler flushes inline from now on
    assert recorder.fell_back == [flusher]
    assert recorder.flushed[1:] == [recorder.active]
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert [record.getMessage() for record in warnings] == [
        "The lambda-otel-lite flusher thread failed (_Fatal: the exporter's interpreter state is gone); "
        "spans are exported in sync mode from now on"
    ]
    assert warnings[0].name == "lambda_otel_lite._flusher"


def test_a_failing_flusher_replaced_by_a_later_init_changes_nothing_and_stays_quiet(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = _Recorder(current=False)
    with caplog.at_level(logging.WARNING):
        flusher = _fail_once(recorder)
    assert not flusher.alive
    assert recorder.fell_back == [flusher]
    assert recorder.flushed[1:] == []
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []
