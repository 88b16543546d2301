"""Environment parsing: one warning naming variable, value and allowed values, then the default."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import pytest

from lambda_otel_lite import _config
from lambda_otel_lite._config import Config, InitializationType, ProcessorMode, SemconvMode, load_config

PACKAGE = Path(_config.__file__).resolve().parent


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


@pytest.mark.parametrize("member", list(InitializationType))
def test_the_initialization_type_is_an_enum_that_equals_its_string(member: InitializationType) -> None:
    config = load_config({"AWS_LAMBDA_INITIALIZATION_TYPE": member.value})
    assert config.initialization_type is member
    assert config.initialization_type == member.value  # a StrEnum: modules comparing strings keep working
    assert [config.on_demand, config.provisioned_concurrency, config.snap_start, config.managed_instances] == [
        member is kind
        for kind in (
            InitializationType.ON_DEMAND,
            InitializationType.PROVISIONED_CONCURRENCY,
            InitializationType.SNAP_START,
            InitializationType.LAMBDA_MANAGED_INSTANCES,
        )
    ]


def test_an_unknown_initialization_type_warns_once_and_is_on_demand(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        config = load_config({"AWS_LAMBDA_INITIALIZATION_TYPE": "warm-pool"})
    assert config.initialization_type is InitializationType.ON_DEMAND
    assert [r.getMessage() for r in caplog.records] == [
        "Invalid value for AWS_LAMBDA_INITIALIZATION_TYPE: 'warm-pool' (allowed: on-demand, "
        "provisioned-concurrency, snap-start, lambda-managed-instances); using on-demand"
    ]


def test_the_config_of_an_empty_environment_is_the_config_of_the_defaults() -> None:
    """The defaults are written once, in the declarations: Config's field defaults are theirs."""
    assert load_config({}) == Config()


@pytest.mark.parametrize(
    ("field", "var"),
    [
        ("mode", _config.MODE),
        ("queue_size", _config.QUEUE_SIZE),
        ("semconv", _config.SEMCONV_OPT_IN),
        ("exporter", _config.EXPORTER),
        ("timeout_margin_ms", _config.TIMEOUT_MARGIN_MS),
        ("init_span", _config.INIT_SPAN),
        ("log_correlation", _config.LOG_CORRELATION),
        ("redact_query_keys", _config.REDACT_QUERY_KEYS),
        ("known_methods", _config.HTTP_KNOWN_METHODS),
        ("initialization_type", _config.INITIALIZATION_TYPE),
        ("runtime_api", _config.RUNTIME_API),
        ("execution_env", _config.EXECUTION_ENV),
        ("function_version", _config.FUNCTION_VERSION),
        ("function_name", _config.FUNCTION_NAME),
    ],
)
def test_each_config_field_defaults_to_its_variables_typed_default(field: str, var: _config.EnvVar[object]) -> None:
    assert Config._field_defaults[field] == var.default
    assert type(Config._field_defaults[field]) is type(var.default)


def test_the_old_default_constants_are_the_declared_defaults() -> None:
    assert (_config.DEFAULT_QUEUE_SIZE, _config.DEFAULT_TIMEOUT_MARGIN_MS) == (2048, 100)
    assert (_config.DEFAULT_MAX_RECORD_BYTES, _config.DEFAULT_COMPRESSION_LEVEL) == (262_144, 6)
    assert _config.DEFAULT_QUEUE_SIZE is _config.QUEUE_SIZE.default
    assert _config.MANAGED_INSTANCES == "lambda-managed-instances"
    assert _config.XRAY_TRACE_HEADER == _config.TRACE_HEADER.name == "_X_AMZN_TRACE_ID"


@pytest.mark.parametrize(
    ("value", "declared", "given_false"),
    [(None, True, False), ("", True, False), ("off", False, False), ("on", True, True)],
)
def test_parse_bool_reads_a_switch_with_the_declared_default_or_the_given_one(
    value: str | None, declared: bool, given_false: bool
) -> None:
    assert _config.parse_bool(_config.AWS_SDK_CONTEXT, value) is declared
    assert _config.parse_bool(_config.AWS_SDK_CONTEXT, value, default=True) is declared
    assert _config.parse_bool(_config.AWS_SDK_CONTEXT, value, default=False) is given_false


def test_every_variable_is_declared_once_and_strict_mode_is_not_cleared_by_the_test_fixture() -> None:
    names = [var.name for var in _config.ALL_ENV_VARS]
    assert len(names) == len(set(names))
    assert _config.STRICT not in _config.ENV_VARS  # the test fixture clears ENV_VARS; strict mode must survive it


def test_an_invalid_value_of_a_variable_without_default_falls_back_to_unset(caplog: pytest.LogCaptureFixture) -> None:
    assert _config.LOG_LEVEL.parse("loud") is None
    assert caplog.messages == [
        "Invalid value for OTLP_STDOUT_SPAN_EXPORTER_LOG_LEVEL: 'loud' (allowed: debug, info, warn, error); using unset"
    ]


# --- every variable read is declared -------------------------------------------------------------

NOT_OURS = {"PYTHONPATH": "Python's own: the local runtime passes it on to the function's process"}
"""Variables the package reads that are no configuration of lambda-otel-lite (allowed here by name)."""

_ENVIRON = re.compile(r"^(os\.)?environ$|^env$|^env or \{\}$|^\(env or \{\}\)$")


def _module_strings(tree: ast.Module) -> dict[str, str]:
    """The module-level ``NAME = "text"`` constants of a module (and ``NAME = _config.X.name`` as the declared name)."""
    declared = {name: var.name for name, var in vars(_config).items() if isinstance(var, _config.EnvVar)}
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            for target in targets:
                if not isinstance(target, ast.Name) or value is None:
                    continue
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    constants[target.id] = value.value
                elif isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name | ast.Attribute):
                    source = ast.unparse(value)
                    owner = source.removeprefix("_config.").removesuffix(".name")
                    if owner in declared:
                        constants[target.id] = declared[owner]
                    elif source.removeprefix("_config.") in vars(_config):
                        constants[target.id] = str(getattr(_config, source.removeprefix("_config.")))
    return constants


def _key_read(node: ast.AST) -> ast.expr | None:
    """The variable's name expression, if *node* reads a named variable of the environment."""
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        is_get = isinstance(func, ast.Attribute) and func.attr == "get" and _ENVIRON.match(ast.unparse(func.value))
        if is_get or ast.unparse(func) in ("os.getenv", "getenv"):
            return node.args[0]
    elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _ENVIRON.match(ast.unparse(node.value)):
        return node.slice
    elif (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.In | ast.NotIn)
        and _ENVIRON.match(ast.unparse(node.comparators[0]))
    ):
        return node.left
    return None


def _name_of(key: ast.expr, constants: dict[str, str]) -> str:
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    if isinstance(key, ast.Name) and key.id in constants:
        return constants[key.id]
    if isinstance(key, ast.Attribute) and key.attr == "name":  # <EnvVar>.name: declared by construction
        return "<declared>"
    return "?"


def environment_reads() -> list[tuple[str, int, str]]:
    """(file, line, variable) for every read of a named variable in the package; variable "?" when not resolvable.

    A read: ``os.environ.get(X)``, ``environ.get(X)``, ``env.get(X)``, ``os.getenv(X)``,
    ``os.environ[X]``, ``X in os.environ``, with X a string, a module constant or ``<EnvVar>.name``.
    """
    reads = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        constants = _module_strings(tree)
        for node in ast.walk(tree):
            key = _key_read(node)
            if key is not None:
                reads.append((str(path.relative_to(PACKAGE.parent)), key.lineno, _name_of(key, constants)))
    return reads


def test_the_scan_finds_the_reads_it_must() -> None:
    """The scan itself: it sees the reads of _config.py, _log.py (through ``STRICT.name``) and the local CLI."""
    found = {(path, name) for path, _, name in environment_reads()}
    assert {
        ("lambda_otel_lite/_config.py", "_X_AMZN_TRACE_ID"),
        ("lambda_otel_lite/_log.py", "<declared>"),
        ("lambda_otel_lite/local/cli.py", "LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE"),
    } <= found


def test_every_variable_the_package_reads_is_declared() -> None:
    declared = {var.name for var in _config.ALL_ENV_VARS} | {"<declared>"} | set(NOT_OURS)
    assert [read for read in environment_reads() if read[2] not in declared] == []
