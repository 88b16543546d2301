"""The init span in process: where ``/proc`` is missing it starts at the import, and its switch is validated."""

from __future__ import annotations

import builtins
import copy
import logging
from typing import Any

import pytest

from lambda_otel_lite import _config, init_telemetry, instrumented
from lambda_otel_lite.testing import LambdaContext
from tests.support import StdoutTelemetry


def test_without_proc_the_init_span_starts_at_the_import_and_says_so(
    monkeypatch: pytest.MonkeyPatch, stdout_telemetry: StdoutTelemetry
) -> None:
    real_open = builtins.open

    def no_proc(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file).startswith("/proc/"):
            raise FileNotFoundError(file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", no_proc)
    monkeypatch.setenv("LAMBDA_OTEL_LITE_INIT_SPAN", "TRUE")
    init_telemetry("orders")

    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    handler(copy.deepcopy({"a": 1}), LambdaContext())
    spans = {span.name: span for span in stdout_telemetry.spans()}
    init = spans["lambda.init"]
    assert init.attributes == {"lambda_otel_lite.init.start": "import"}
    assert init.start_time_unix_nano == _config.IMPORTED_NS
    assert init.end_time_unix_nano == spans["test-function"].start_time_unix_nano


@pytest.mark.parametrize(("value", "expected"), [("1", True), (" on ", True), ("no", False), ("", False)])
def test_the_switch_reads_the_usual_spellings(value: str, expected: bool) -> None:
    assert _config.load_config({"LAMBDA_OTEL_LITE_INIT_SPAN": value}).init_span is expected


def test_a_bad_switch_value_warns_naming_variable_and_value(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert _config.load_config({"LAMBDA_OTEL_LITE_INIT_SPAN": "sometimes"}).init_span is False
    (message,) = [record.getMessage() for record in caplog.records]
    assert "LAMBDA_OTEL_LITE_INIT_SPAN" in message
    assert "'sometimes'" in message
