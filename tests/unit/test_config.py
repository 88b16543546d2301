"""Environment parsing: one warning naming variable, value and allowed values, then the default."""

from __future__ import annotations

import logging

import pytest

from lambda_otel_lite._config import ProcessorMode, SemconvMode, load_config


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        (None, ProcessorMode.SYNC),
        ("sync", ProcessorMode.SYNC),
        ("ASYNC", ProcessorMode.ASYNC),
        (" finalize ", ProcessorMode.FINALIZE),
    ],
)
def test_processor_mode_is_parsed_case_insensitively(value: str | None, mode: ProcessorMode) -> None:
    env = {} if value is None else {"LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": value}
    assert load_config(env).mode is mode


def test_invalid_mode_warns_once_with_variable_value_and_allowed_values(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        config = load_config({"LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": "turbo"})
    assert config.mode is ProcessorMode.SYNC
    assert [r.getMessage() for r in caplog.records] == [
        "Invalid value for LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE: 'turbo' (allowed: sync, async, finalize); using sync"
    ]


@pytest.mark.parametrize("value", ["0", "-5", "many", "1.5"])
def test_invalid_queue_size_falls_back_to_2048(value: str, caplog: pytest.LogCaptureFixture) -> None:
    assert load_config({"LAMBDA_SPAN_PROCESSOR_QUEUE_SIZE": value}).queue_size == 2048
    assert "LAMBDA_SPAN_PROCESSOR_QUEUE_SIZE" in caplog.text


def test_queue_size_is_read() -> None:
    assert load_config({"LAMBDA_SPAN_PROCESSOR_QUEUE_SIZE": "64"}).queue_size == 64


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        (None, SemconvMode.LEGACY),
        ("http", SemconvMode.STABLE),
        ("database, http/dup", SemconvMode.DUP),
        ("other", SemconvMode.LEGACY),
    ],
)
def test_semconv_opt_in(value: str | None, mode: SemconvMode) -> None:
    env = {} if value is None else {"OTEL_SEMCONV_STABILITY_OPT_IN": value}
    assert load_config(env).semconv is mode


@pytest.mark.parametrize(
    ("initialization_type", "on_demand"),
    [(None, True), ("on-demand", True), ("", True), ("provisioned-concurrency", False), ("snap-start", False)],
)
def test_on_demand_means_a_caller_waits_for_the_init(initialization_type: str | None, on_demand: bool) -> None:
    env = {} if initialization_type is None else {"AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type}
    assert load_config(env).on_demand is on_demand


def test_provisioned_concurrency_is_detected() -> None:
    assert load_config({"AWS_LAMBDA_INITIALIZATION_TYPE": "provisioned-concurrency"}).provisioned_concurrency
    assert not load_config({"AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"}).provisioned_concurrency


def test_the_configuration_page_shows_every_variable_as_the_config_module_declares_it() -> None:
    from pathlib import Path

    from lambda_otel_lite._config import markdown_table

    page = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    assert markdown_table() in page
