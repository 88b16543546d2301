"""``testing.reset()`` restores a fresh import: every global of the package, after a busy process.

Each stateful module registers its own reset (``lambda_otel_lite._resets``); this proves that
together they leave nothing behind, by comparing the module-level state of every imported module of
the package with a fresh interpreter's import of the same modules (``tests/state_snapshot.py``
says what is compared and what is excluded).
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lambda_otel_lite import (
    init_telemetry,
    instrumented,
    json_record_carrier,
    register_carrier_extractor,
    register_record_carrier_extractor,
    traced_records,
)
from lambda_otel_lite._state import STATE
from lambda_otel_lite._timeouts import WATCHDOG
from lambda_otel_lite.testing import LambdaContext, capture_spans, reset, sample_event
from tests.state_snapshot import snapshot

ROOT = Path(__file__).resolve().parents[2]


def fresh_snapshot(module_names: list[str]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.state_snapshot", *module_names],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=ROOT,
    )
    fresh: dict[str, Any] = json.loads(result.stdout)
    return fresh


def package_modules() -> list[str]:
    return sorted(name for name in sys.modules if name == "lambda_otel_lite" or name.startswith("lambda_otel_lite."))


def busy_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Touch every kind of global the package keeps."""
    import boto3  # type: ignore[import-untyped]  # the AWS SDK hooks install themselves on init

    monkeypatch.setenv("LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE", "finalize")
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "lambda-managed-instances")  # SIGTERM, no extension
    monkeypatch.setenv("LAMBDA_OTEL_LITE_EXPORTER", "native")  # the wire encoder and its caches
    register_carrier_extractor(dict, lambda event: event.get("headers"))
    register_record_carrier_extractor("sqs", json_record_carrier("trace"))
    tracer, provider = init_telemetry("busy")
    boto3.session.Session(region_name="eu-west-1").client("sqs")

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        logging.getLogger("busy").info("a log record, correlated")
        for _record, span in traced_records(event):
            with span, tracer.start_as_current_span("work"):
                pass
        return {"batchItemFailures": []}

    with capture_spans():
        handler(sample_event("sqs"), LambdaContext())  # the watchdog's thread, an ARN, the sources
        handler(sample_event("sns"), LambdaContext())  # a lazily loaded source
    provider.force_flush()
    init_telemetry("busy again")  # a re-init: the first provider let go
    assert STATE.provider is not None


def test_after_reset_no_global_of_the_package_differs_from_a_fresh_import(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    busy_process(monkeypatch)
    reset()
    modules = package_modules()
    after_reset = json.loads(json.dumps(snapshot(modules)))
    fresh = fresh_snapshot(modules)
    differing = {key: (after_reset.get(key), fresh.get(key)) for key in set(after_reset) | set(fresh)}
    differing = {key: values for key, values in differing.items() if values[0] != values[1]}
    assert differing == {}


def test_the_snapshot_sees_what_reset_forgets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison is not vacuous: before the reset, the busy process differs where expected."""
    busy_process(monkeypatch)
    state = snapshot(package_modules())
    assert state["lambda_otel_lite.propagation._EXTRACTORS"] == "dict[1]"
    assert state["lambda_otel_lite.propagation._RECORD_EXTRACTORS"] == "dict[1]"
    assert state["lambda_otel_lite._invocation._arn_attributes"] == "lru_cache[1]"
    watchdog = state["lambda_otel_lite._timeouts.WATCHDOG"]
    assert isinstance(watchdog, dict)
    assert watchdog["Watchdog"]["_thread"] == "Thread(alive=True)"
    assert state["lambda_otel_lite._sigterm._INSTALLED"] == {"_Installed": {"handler": "_SigtermHandler"}}


def test_reset_uninstalls_the_sigterm_handler_of_managed_instances_in_finalize_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setenv("LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE", "finalize")
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "lambda-managed-instances")
    init_telemetry("managed")
    assert STATE.extension is None  # no thread in finalize mode: the handler is all there is
    assert signal.getsignal(signal.SIGTERM) is not before
    reset()
    assert signal.getsignal(signal.SIGTERM) is before
    assert signal.set_wakeup_fd(-1) == -1  # the wake-up fd given back too


def test_reset_leaves_a_sigterm_handler_it_did_not_install() -> None:
    def theirs(signum: int, frame: object) -> None:
        return None

    before = signal.signal(signal.SIGTERM, theirs)
    try:
        reset()
        assert signal.getsignal(signal.SIGTERM) is theirs
    finally:
        signal.signal(signal.SIGTERM, before)


def test_reset_retires_the_watchdog_thread() -> None:
    init_telemetry("watchdog")

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> None:
        return None

    handler({}, LambdaContext())
    thread = WATCHDOG._thread
    assert thread is not None
    assert thread.is_alive()
    reset()
    thread.join(5)
    assert not thread.is_alive()
    assert WATCHDOG._thread is None


def test_a_re_init_keeps_the_open_spans_of_the_new_provider_tracked() -> None:
    """The registry of open spans is the provider's: shutting down the old one leaves the new one's alone."""
    exporter = InMemorySpanExporter()
    init_telemetry("first", span_processors=[SimpleSpanProcessor(exporter)])
    first = STATE.open_spans
    old_provider = STATE.provider
    tracer, _ = init_telemetry("second", span_processors=[SimpleSpanProcessor(exporter)])
    second = STATE.open_spans
    assert first is not None
    assert second is not None
    assert second is not first
    with tracer.start_as_current_span("open") as span:
        assert old_provider is not None
        old_provider.shutdown()  # again, or from its own exit handler
        assert [s.name for s in second.take(span.get_span_context().trace_id, None)] == ["open"]
