"""Every environment variable the library reads, declared once, parsed once.

Each variable is an :class:`EnvVar`: its name, the values it takes, its typed default (the value
the code uses when the variable is unset), the parser that turns a value into that type, and what
it does. Nothing else in the package writes a default or a variable's name: :class:`Config`'s
defaults are the declarations' defaults, and the documentation's configuration table is rendered
from :data:`ENV_VARS` (``markdown_table``) and tested as rendered. :func:`load_config` reads them
all in one pass at :func:`~lambda_otel_lite.init_telemetry` time and never again on the invocation
path.

Rules (DESIGN.md §3): an explicit argument beats the environment, which beats the default. A bad
environment value logs one warning naming the variable, the value, the allowed values and the
fallback, and the default is used.

Example:
    >>> QUEUE_SIZE.default
    2048
    >>> QUEUE_SIZE.parse("64"), QUEUE_SIZE.parse(None), QUEUE_SIZE.parse(" ")
    (64, 2048, 2048)
    >>> load_config({"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}).initialization_type
    <InitializationType.SNAP_START: 'snap-start'>
"""

from __future__ import annotations

import enum
import logging
import os
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

logger = logging.getLogger(__name__)

# Not configuration. It stays here because this is the package's first module to load, and a one-line
# module of its own would be one more module on every cold start (tests/functional/test_imports.py).
IMPORTED_NS = time.time_ns()
"""When lambda-otel-lite was imported (every module of it imports this one first)."""


class ProcessorMode(enum.StrEnum):
    """How spans leave the process.

    - ``sync``: exported in the handler's thread before the handler returns.
    - ``async``: exported by the internal extension thread after the response is sent.
    - ``finalize``: left to the configured processors; flushed on SIGTERM.

    Example:
        >>> ProcessorMode("async") is ProcessorMode.ASYNC
        True
    """

    SYNC = "sync"
    ASYNC = "async"
    FINALIZE = "finalize"


class SemconvMode(enum.Enum):
    """Which HTTP/FaaS attribute names are emitted (``OTEL_SEMCONV_STABILITY_OPT_IN``)."""

    LEGACY = "legacy"
    """The names of the seed README: ``http.method``, ``http.status_code``, ``faas.cold_start``..."""
    STABLE = "http"
    """The current stable OpenTelemetry names: ``http.request.method``, ``url.path``..."""
    DUP = "http/dup"
    """Both sets."""


class ExporterChoice(enum.StrEnum):
    """Which exporter the default ``LambdaSpanProcessor`` gets (``LAMBDA_OTEL_LITE_EXPORTER``)."""

    NATIVE = "native"
    PACKAGE = "otlp-stdout-span-exporter"


class InitializationType(enum.StrEnum):
    """How Lambda initialised this execution environment (``AWS_LAMBDA_INITIALIZATION_TYPE``).

    A ``StrEnum``: each member equals its string, so ``config.initialization_type == "snap-start"``
    still holds; compare with the members.

    Example:
        >>> InitializationType("snap-start") is InitializationType.SNAP_START
        True
    """

    ON_DEMAND = "on-demand"
    """Initialised for an invocation that waits for it."""
    PROVISIONED_CONCURRENCY = "provisioned-concurrency"
    """Initialised ahead of traffic; no invocation waits for the init."""
    SNAP_START = "snap-start"
    """Initialised once per published version, then restored from a snapshot."""
    LAMBDA_MANAGED_INSTANCES = "lambda-managed-instances"
    """Lambda Managed Instances: concurrent requests in processes of their own, never frozen."""


class OutputType(enum.StrEnum):
    """Where the stdout exporter writes its records (``OTLP_STDOUT_SPAN_EXPORTER_OUTPUT_TYPE``)."""

    STDOUT = "stdout"
    PIPE = "pipe"


class Kind(enum.Enum):
    """Who sets a variable, and so where it is documented."""

    SETTING = "setting"
    """Users set it: a row of the configuration table (``docs/configuration.md``)."""
    LAMBDA = "lambda"
    """Lambda sets it: a row of the configuration table, read and never set by users."""
    CLI = "cli"
    """The local CLI (``lambda-otel-lite forward``) reads it: documented on ``docs/local.md``, not in the table."""
    INTERNAL = "internal"
    """lambda-otel-lite's own test suite sets it: declared here, documented for no user."""


class EnvVar[T](NamedTuple):
    """Declaration of one environment variable: the only place its name, type and default are written.

    ``parser`` turns a set, non-blank value into a ``T``; given an invalid one, it logs one warning
    (:func:`_warn_invalid`) and returns ``default``. Unset and blank values give ``default``.
    """

    name: str
    values: str
    """The values it takes, as the documentation shows them."""
    default: T
    """The typed value the code uses when the variable is unset (rendered into the docs by :func:`render_value`)."""
    parser: Callable[[EnvVar[T], str], T]
    doc: str
    kind: Kind = Kind.SETTING
    allowed: str = ""
    """The allowed values as a warning names them (``values`` when empty)."""

    def parse(self, value: str | None) -> T:
        """*value* as a ``T``: ``default`` when None or blank; an invalid one warns and gives ``default``."""
        if value is None or not value.strip():
            return self.default
        return self.parser(self, value)

    def read(self, environ: Mapping[str, str] | None = None) -> T:
        """This variable from *environ* (default: the process environment), parsed."""
        return self.parse((os.environ if environ is None else environ).get(self.name))

    @property
    def default_text(self) -> str:
        """The default as the documentation shows it, and as a value that parses back to it."""
        return render_value(self.default)

    @property
    def type(self) -> str:
        """``values``, under the name the first declarations used."""
        return self.values


def render_value(value: object) -> str:
    """A typed value as an environment variable would spell it (``""``: unset).

    Example:
        >>> render_value(True), render_value(ProcessorMode.SYNC), render_value(frozenset({"b", "a"}))
        ('true', 'sync', 'a,b')
    """
    if value is None or value is SemconvMode.LEGACY:  # the legacy names are what no opt-in gives
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, Mapping):
        return ",".join(f"{key}={item}" for key, item in value.items())
    if isinstance(value, frozenset):
        return ",".join(sorted(value))
    if isinstance(value, tuple):
        return ",".join(value)
    raise TypeError(f"no rendering for a default of type {type(value).__name__}")


def _warn_invalid(var: EnvVar[Any], value: str, allowed: str, fallback: str) -> None:
    logger.warning(
        "Invalid value for %s: %r (allowed: %s); using %s",
        var.name,
        value,
        allowed,
        fallback,
    )


def _invalid[T](var: EnvVar[T], value: str) -> T:
    """Warn that *value* is not one of *var*'s values; its default."""
    _warn_invalid(var, value, var.allowed or var.values, render_value(var.default) or "unset")
    return var.default


# --- parsers: (declaration, a set non-blank value) -> the typed value -----------------------------


def _choice[E: enum.StrEnum](choices: type[E]) -> Callable[[EnvVar[E], str], E]:
    """One of *choices*, ignoring case and surrounding space."""

    def parse(var: EnvVar[E], value: str) -> E:
        try:
            return choices(value.strip().lower())
        except ValueError:
            return _invalid(var, value)

    return parse


def _integer(minimum: int, maximum: int | None = None) -> Callable[[EnvVar[int], str], int]:
    """An integer from *minimum* to *maximum* (inclusive)."""

    def parse(var: EnvVar[int], value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            return _invalid(var, value)
        if number < minimum or (maximum is not None and number > maximum):
            return _invalid(var, value)
        return number

    return parse


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _switch(var: EnvVar[bool], value: str) -> bool:
    """``true``, ``1``, ``yes``, ``on`` or ``false``, ``0``, ``no``, ``off`` (any case)."""
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return _invalid(var, value)


def _text(var: EnvVar[str | None], value: str) -> str | None:
    """The value as it is."""
    return value


def _raw(var: EnvVar[str], value: str) -> str:
    """The value as it is, for a parser elsewhere (``resource.parse_resource_attributes``)."""
    return value


def _names(var: EnvVar[tuple[str, ...]], value: str) -> tuple[str, ...]:
    """A comma-separated list, in order, items stripped, empty items dropped."""
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _semconv(var: EnvVar[SemconvMode], value: str) -> SemconvMode:
    """As OpenTelemetry reads it: a list where ``http/dup`` wins over ``http``; anything else is legacy."""
    items = {item.strip().lower() for item in value.split(",")}
    if "http/dup" in items:
        return SemconvMode.DUP
    if "http" in items:
        return SemconvMode.STABLE
    return SemconvMode.LEGACY


def _redact_keys(var: EnvVar[frozenset[str]], value: str) -> frozenset[str]:
    """Extra keys (lower-cased) on top of the defaults, or ``off``."""
    if value.strip().lower() in ("off", "none", "false"):
        return frozenset()
    keys, bad = set(var.default), []
    for item in value.split(","):
        key = item.strip()
        if not key or any(char in key for char in "=& \t"):
            bad.append(item)
        else:
            keys.add(key.lower())
    if bad:
        _warn_invalid(
            var,
            value,
            "comma-separated query keys without '=', '&' or spaces, or off",
            f"the defaults plus the valid keys (ignoring {bad!r})",
        )
    return frozenset(keys)


def _known_methods(var: EnvVar[frozenset[str]], value: str) -> frozenset[str]:
    """A full override of the known methods, case-sensitive; items that are not tokens are ignored."""
    methods, bad = set(), []
    for item in value.split(","):
        method = item.strip()
        if method and all(char.isalnum() or char in "!#$%&'*+-.^_`|~" for char in method):
            methods.add(method)
        elif method:
            bad.append(item)
    if bad:
        _warn_invalid(
            var,
            value,
            "comma-separated HTTP method names (tokens)",
            f"the valid methods (ignoring {bad!r})",
        )
    return frozenset(methods)


LOG_LEVELS = {"debug": "DEBUG", "info": "INFO", "warn": "WARN", "warning": "WARN", "error": "ERROR"}
"""Accepted spellings of a record's log level, as ``otlp-stdout-span-exporter`` parses them."""


def parse_log_level(value: str) -> str | None:
    """``DEBUG``, ``INFO``, ``WARN`` or ``ERROR`` for a spelling ``otlp-stdout-span-exporter`` accepts, else None."""
    return LOG_LEVELS.get(value.lower())


def _log_level(var: EnvVar[str | None], value: str) -> str | None:
    level = parse_log_level(value.strip())
    return _invalid(var, value) if level is None else level


def parse_headers(value: str | None) -> dict[str, str]:
    """``key1=value1,key2=value2`` as ``otlp-stdout-span-exporter`` reads it: keys lower-cased and stripped,
    values stripped and split on the first ``=``, items without ``=`` or a key skipped, and
    ``content-type`` / ``content-encoding`` ignored (the record fixes them)."""
    headers: dict[str, str] = {}
    if not value:
        return headers
    for pair in value.split(","):
        if "=" not in pair:
            continue
        key, _, rest = pair.strip().partition("=")
        key = key.strip().lower()
        if key and key not in ("content-type", "content-encoding"):
            headers[key] = rest.strip()
    return headers


def _headers(var: EnvVar[Mapping[str, str]], value: str) -> Mapping[str, str]:
    return parse_headers(value)


# --- the declarations, in documentation order -------------------------------------------------------

MIN_MAX_RECORD_BYTES = 4096
"""The smallest ``LAMBDA_OTEL_LITE_MAX_RECORD_BYTES`` (and ``max_record_bytes`` argument) accepted."""

DEFAULT_REDACTED_QUERY_KEYS = frozenset(
    key.lower()
    for key in (
        "AWSAccessKeyId",
        "Signature",
        "sig",
        "X-Goog-Signature",
        "X-Amz-Signature",
        "X-Amz-Credential",
        "X-Amz-Security-Token",
    )
)
"""The HTTP conventions' keys (``url.query``) and AWS's SigV4 presigned-URL keys, lower-cased."""

DEFAULT_HTTP_KNOWN_METHODS = frozenset(
    ("CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE")
)
"""The members of ``http.request.method`` (semantic conventions v1.44.0, ``model/http/registry.yaml``)."""

_BOOL = "true | false"
_BOOL_ALLOWED = "true or false"

MODE: EnvVar[ProcessorMode] = EnvVar(
    "LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE",
    " | ".join(ProcessorMode),
    ProcessorMode.SYNC,
    _choice(ProcessorMode),
    "Processing mode: `sync` exports before the handler returns; `async` exports from the internal "
    "extension thread after the response is sent; `finalize` leaves export to your processors and "
    "flushes on SIGTERM.",
    allowed=", ".join(ProcessorMode),
)
QUEUE_SIZE: EnvVar[int] = EnvVar(
    "LAMBDA_SPAN_PROCESSOR_QUEUE_SIZE",
    "positive int",
    2048,
    _integer(1),
    "Maximum number of finished spans the default `LambdaSpanProcessor` holds between flushes; "
    "spans beyond it are dropped, counted and reported.",
    allowed="a positive integer",
)
SERVICE_NAME: EnvVar[str | None] = EnvVar(
    "OTEL_SERVICE_NAME",
    "string",
    None,
    _text,
    "`service.name` resource attribute; overrides `service.name` in `OTEL_RESOURCE_ATTRIBUTES`. Unset: "
    "the function's name (`AWS_LAMBDA_FUNCTION_NAME`).",
)
RESOURCE_ATTRIBUTES: EnvVar[str] = EnvVar(
    "OTEL_RESOURCE_ATTRIBUTES",
    "key=value,key2=value2",
    "",
    _raw,
    "Extra resource attributes, values URL-decoded. They override the detected Lambda attributes; "
    "malformed items are skipped with one warning.",
)
SEMCONV_OPT_IN: EnvVar[SemconvMode] = EnvVar(
    "OTEL_SEMCONV_STABILITY_OPT_IN",
    "comma-separated list",
    SemconvMode.LEGACY,
    _semconv,
    "`http` emits the current stable OpenTelemetry HTTP/FaaS attribute names, `http/dup` emits them "
    "and the seed's legacy names; otherwise the legacy names only.",
)
PROPAGATORS: EnvVar[tuple[str, ...]] = EnvVar(
    "OTEL_PROPAGATORS",
    "comma-separated list",
    ("tracecontext", "baggage"),
    _names,
    "Propagators used to extract the parent context from event carriers (read by OpenTelemetry); "
    "`xray-lambda` makes the environment's X-Ray header the parent ([Custom carriers and X-Ray](carriers.md)).",
)
EXPORTER: EnvVar[ExporterChoice] = EnvVar(
    "LAMBDA_OTEL_LITE_EXPORTER",
    " | ".join(ExporterChoice),
    ExporterChoice.NATIVE,
    _choice(ExporterChoice),
    "The default exporter: `native` is lambda-otel-lite's `StdoutSpanExporter` (its own OTLP encoder, "
    "the same record); `otlp-stdout-span-exporter` is that package's `OTLPStdoutSpanExporter` (protobuf).",
    allowed=", ".join(ExporterChoice),
)
MAX_RECORD_BYTES: EnvVar[int] = EnvVar(
    "LAMBDA_OTEL_LITE_MAX_RECORD_BYTES",
    f"int >= {MIN_MAX_RECORD_BYTES}",
    262_144,
    _integer(MIN_MAX_RECORD_BYTES),
    "Largest telemetry line `StdoutSpanExporter` writes, newline included (CloudWatch Logs keeps at most "
    "256 KB per log event). A batch over it is written as several records; a single span over it loses "
    "attributes, then events, or is dropped, and is counted and reported.",
    allowed=f"an integer >= {MIN_MAX_RECORD_BYTES}",
)
TIMEOUT_MARGIN_MS: EnvVar[int] = EnvVar(
    "LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS",
    "int >= 0 (milliseconds)",
    100,
    _integer(0),
    "How long before an invocation's deadline an instrumented invocation still running is reported "
    "as timed out: its span ends with status ERROR and `error.type` `timeout`, the spans still open "
    "in it end as cut short, and all of it is exported before Lambda stops the function. `0` turns "
    "the watchdog off. A margin of half the invocation's time or more is clamped to half of it.",
    allowed="an integer >= 0 (milliseconds; 0 turns it off)",
)
REDACT_QUERY_KEYS: EnvVar[frozenset[str]] = EnvVar(
    "LAMBDA_OTEL_LITE_REDACT_QUERY_KEYS",
    "comma-separated keys, or off",
    DEFAULT_REDACTED_QUERY_KEYS,
    _redact_keys,
    "Query-string parameters whose values become `REDACTED` in `http.target` and `url.query`, added to "
    "the defaults: `AWSAccessKeyId`, `Signature`, `sig`, `X-Goog-Signature` (the HTTP conventions' list) "
    "and `X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token` (SigV4 presigned URLs). Keys "
    "match ignoring case and percent-encoding. `off` turns redaction off.",
)
HTTP_KNOWN_METHODS: EnvVar[frozenset[str]] = EnvVar(
    "OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS",
    "comma-separated HTTP methods",
    DEFAULT_HTTP_KNOWN_METHODS,
    _known_methods,
    "The HTTP methods recognised in the current naming (`OTEL_SEMCONV_STABILITY_OPT_IN` `http` or "
    "`http/dup`): another method is recorded as `_OTHER` with `http.request.method_original`, and its "
    "span is named `HTTP`. Unset: the conventions' list (the default); a value replaces it whole, "
    "case-sensitive.",
)
INIT_SPAN: EnvVar[bool] = EnvVar(
    "LAMBDA_OTEL_LITE_INIT_SPAN",
    _BOOL,
    False,
    _switch,
    "`true` adds a `lambda.init` span to the trace of an on-demand environment's first invocation, as a "
    "child of its invocation span: from the process's start (read from `/proc`; where there is none, from "
    "the import of lambda-otel-lite) to the start of that invocation. Never on warm invocations, nor with "
    "provisioned concurrency or SnapStart, whose init ran before any caller waited.",
    allowed=_BOOL_ALLOWED,
)
LOG_CORRELATION: EnvVar[bool] = EnvVar(
    "LAMBDA_OTEL_LITE_LOG_CORRELATION",
    _BOOL,
    True,
    _switch,
    "Every `logging` record gets `otelTraceID`, `otelSpanID`, `otelTraceSampled` and `otelServiceName` (the "
    "names of `opentelemetry-instrumentation-logging`): the current span's ids, `0` outside a span. With "
    "`AWS_LAMBDA_LOG_FORMAT=JSON` they are fields of each JSON log line; with the text format, add them to "
    "the format ([Logs tied to traces](logs.md)). `false` turns it off.",
    allowed=_BOOL_ALLOWED,
)
AWS_SDK_CONTEXT: EnvVar[bool] = EnvVar(
    "LAMBDA_OTEL_LITE_AWS_SDK_CONTEXT",
    _BOOL,
    True,
    _switch,
    "AWS SDK calls carry the trace context out (SQS and SNS message attributes, the `headers` of a "
    "`lambda.invoke` JSON payload) under a span of the call, once the function's code imports boto3 "
    "([Tracing across functions](tracing-across-functions.md)). `false` leaves every AWS call as it is.",
    allowed=_BOOL_ALLOWED,
)
COMPRESSION_LEVEL: EnvVar[int] = EnvVar(
    "OTLP_STDOUT_SPAN_EXPORTER_COMPRESSION_LEVEL",
    "0-9",
    6,
    _integer(0, 9),
    "Gzip level of the stdout exporter: 0 none, 1 fastest, 9 smallest. As in `otlp-stdout-span-exporter`, "
    "it overrides the exporter's `gzip_level` argument; a bad value falls back to the argument, else 6.",
    allowed="an integer from 0 to 9",
)
LOG_LEVEL: EnvVar[str | None] = EnvVar(
    "OTLP_STDOUT_SPAN_EXPORTER_LOG_LEVEL",
    "debug | info | warn | error",
    None,
    _log_level,
    "Adds a `level` field to every telemetry record, for log filters. Overrides the exporter's "
    "`log_level` argument; a bad value falls back to the argument.",
    allowed="debug, info, warn, error",
)
OUTPUT_TYPE: EnvVar[OutputType] = EnvVar(
    "OTLP_STDOUT_SPAN_EXPORTER_OUTPUT_TYPE",
    " | ".join(OutputType),
    OutputType.STDOUT,
    _choice(OutputType),
    "`pipe` writes records to the named pipe `/tmp/otlp-stdout-span-exporter.pipe` (for an extension "
    "that reads it), falling back to stdout when it is missing or a write fails.",
    allowed=", ".join(OutputType),
)
OTLP_HEADERS: EnvVar[Mapping[str, str]] = EnvVar(
    "OTEL_EXPORTER_OTLP_HEADERS",
    "key=value,key2=value2",
    MappingProxyType({}),
    _headers,
    "Headers copied into every telemetry record for the forwarder (keys lower-cased; `content-type` and "
    "`content-encoding` are ignored). The values are written into your logs.",
)
OTLP_TRACES_HEADERS: EnvVar[Mapping[str, str]] = EnvVar(
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "key=value,key2=value2",
    MappingProxyType({}),
    _headers,
    "As `OTEL_EXPORTER_OTLP_HEADERS`, for traces; its keys win.",
)


def _set_by_lambda(name: str, values: str, doc: str) -> EnvVar[str | None]:
    """A variable Lambda sets: read as it is, never set by users."""
    return EnvVar(name, values, None, _text, doc, Kind.LAMBDA)


FUNCTION_NAME = _set_by_lambda("AWS_LAMBDA_FUNCTION_NAME", "string", "Set by Lambda: `faas.name`.")
FUNCTION_VERSION = _set_by_lambda("AWS_LAMBDA_FUNCTION_VERSION", "string", "Set by Lambda: `faas.version`.")
LOG_STREAM_NAME = _set_by_lambda(
    "AWS_LAMBDA_LOG_STREAM_NAME", "string", "Set by Lambda: `faas.instance` and `aws.log.stream.names`."
)
LOG_GROUP_NAME = _set_by_lambda("AWS_LAMBDA_LOG_GROUP_NAME", "string", "Set by Lambda: `aws.log.group.names`.")
MEMORY_SIZE = _set_by_lambda(
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "int (MB)", "Set by Lambda: `faas.max_memory` (in bytes)."
)
REGION = _set_by_lambda("AWS_REGION", "string", "Set by Lambda: `cloud.region`.")
INITIALIZATION_TYPE: EnvVar[InitializationType] = EnvVar(
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    " | ".join(InitializationType),
    InitializationType.ON_DEMAND,
    _choice(InitializationType),
    "Set by Lambda. With `provisioned-concurrency` no invocation is marked as a cold start. With "
    "`LAMBDA_OTEL_LITE_EXPORTER=otlp-stdout-span-exporter`, only `on-demand` environments in async mode "
    "load that exporter after the first response. `lambda-managed-instances`: the processes of one "
    "environment take turns on its stdout.",
    Kind.LAMBDA,
    allowed=", ".join(InitializationType),
)
RUNTIME_API = _set_by_lambda(
    "AWS_LAMBDA_RUNTIME_API", "host:port", "Set by Lambda: where the Runtime and Extensions APIs listen."
)
EXECUTION_ENV = _set_by_lambda(
    "AWS_EXECUTION_ENV",
    "string",
    "Set by Lambda's managed runtimes (`AWS_Lambda_python3.12`). `awslambdaric` leaves the main "
    "thread free for signal handlers only then; the SIGTERM flush does not depend on it.",
)
TRACE_HEADER = _set_by_lambda(
    "_X_AMZN_TRACE_ID",
    "X-Ray trace header",
    "Set by Lambda's runtime for each invocation (from `Lambda-Runtime-Trace-Id`): read per invocation. "
    "A sampled header is a link of the invocation span; with `xray-lambda` in `OTEL_PROPAGATORS`, its parent.",
)
# The local CLI's (lambda-otel-lite forward, invoke --forward): documented on docs/local.md.
OTLP_TRACES_ENDPOINT: EnvVar[str | None] = EnvVar(
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "URL",
    None,
    _text,
    "Where `lambda-otel-lite forward` posts the records (OTLP/HTTP traces URL).",
    Kind.CLI,
)
OTLP_ENDPOINT: EnvVar[str | None] = EnvVar(
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "URL",
    None,
    _text,
    "Without `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`: this URL plus `/v1/traces`.",
    Kind.CLI,
)
# lambda-otel-lite's own test suite (tests/conftest.py): internal errors re-raise.
STRICT: EnvVar[bool] = EnvVar(
    "LAMBDA_OTEL_LITE_STRICT",
    _BOOL,
    False,
    _switch,
    "Internal errors of the library re-raise instead of being logged once (set by its own test suite).",
    Kind.INTERNAL,
    allowed=_BOOL_ALLOWED,
)

ENV_VARS: tuple[EnvVar[Any], ...] = (
    MODE,
    QUEUE_SIZE,
    SERVICE_NAME,
    RESOURCE_ATTRIBUTES,
    SEMCONV_OPT_IN,
    PROPAGATORS,
    EXPORTER,
    MAX_RECORD_BYTES,
    TIMEOUT_MARGIN_MS,
    REDACT_QUERY_KEYS,
    HTTP_KNOWN_METHODS,
    INIT_SPAN,
    LOG_CORRELATION,
    AWS_SDK_CONTEXT,
    COMPRESSION_LEVEL,
    LOG_LEVEL,
    OUTPUT_TYPE,
    OTLP_HEADERS,
    OTLP_TRACES_HEADERS,
    FUNCTION_NAME,
    FUNCTION_VERSION,
    LOG_STREAM_NAME,
    LOG_GROUP_NAME,
    MEMORY_SIZE,
    REGION,
    INITIALIZATION_TYPE,
    RUNTIME_API,
    EXECUTION_ENV,
    TRACE_HEADER,
    OTLP_TRACES_ENDPOINT,
    OTLP_ENDPOINT,
)
"""Every variable users, Lambda or the local CLI set, in documentation order (the test fixture clears them all)."""

INTERNAL_ENV_VARS: tuple[EnvVar[Any], ...] = (STRICT,)
"""The variables of lambda-otel-lite's own tests: declared, and left out of the documentation on purpose."""

ALL_ENV_VARS: tuple[EnvVar[Any], ...] = ENV_VARS + INTERNAL_ENV_VARS
"""Every variable the package reads."""

TABLE_KINDS = frozenset({Kind.SETTING, Kind.LAMBDA})
"""The kinds the configuration table lists (the CLI's are on the local page; internal ones nowhere)."""


def _cell(text: str) -> str:
    """*text* as one cell of a pipe table: every ``|`` escaped, so that the row keeps its columns.

    A ``|`` inside a code span cannot be escaped for every renderer (GitHub splits the cell there;
    Python-Markdown shows the backslash), so a declaration must not have one.
    """
    if "\n" in text or any("|" in code for code in text.split("`")[1::2]):
        raise ValueError(f"a table cell cannot hold a newline or a '|' inside a code span: {text!r}")
    return text.replace("|", "\\|")


def markdown_table() -> str:
    """The configuration table of the docs (``docs/configuration.md``), from :data:`ENV_VARS`."""
    rows = ["| variable | values | default | effect |", "| --- | --- | --- | --- |"]
    for var in ENV_VARS:
        if var.kind in TABLE_KINDS:
            default = var.default_text
            cells = (f"`{var.name}`", var.values, f"`{default}`" if default else "", var.doc)
            rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(rows) + "\n"


# Each default is written once, in its declaration; these names are kept for the modules that import them.
DEFAULT_QUEUE_SIZE = QUEUE_SIZE.default
DEFAULT_TIMEOUT_MARGIN_MS = TIMEOUT_MARGIN_MS.default
DEFAULT_MAX_RECORD_BYTES = MAX_RECORD_BYTES.default
DEFAULT_COMPRESSION_LEVEL = COMPRESSION_LEVEL.default
MANAGED_INSTANCES = InitializationType.LAMBDA_MANAGED_INSTANCES
"""``AWS_LAMBDA_INITIALIZATION_TYPE`` of Lambda Managed Instances (the member; equal to its string)."""
XRAY_TRACE_HEADER = TRACE_HEADER.name
"""Set by the runtime for each invocation, from ``Lambda-Runtime-Trace-Id``: not configuration."""


class Config(NamedTuple):
    """The parsed environment. Built once by :func:`load_config`; each default is its variable's."""

    mode: ProcessorMode = MODE.default
    queue_size: int = QUEUE_SIZE.default
    semconv: SemconvMode = SEMCONV_OPT_IN.default
    exporter: ExporterChoice = EXPORTER.default
    timeout_margin_ms: int = TIMEOUT_MARGIN_MS.default
    """``LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS``; 0: no timeout watchdog."""
    init_span: bool = INIT_SPAN.default
    """``LAMBDA_OTEL_LITE_INIT_SPAN``."""
    log_correlation: bool = LOG_CORRELATION.default
    """``LAMBDA_OTEL_LITE_LOG_CORRELATION``: trace and span ids on every ``logging`` record."""
    redact_query_keys: frozenset[str] = REDACT_QUERY_KEYS.default
    """Lower-cased query keys whose values are redacted (:data:`DEFAULT_REDACTED_QUERY_KEYS` by default); empty: off."""
    known_methods: frozenset[str] = HTTP_KNOWN_METHODS.default
    """``OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS``: the methods kept as they are in the current naming."""
    xray_lambda: bool = "xray-lambda" in PROPAGATORS.default
    """``OTEL_PROPAGATORS`` names ``xray-lambda``: the environment's X-Ray header may be the parent."""
    initialization_type: InitializationType = INITIALIZATION_TYPE.default
    """``AWS_LAMBDA_INITIALIZATION_TYPE``."""
    runtime_api: str | None = RUNTIME_API.default
    execution_env: str | None = EXECUTION_ENV.default
    function_version: str | None = FUNCTION_VERSION.default
    """``AWS_LAMBDA_FUNCTION_VERSION``: the version an alias in the invoked ARN resolves to."""
    function_name: str | None = FUNCTION_NAME.default
    """``AWS_LAMBDA_FUNCTION_NAME``: the span name of an invocation whose context has none."""

    @property
    def provisioned_concurrency(self) -> bool:
        return self.initialization_type is InitializationType.PROVISIONED_CONCURRENCY

    @property
    def snap_start(self) -> bool:
        """SnapStart: the init ran once, before the snapshot; this environment was restored from it."""
        return self.initialization_type is InitializationType.SNAP_START

    @property
    def managed_instances(self) -> bool:
        """Lambda Managed Instances: concurrent requests in processes of their own, never frozen."""
        return self.initialization_type is InitializationType.LAMBDA_MANAGED_INSTANCES

    @property
    def on_demand(self) -> bool:
        """Initialised for an invocation that waits (not provisioned concurrency or SnapStart)."""
        return self.initialization_type is InitializationType.ON_DEMAND


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Read every variable the library needs, once."""
    env = os.environ if environ is None else environ
    return Config(
        mode=MODE.read(env),
        queue_size=QUEUE_SIZE.read(env),
        semconv=SEMCONV_OPT_IN.read(env),
        exporter=EXPORTER.read(env),
        timeout_margin_ms=TIMEOUT_MARGIN_MS.read(env),
        init_span=INIT_SPAN.read(env),
        log_correlation=LOG_CORRELATION.read(env),
        redact_query_keys=REDACT_QUERY_KEYS.read(env),
        known_methods=HTTP_KNOWN_METHODS.read(env),
        xray_lambda="xray-lambda" in PROPAGATORS.read(env),
        initialization_type=INITIALIZATION_TYPE.read(env),
        runtime_api=RUNTIME_API.read(env),
        execution_env=EXECUTION_ENV.read(env),
        function_version=FUNCTION_VERSION.read(env),
        function_name=FUNCTION_NAME.read(env),
    )


# --- a switch read outside Config ----------------------------------------------------------------------


def parse_bool(var: EnvVar[bool], value: str | None, *, default: bool | None = None) -> bool:
    """A switch: ``true``, ``1``, ``yes``, ``on`` or ``false``, ``0``, ``no``, ``off`` (any case).

    Unset or blank gives *var*'s default (or *default*, when given); anything else warns and gives it.
    Prefer ``var.parse(value)`` / ``var.read()``.
    """
    if default is not None and default != var.default:
        var = var._replace(default=default)
    return var.parse(value)


# --- the stdout exporter's variables: otlp-stdout-span-exporter's precedence ---------------------------


class ExporterSettings(NamedTuple):
    """What the stdout exporter reads from the environment, resolved against its arguments."""

    gzip_level: int
    log_level: str | None
    pipe: bool
    service_name: str
    headers: dict[str, str]
    max_record_bytes: int


def exporter_settings(
    gzip_level: int | None,
    log_level: str | None,
    pipe: bool | None,
    max_record_bytes: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> ExporterSettings:
    """Resolve the stdout exporter's settings with ``otlp-stdout-span-exporter``'s precedence.

    Unlike the rest of the library, its variables override the constructor's arguments, because
    that package does so and users configure both exporters the same way; and as in that package,
    a set variable is read as it is (a blank one is invalid) and a bad one falls back to the
    argument. ``max_record_bytes`` is lambda-otel-lite's own: the argument wins, and the variable is
    read only without one.
    """
    env = os.environ if environ is None else environ
    level = COMPRESSION_LEVEL.default if gzip_level is None else gzip_level
    raw = env.get(COMPRESSION_LEVEL.name)
    if raw is not None:
        try:
            parsed = int(raw)
        except ValueError:
            parsed = -1
        if 0 <= parsed <= 9:
            level = parsed
        else:
            _warn_invalid(COMPRESSION_LEVEL, raw, COMPRESSION_LEVEL.allowed, str(level))
    record_level = log_level
    raw = env.get(LOG_LEVEL.name)
    if raw is not None:
        parsed_level = parse_log_level(raw)
        if parsed_level is None:
            fallback = repr(log_level) if log_level else "no level"
            _warn_invalid(LOG_LEVEL, raw, LOG_LEVEL.allowed, fallback)
        else:
            record_level = parsed_level
    to_pipe = bool(pipe)
    raw = env.get(OUTPUT_TYPE.name)
    if raw is not None:
        to_pipe = raw.lower() == OutputType.PIPE
        if not to_pipe and raw.lower() != OutputType.STDOUT:
            _warn_invalid(OUTPUT_TYPE, raw, OUTPUT_TYPE.allowed, OUTPUT_TYPE.default)
    headers: dict[str, str] = {}
    for var in (OTLP_HEADERS, OTLP_TRACES_HEADERS):
        headers.update(var.read(env))
    return ExporterSettings(
        gzip_level=level,
        log_level=record_level,
        pipe=to_pipe,
        service_name=env.get(SERVICE_NAME.name) or env.get(FUNCTION_NAME.name) or "unknown-service",
        headers=headers,
        max_record_bytes=MAX_RECORD_BYTES.read(env) if max_record_bytes is None else max_record_bytes,
    )


# --- reads outside Config: the Lambda identity, a processor's default, the per-invocation header --


class LambdaIdentity(NamedTuple):
    """The variables Lambda sets that the resource is detected from (each None when unset or empty)."""

    region: str | None
    function_name: str | None
    function_version: str | None
    log_stream: str | None
    log_group: str | None
    memory_size: str | None
    service_name: str | None
    resource_attributes: str


def lambda_identity(environ: Mapping[str, str] | None = None) -> LambdaIdentity:
    """Read the resource's variables (``get_lambda_resource``), from *environ* or the process environment."""
    env = os.environ if environ is None else environ
    return LambdaIdentity(
        region=REGION.read(env),
        function_name=FUNCTION_NAME.read(env),
        function_version=FUNCTION_VERSION.read(env),
        log_stream=LOG_STREAM_NAME.read(env),
        log_group=LOG_GROUP_NAME.read(env),
        memory_size=MEMORY_SIZE.read(env),
        service_name=SERVICE_NAME.read(env),
        resource_attributes=RESOURCE_ATTRIBUTES.read(env),
    )


def env_queue_size() -> int:
    """``LAMBDA_SPAN_PROCESSOR_QUEUE_SIZE`` for a ``LambdaSpanProcessor`` built without ``max_queue_size``."""
    return QUEUE_SIZE.read()


def managed_instances_environment() -> bool:
    """Whether this process runs on Lambda Managed Instances (for exporters built outside ``init_telemetry``).

    Read without a warning (``Config`` warns once about a bad value): only the exact value counts.
    """
    return os.environ.get(INITIALIZATION_TYPE.name) == InitializationType.LAMBDA_MANAGED_INSTANCES


def trace_header() -> str | None:
    """This invocation's X-Ray trace header; read per invocation, since the runtime sets it per invocation."""
    return os.environ.get(XRAY_TRACE_HEADER)
