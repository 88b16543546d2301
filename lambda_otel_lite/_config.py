"""Every environment variable the library reads, declared once, parsed once.

Each variable is an :class:`EnvVar` in :data:`ENV_VARS` with its type, default and meaning; the
documentation's configuration table is tested against this list. :func:`load_config` reads them
all in one pass at :func:`~lambda_otel_lite.init_telemetry` time and never again on the
invocation path.

Rules (DESIGN.md §3): an explicit argument beats the environment, which beats the default. A bad
environment value logs one warning naming the variable, the value, the allowed values and the
fallback, and the default is used.
"""

from __future__ import annotations

import enum
import logging
import os
import time
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping

logger = logging.getLogger(__name__)


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


MANAGED_INSTANCES = "lambda-managed-instances"
"""``AWS_LAMBDA_INITIALIZATION_TYPE`` of Lambda Managed Instances."""

IMPORTED_NS = time.time_ns()
"""When lambda-otel-lite was imported (every module of it imports this one first)."""


class EnvVar(NamedTuple):
    """Declaration of one environment variable."""

    name: str
    type: str
    default: str
    doc: str


MODE = EnvVar(
    "LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE",
    "sync | async | finalize",
    "sync",
    "Processing mode: `sync` exports before the handler returns; `async` exports from the internal "
    "extension thread after the response is sent; `finalize` leaves export to your processors and "
    "flushes on SIGTERM.",
)
QUEUE_SIZE = EnvVar(
    "LAMBDA_SPAN_PROCESSOR_QUEUE_SIZE",
    "positive int",
    "2048",
    "Maximum number of finished spans the default `LambdaSpanProcessor` holds between flushes; "
    "spans beyond it are dropped, counted and reported.",
)
SERVICE_NAME = EnvVar(
    "OTEL_SERVICE_NAME",
    "string",
    "$AWS_LAMBDA_FUNCTION_NAME",
    "`service.name` resource attribute; overrides `service.name` in `OTEL_RESOURCE_ATTRIBUTES`.",
)
RESOURCE_ATTRIBUTES = EnvVar(
    "OTEL_RESOURCE_ATTRIBUTES",
    "key=value,key2=value2",
    "",
    "Extra resource attributes, values URL-decoded. They override the detected Lambda attributes; "
    "malformed items are skipped with one warning.",
)
SEMCONV_OPT_IN = EnvVar(
    "OTEL_SEMCONV_STABILITY_OPT_IN",
    "comma-separated list",
    "",
    "`http` emits the current stable OpenTelemetry HTTP/FaaS attribute names, `http/dup` emits them "
    "and the seed's legacy names; otherwise the legacy names only.",
)
PROPAGATORS = EnvVar(
    "OTEL_PROPAGATORS",
    "comma-separated list",
    "tracecontext,baggage",
    "Propagators used to extract the parent context from event carriers (read by OpenTelemetry).",
)
EXPORTER = EnvVar(
    "LAMBDA_OTEL_LITE_EXPORTER",
    "native | otlp-stdout-span-exporter",
    "native",
    "The default exporter: `native` is lambda-otel-lite's `StdoutSpanExporter` (its own OTLP encoder, "
    "the same record); `otlp-stdout-span-exporter` is that package's `OTLPStdoutSpanExporter` (protobuf).",
)
MAX_RECORD_BYTES = EnvVar(
    "LAMBDA_OTEL_LITE_MAX_RECORD_BYTES",
    "int >= 4096",
    "262144",
    "Largest telemetry line `StdoutSpanExporter` writes, newline included (CloudWatch Logs keeps at most "
    "256 KB per log event). A batch over it is written as several records; a single span over it loses "
    "attributes, then events, or is dropped, and is counted and reported.",
)
TIMEOUT_MARGIN_MS = EnvVar(
    "LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS",
    "int >= 0 (milliseconds)",
    "100",
    "How long before an invocation's deadline an instrumented invocation still running is reported "
    "as timed out: its span ends with status ERROR and `error.type` `timeout`, the spans still open "
    "in it end as cut short, and all of it is exported before Lambda stops the function. `0` turns "
    "the watchdog off. A margin of half the invocation's time or more is clamped to half of it.",
)
REDACT_QUERY_KEYS = EnvVar(
    "LAMBDA_OTEL_LITE_REDACT_QUERY_KEYS",
    "comma-separated keys, or off",
    "",
    "Query-string parameters whose values become `REDACTED` in `http.target` and `url.query`, added to "
    "the defaults: `AWSAccessKeyId`, `Signature`, `sig`, `X-Goog-Signature` (the HTTP conventions' list) "
    "and `X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token` (SigV4 presigned URLs). Keys "
    "match ignoring case and percent-encoding. `off` turns redaction off.",
)
HTTP_KNOWN_METHODS = EnvVar(
    "OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS",
    "comma-separated HTTP methods",
    "",
    "The HTTP methods recognised in the current naming (`OTEL_SEMCONV_STABILITY_OPT_IN` `http` or "
    "`http/dup`): another method is recorded as `_OTHER` with `http.request.method_original`, and its "
    "span is named `HTTP`. Unset: the conventions' list (`CONNECT`, `DELETE`, `GET`, `HEAD`, `OPTIONS`, "
    "`PATCH`, `POST`, `PUT`, `QUERY`, `TRACE`); a value replaces it whole, case-sensitive.",
)
INIT_SPAN = EnvVar(
    "LAMBDA_OTEL_LITE_INIT_SPAN",
    "true | false",
    "false",
    "`true` adds a `lambda.init` span to the trace of an on-demand environment's first invocation, as a "
    "child of its invocation span: from the process's start (read from `/proc`; where there is none, from "
    "the import of lambda-otel-lite) to the start of that invocation. Never on warm invocations, nor with "
    "provisioned concurrency or SnapStart, whose init ran before any caller waited.",
)
LOG_CORRELATION = EnvVar(
    "LAMBDA_OTEL_LITE_LOG_CORRELATION",
    "true | false",
    "true",
    "Every `logging` record gets `otelTraceID`, `otelSpanID`, `otelTraceSampled` and `otelServiceName` (the "
    "names of `opentelemetry-instrumentation-logging`): the current span's ids, `0` outside a span. With "
    "`AWS_LAMBDA_LOG_FORMAT=JSON` they are fields of each JSON log line; with the text format, add them to "
    "the format ([Logs tied to traces](logs.md)). `false` turns it off.",
)
AWS_SDK_CONTEXT = EnvVar(
    "LAMBDA_OTEL_LITE_AWS_SDK_CONTEXT",
    "true | false",
    "true",
    "AWS SDK calls carry the trace context out (SQS and SNS message attributes, the `headers` of a "
    "`lambda.invoke` JSON payload) under a span of the call, once the function's code imports boto3 "
    "([Tracing across functions](tracing-across-functions.md)). `false` leaves every AWS call as it is.",
)
COMPRESSION_LEVEL = EnvVar(
    "OTLP_STDOUT_SPAN_EXPORTER_COMPRESSION_LEVEL",
    "0-9",
    "6",
    "Gzip level of the stdout exporter: 0 none, 1 fastest, 9 smallest. As in `otlp-stdout-span-exporter`, "
    "it overrides the exporter's `gzip_level` argument; a bad value falls back to the argument, else 6.",
)
LOG_LEVEL = EnvVar(
    "OTLP_STDOUT_SPAN_EXPORTER_LOG_LEVEL",
    "debug | info | warn | error",
    "",
    "Adds a `level` field to every telemetry record, for log filters. Overrides the exporter's "
    "`log_level` argument; a bad value falls back to the argument.",
)
OUTPUT_TYPE = EnvVar(
    "OTLP_STDOUT_SPAN_EXPORTER_OUTPUT_TYPE",
    "stdout | pipe",
    "stdout",
    "`pipe` writes records to the named pipe `/tmp/otlp-stdout-span-exporter.pipe` (for an extension "
    "that reads it), falling back to stdout when it is missing or a write fails.",
)
OTLP_HEADERS = EnvVar(
    "OTEL_EXPORTER_OTLP_HEADERS",
    "key=value,key2=value2",
    "",
    "Headers copied into every telemetry record for the forwarder (keys lower-cased; `content-type` and "
    "`content-encoding` are ignored). The values are written into your logs.",
)
OTLP_TRACES_HEADERS = EnvVar(
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "key=value,key2=value2",
    "",
    "As `OTEL_EXPORTER_OTLP_HEADERS`, for traces; its keys win.",
)
# Set by AWS Lambda; read, never set, by users.
FUNCTION_NAME = EnvVar("AWS_LAMBDA_FUNCTION_NAME", "string", "", "Set by Lambda: `faas.name`.")
FUNCTION_VERSION = EnvVar("AWS_LAMBDA_FUNCTION_VERSION", "string", "", "Set by Lambda: `faas.version`.")
LOG_STREAM_NAME = EnvVar(
    "AWS_LAMBDA_LOG_STREAM_NAME", "string", "", "Set by Lambda: `faas.instance` and `aws.log.stream.names`."
)
LOG_GROUP_NAME = EnvVar("AWS_LAMBDA_LOG_GROUP_NAME", "string", "", "Set by Lambda: `aws.log.group.names`.")
MEMORY_SIZE = EnvVar("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "int (MB)", "", "Set by Lambda: `faas.max_memory` (in bytes).")
REGION = EnvVar("AWS_REGION", "string", "", "Set by Lambda: `cloud.region`.")
INITIALIZATION_TYPE = EnvVar(
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "on-demand | provisioned-concurrency | snap-start",
    "on-demand",
    "Set by Lambda. With `provisioned-concurrency` no invocation is marked as a cold start. With "
    "`LAMBDA_OTEL_LITE_EXPORTER=otlp-stdout-span-exporter`, only `on-demand` environments in async mode "
    "load that exporter after the first response.",
)
RUNTIME_API = EnvVar(
    "AWS_LAMBDA_RUNTIME_API", "host:port", "", "Set by Lambda: where the Runtime and Extensions APIs listen."
)
EXECUTION_ENV = EnvVar(
    "AWS_EXECUTION_ENV",
    "string",
    "",
    "Set by Lambda's managed runtimes (`AWS_Lambda_python3.12`). `awslambdaric` leaves the main "
    "thread free for signal handlers only then; the SIGTERM flush does not depend on it.",
)

ENV_VARS: tuple[EnvVar, ...] = (
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
)
"""Every variable the library reads, in documentation order."""


def markdown_table() -> str:
    """The configuration table of the docs (``docs/configuration.md``), from :data:`ENV_VARS`."""
    rows = ["| variable | values | default | effect |", "| --- | --- | --- | --- |"]
    for var in ENV_VARS:
        default = f"`{var.default}`" if var.default else ""
        rows.append(f"| `{var.name}` | {var.type} | {default} | {var.doc} |")
    return "\n".join(rows) + "\n"


DEFAULT_QUEUE_SIZE = 2048
DEFAULT_TIMEOUT_MARGIN_MS = 100
DEFAULT_MAX_RECORD_BYTES = 262_144
MIN_MAX_RECORD_BYTES = 4096


class ExporterChoice(enum.StrEnum):
    """Which exporter the default ``LambdaSpanProcessor`` gets (``LAMBDA_OTEL_LITE_EXPORTER``)."""

    NATIVE = "native"
    PACKAGE = "otlp-stdout-span-exporter"


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


class Config(NamedTuple):
    """The parsed environment. Built once by :func:`load_config`."""

    mode: ProcessorMode = ProcessorMode.SYNC
    queue_size: int = DEFAULT_QUEUE_SIZE
    semconv: SemconvMode = SemconvMode.LEGACY
    exporter: ExporterChoice = ExporterChoice.NATIVE
    timeout_margin_ms: int = DEFAULT_TIMEOUT_MARGIN_MS
    """``LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS``; 0: no timeout watchdog."""
    init_span: bool = False
    """``LAMBDA_OTEL_LITE_INIT_SPAN``."""
    log_correlation: bool = True
    """``LAMBDA_OTEL_LITE_LOG_CORRELATION``: trace and span ids on every ``logging`` record."""
    redact_query_keys: frozenset[str] = DEFAULT_REDACTED_QUERY_KEYS
    """Lower-cased query keys whose values are redacted (:data:`DEFAULT_REDACTED_QUERY_KEYS` by default); empty: off."""
    known_methods: frozenset[str] = DEFAULT_HTTP_KNOWN_METHODS
    """``OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS``: the methods kept as they are in the current naming."""
    xray_lambda: bool = False
    """``OTEL_PROPAGATORS`` names ``xray-lambda``: the environment's X-Ray header may be the parent."""
    initialization_type: str = "on-demand"
    """``AWS_LAMBDA_INITIALIZATION_TYPE``: on-demand, provisioned-concurrency, snap-start, lambda-managed-instances."""
    runtime_api: str | None = None
    execution_env: str | None = None
    function_version: str | None = None
    """``AWS_LAMBDA_FUNCTION_VERSION``: the version an alias in the invoked ARN resolves to."""
    function_name: str | None = None
    """``AWS_LAMBDA_FUNCTION_NAME``: the span name of an invocation whose context has none."""

    @property
    def provisioned_concurrency(self) -> bool:
        return self.initialization_type == "provisioned-concurrency"

    @property
    def managed_instances(self) -> bool:
        """Lambda Managed Instances: concurrent requests in processes of their own, never frozen."""
        return self.initialization_type == MANAGED_INSTANCES

    @property
    def on_demand(self) -> bool:
        """Initialised for an invocation that waits (not provisioned concurrency or SnapStart)."""
        return self.initialization_type == "on-demand"


def _warn_invalid(var: EnvVar, value: str, allowed: str, fallback: str) -> None:
    logger.warning(
        "Invalid value for %s: %r (allowed: %s); using %s",
        var.name,
        value,
        allowed,
        fallback,
    )


def parse_mode(value: str | None) -> ProcessorMode:
    """Parse ``LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE``; unset or invalid gives ``sync``."""
    return _parse_choice(MODE, value, ProcessorMode, ProcessorMode.SYNC)


def _parse_choice[E: enum.StrEnum](var: EnvVar, value: str | None, choices: type[E], default: E) -> E:
    """One of *choices*, ignoring case and surrounding space; unset gives *default*, invalid warns and gives it."""
    if value is None or not value.strip():
        return default
    try:
        return choices(value.strip().lower())
    except ValueError:
        _warn_invalid(var, value, ", ".join(choice.value for choice in choices), default.value)
        return default


def parse_queue_size(value: str | None) -> int:
    """Parse ``LAMBDA_SPAN_PROCESSOR_QUEUE_SIZE``; unset or invalid gives 2048."""
    return _parse_int(QUEUE_SIZE, value, 1, "a positive integer", DEFAULT_QUEUE_SIZE)


def _parse_int(var: EnvVar, value: str | None, minimum: int, allowed: str, default: int) -> int:
    """An integer variable of at least *minimum*; unset gives *default*, invalid warns and gives it."""
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        number = minimum - 1
    if number < minimum:
        _warn_invalid(var, value, allowed, str(default))
        return default
    return number


def parse_semconv(value: str | None) -> SemconvMode:
    """Parse ``OTEL_SEMCONV_STABILITY_OPT_IN`` as OpenTelemetry does: a list where ``http/dup`` wins."""
    if not value:
        return SemconvMode.LEGACY
    items = {item.strip().lower() for item in value.split(",")}
    if "http/dup" in items:
        return SemconvMode.DUP
    if "http" in items:
        return SemconvMode.STABLE
    return SemconvMode.LEGACY


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Read every variable the library needs, once."""
    env = os.environ if environ is None else environ
    return Config(
        mode=parse_mode(env.get(MODE.name)),
        queue_size=parse_queue_size(env.get(QUEUE_SIZE.name)),
        semconv=parse_semconv(env.get(SEMCONV_OPT_IN.name)),
        exporter=parse_exporter(env.get(EXPORTER.name)),
        timeout_margin_ms=parse_timeout_margin(env.get(TIMEOUT_MARGIN_MS.name)),
        init_span=parse_bool(INIT_SPAN, env.get(INIT_SPAN.name)),
        log_correlation=parse_bool(LOG_CORRELATION, env.get(LOG_CORRELATION.name), default=True),
        redact_query_keys=parse_redact_query_keys(env.get(REDACT_QUERY_KEYS.name)),
        known_methods=parse_known_methods(env.get(HTTP_KNOWN_METHODS.name)),
        xray_lambda="xray-lambda" in [name.strip() for name in (env.get(PROPAGATORS.name) or "").split(",")],
        initialization_type=env.get(INITIALIZATION_TYPE.name) or "on-demand",
        runtime_api=env.get(RUNTIME_API.name) or None,
        function_version=env.get(FUNCTION_VERSION.name) or None,
        function_name=env.get(FUNCTION_NAME.name) or None,
        execution_env=env.get(EXECUTION_ENV.name) or None,
    )


def parse_exporter(value: str | None) -> ExporterChoice:
    """Parse ``LAMBDA_OTEL_LITE_EXPORTER``; unset or invalid gives ``native``."""
    return _parse_choice(EXPORTER, value, ExporterChoice, ExporterChoice.NATIVE)


def parse_max_record_bytes(value: str | None) -> int:
    """Parse ``LAMBDA_OTEL_LITE_MAX_RECORD_BYTES``; unset or invalid gives 262144."""
    allowed = f"an integer >= {MIN_MAX_RECORD_BYTES}"
    return _parse_int(MAX_RECORD_BYTES, value, MIN_MAX_RECORD_BYTES, allowed, DEFAULT_MAX_RECORD_BYTES)


def parse_redact_query_keys(value: str | None) -> frozenset[str]:
    """Parse ``LAMBDA_OTEL_LITE_REDACT_QUERY_KEYS``: extra keys (lower-cased) on top of the defaults, or ``off``."""
    if value is None or not value.strip():
        return DEFAULT_REDACTED_QUERY_KEYS
    if value.strip().lower() in ("off", "none", "false"):
        return frozenset()
    keys, bad = set(DEFAULT_REDACTED_QUERY_KEYS), []
    for item in value.split(","):
        key = item.strip()
        if not key or any(char in key for char in "=& \t"):
            bad.append(item)
        else:
            keys.add(key.lower())
    if bad:
        _warn_invalid(
            REDACT_QUERY_KEYS,
            value,
            "comma-separated query keys without '=', '&' or spaces, or off",
            f"the defaults plus the valid keys (ignoring {bad!r})",
        )
    return frozenset(keys)


def parse_known_methods(value: str | None) -> frozenset[str]:
    """Parse ``OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS``: a full override of the known methods, case-sensitive.

    ``docs/http/http-spans.md`` (v1.44.0): "this list MUST be a full override of the default known
    methods". Unset or blank gives :data:`DEFAULT_HTTP_KNOWN_METHODS`; an item that is not a token
    (spaces, separators) is ignored with one warning.
    """
    if value is None or not value.strip():
        return DEFAULT_HTTP_KNOWN_METHODS
    methods, bad = set(), []
    for item in value.split(","):
        method = item.strip()
        if method and all(char.isalnum() or char in "!#$%&'*+-.^_`|~" for char in method):
            methods.add(method)
        elif method:
            bad.append(item)
    if bad:
        _warn_invalid(
            HTTP_KNOWN_METHODS,
            value,
            "comma-separated HTTP method names (tokens)",
            f"the valid methods (ignoring {bad!r})",
        )
    return frozenset(methods)


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def parse_bool(var: EnvVar, value: str | None, *, default: bool = False) -> bool:
    """A switch: ``true``, ``1``, ``yes``, ``on`` or ``false``, ``0``, ``no``, ``off`` (any case).

    Unset or blank gives *default*; anything else warns and gives *default*.
    """
    if value is None or not value.strip():
        return default
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    _warn_invalid(var, value, "true or false", "true" if default else "false")
    return default


MAX_OPEN_SPANS = 10_000
"""Open spans the timeout path knows of at once (``_timeouts.OpenSpans`` or the ``LambdaSpanProcessor``
that keeps them); beyond it (spans that are never ended, by the thousand) new ones are not tracked."""


def parse_timeout_margin(value: str | None) -> int:
    """Parse ``LAMBDA_OTEL_LITE_TIMEOUT_MARGIN_MS``; unset or invalid gives 100 (0 turns the watchdog off)."""
    return _parse_int(
        TIMEOUT_MARGIN_MS, value, 0, "an integer >= 0 (milliseconds; 0 turns it off)", DEFAULT_TIMEOUT_MARGIN_MS
    )


DEFAULT_COMPRESSION_LEVEL = 6
LOG_LEVELS = {"debug": "DEBUG", "info": "INFO", "warn": "WARN", "warning": "WARN", "error": "ERROR"}
"""Accepted spellings of a record's log level, as ``otlp-stdout-span-exporter`` parses them."""


def parse_log_level(value: str) -> str | None:
    """``DEBUG``, ``INFO``, ``WARN`` or ``ERROR`` for a spelling ``otlp-stdout-span-exporter`` accepts, else None."""
    return LOG_LEVELS.get(value.lower())


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
    that package does so and users configure both exporters the same way. ``max_record_bytes`` is
    lambda-otel-lite's own: the argument wins, and the variable is read only without one.
    """
    env = os.environ if environ is None else environ
    level = DEFAULT_COMPRESSION_LEVEL if gzip_level is None else gzip_level
    raw = env.get(COMPRESSION_LEVEL.name)
    if raw is not None:
        try:
            parsed = int(raw)
        except ValueError:
            parsed = -1
        if 0 <= parsed <= 9:
            level = parsed
        else:
            _warn_invalid(COMPRESSION_LEVEL, raw, "an integer from 0 to 9", str(level))
    record_level = log_level
    raw = env.get(LOG_LEVEL.name)
    if raw is not None:
        parsed_level = parse_log_level(raw)
        if parsed_level is None:
            _warn_invalid(LOG_LEVEL, raw, "debug, info, warn, error", repr(log_level) if log_level else "no level")
        else:
            record_level = parsed_level
    to_pipe = bool(pipe)
    raw = env.get(OUTPUT_TYPE.name)
    if raw is not None:
        to_pipe = raw.lower() == "pipe"
        if not to_pipe and raw.lower() != "stdout":
            _warn_invalid(OUTPUT_TYPE, raw, "stdout, pipe", "stdout")
    headers: dict[str, str] = {}
    for var in (OTLP_HEADERS, OTLP_TRACES_HEADERS):
        headers.update(parse_headers(env.get(var.name)))
    return ExporterSettings(
        gzip_level=level,
        log_level=record_level,
        pipe=to_pipe,
        service_name=env.get(SERVICE_NAME.name) or env.get(FUNCTION_NAME.name) or "unknown-service",
        headers=headers,
        max_record_bytes=(
            parse_max_record_bytes(env.get(MAX_RECORD_BYTES.name)) if max_record_bytes is None else max_record_bytes
        ),
    )


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
        region=env.get(REGION.name) or None,
        function_name=env.get(FUNCTION_NAME.name) or None,
        function_version=env.get(FUNCTION_VERSION.name) or None,
        log_stream=env.get(LOG_STREAM_NAME.name) or None,
        log_group=env.get(LOG_GROUP_NAME.name) or None,
        memory_size=env.get(MEMORY_SIZE.name) or None,
        service_name=env.get(SERVICE_NAME.name) or None,
        resource_attributes=env.get(RESOURCE_ATTRIBUTES.name, ""),
    )


def env_queue_size() -> int:
    """``LAMBDA_SPAN_PROCESSOR_QUEUE_SIZE`` for a ``LambdaSpanProcessor`` built without ``max_queue_size``."""
    return parse_queue_size(os.environ.get(QUEUE_SIZE.name))


def managed_instances_environment() -> bool:
    """Whether this process runs on Lambda Managed Instances (for exporters built outside ``init_telemetry``)."""
    return os.environ.get(INITIALIZATION_TYPE.name) == MANAGED_INSTANCES


XRAY_TRACE_HEADER = "_X_AMZN_TRACE_ID"
"""Set by the runtime for each invocation, from ``Lambda-Runtime-Trace-Id``: not configuration."""


def trace_header() -> str | None:
    """This invocation's X-Ray trace header; read per invocation, since the runtime sets it per invocation."""
    return os.environ.get(XRAY_TRACE_HEADER)
