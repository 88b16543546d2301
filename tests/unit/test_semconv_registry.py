"""Every attribute key we emit, held against the OpenTelemetry semantic-conventions registry (v1.44.0).

The registry is ``tests/semconv/registry-v1.44.0.json``, written by ``tests/semconv/generate_registry.py``
from every ``model/**/registry*.yaml`` of semantic-conventions at tag v1.44.0 (among them
``model/faas/registry.yaml``, ``model/aws/registry.yaml``, ``model/cloud/registry.yaml``,
``model/messaging/registry.yaml``, ``model/http/registry.yaml``, ``model/url/registry.yaml``,
``model/error/registry.yaml`` and the ``deprecated/registry-deprecated.yaml`` files of ``http``,
``network`` and ``messaging``). These tests read only that file: regenerate it by hand (see the
script's docstring), never from the tests.

A real ``@instrumented`` handler runs over every sample event of ``lambda_otel_lite/testing/events``
in each naming mode of ``OTEL_SEMCONV_STABILITY_OPT_IN`` (unset: legacy, ``http``, ``http/dup``), and
every span attribute and every resource attribute must follow these rules:

- a key of the registry: the value has the registry's type (int, double, boolean and string kept
  apart, arrays item by item); an enum's value is one of its members and not a deprecated one. The
  registry's enums are all open at v1.44.0 ("a custom value MAY be used"), but ours are held closed:
  :data:`CUSTOM_ENUM_VALUES` lists, with the reason, the one enum whose values we make up;
- a key outside the registry is ours, under ``lambda_otel_lite.``; so an ``aws.*`` key the registry
  does not define fails like any other. The one exception is :data:`LEGACY_KEYS_OUTSIDE_REGISTRY`;
- a deprecated key only in the legacy and ``http/dup`` modes, and only if it is one of the old HTTP
  names of :data:`HTTP_MIGRATION_OLD_NAMES`; nothing deprecated in the ``http`` mode;
- ``messaging.operation`` (deprecated, renamed to ``messaging.operation.type``) in no mode.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lambda_otel_lite import init_telemetry, instrumented, process_records
from lambda_otel_lite.testing import LambdaContext, reset, sample_event, sample_event_names

REGISTRY_PATH = Path(__file__).resolve().parents[1] / "semconv" / "registry-v1.44.0.json"
REGISTRY: dict[str, Any] = json.loads(REGISTRY_PATH.read_text(encoding="utf-8"))
ATTRIBUTES: dict[str, dict[str, Any]] = REGISTRY["attributes"]

MODES: dict[str, str | None] = {"legacy": None, "http": "http", "http/dup": "http/dup"}
"""Test id of each naming mode: the value of ``OTEL_SEMCONV_STABILITY_OPT_IN`` (None: unset)."""

OURS = "lambda_otel_lite."

HTTP_MIGRATION_OLD_NAMES = frozenset(
    {
        # "Common attributes across HTTP client and server spans"
        "http.method",
        "http.status_code",
        "http.request_content_length",
        "http.response_content_length",
        "net.protocol.name",
        "net.protocol.version",
        "net.sock.peer.addr",
        "net.sock.peer.port",
        # "HTTP client span attributes"
        "http.url",
        "http.resend_count",
        "net.peer.name",
        "net.peer.port",
        # "HTTP server span attributes"
        "http.target",
        "http.scheme",
        "http.client_ip",
        "net.host.name",
        "net.host.port",
        "net.sock.host.addr",
        "net.sock.host.port",
        # "Migrating from <= v1.19.0" and "<= v1.18.0"
        "http.flavor",
        "http.user_agent",
    }
)
"""The old HTTP and networking names of ``docs/non-normative/http-migration.md`` (semantic-conventions
v1.44.0): each ``old → new`` rename of its tables and lists. The guide has instrumentations keep
emitting them when ``OTEL_SEMCONV_STABILITY_OPT_IN`` is unset and beside the new ones under
``http/dup``, and stop under ``http``. (``net.sock.family`` and ``net.sock.peer.name`` are "Removed"
there, not renamed: no mode keeps them.) The generator records the same pairs from the guide in the
JSON; :func:`test_the_http_migration_names_are_those_of_the_guide` holds this list to them."""

LEGACY_KEYS_OUTSIDE_REGISTRY: dict[str, str] = {
    # The project's decision: not in the registry at v1.44.0 at all, deprecated or not (the registry's
    # key is faas.coldstart, model/faas/registry.yaml), but it is the original library's key and the
    # legacy mode keeps it for the dashboards built on it; http/dup keeps it beside faas.coldstart.
    "faas.cold_start": "boolean",
}
"""Keys outside the registry allowed in the legacy and ``http/dup`` modes only, with their type."""

CUSTOM_ENUM_VALUES: dict[str, str] = {
    # model/error/registry.yaml: error.type's one member is "_OTHER", "a fallback error value to be
    # used when the instrumentation doesn't define a custom value"; its note asks for an exception's
    # "canonical class name", and its examples include '500'. Every value we set is such a custom
    # value (the class name, the HTTP status code, batch_item_failure), so its members are not
    # enforced; the type (string) still is.
    "error.type": "an exception's class name, an HTTP status code or batch_item_failure",
}
"""Registry enums whose values need not be members (every other enum is held closed), with why."""

CUSTOM_ENUM_MEMBERS: dict[str, frozenset[object]] = {
    # The project's decision where the conventions define nothing: model/messaging/registry.yaml has
    # no messaging.system member for Kinesis or EventBridge (its AWS members are aws_sqs and aws.sns),
    # and every registry enum is open to custom values. Ours follow the spelling of the newest AWS
    # member, aws.sns (docs/attributes.md says so).
    "messaging.system": frozenset({"aws.kinesis", "aws.eventbridge"}),
}
"""Custom values of a registry enum that we emit on purpose, by key."""

AWS_SDK_SPAN_KEYS: dict[str, object] = {
    # model/aws/sdk-spans.yaml (v1.44.0), span.aws.client: the AWS SDK client span still refs
    # rpc.system ("The value `aws-api`", required) and rpc.service, which the registry has since
    # deprecated (model/rpc/deprecated/registry-deprecated.yaml). The conventions' own span definition
    # wins for the spans of AWS SDK calls (lambda_otel_lite/_aws_operations.py), with exactly that value.
    "rpc.system": "aws-api",
    "rpc.service": None,
}
"""Deprecated keys the AWS SDK span definition requires, with the one value allowed (None: any string)."""

NEVER_ALLOWED: dict[str, str] = {
    "messaging.operation": "deprecated (model/messaging/deprecated/registry-deprecated.yaml), renamed to "
    "messaging.operation.type; allowed in no mode",
}

_PYTHON_TYPES: dict[str, type] = {"string": str, "int": int, "double": float, "boolean": bool}


# --- the rules ------------------------------------------------------------------------------------


def registry_entry(key: str) -> dict[str, Any] | None:
    """The registry's attribute *key*, or the template attribute (``http.request.header.<key>``) it is under."""
    if key in ATTRIBUTES:
        return ATTRIBUTES[key]
    templates = [
        name
        for name, entry in ATTRIBUTES.items()
        if entry["type"].startswith("template[") and key.startswith(name + ".")
    ]
    return ATTRIBUTES[max(templates, key=len)] if templates else None


def type_problem(expected: str, value: object) -> str | None:
    """Why *value* is not of the registry type *expected*, or None."""
    if expected.startswith("template[") and expected.endswith("]"):
        expected = expected.removeprefix("template[").removesuffix("]")
    if expected == "any":
        return None
    if expected.endswith("[]"):
        if not isinstance(value, Sequence) or isinstance(value, str):
            return f"expected {expected}, got {type(value).__name__}"
        for item in value:
            if problem := type_problem(expected.removesuffix("[]"), item):
                return f"{expected} item {item!r}: {problem}"
        return None
    if expected not in _PYTHON_TYPES:
        raise AssertionError(f"the registry has a type this test does not know: {expected!r}")
    python = _PYTHON_TYPES[expected]
    if isinstance(value, python) and not (python is int and isinstance(value, bool)):
        return None
    return f"expected {expected}, got {type(value).__name__}"


def problems(key: str, value: object, mode: str) -> list[str]:
    """What is wrong with emitting *key* = *value* in naming mode *mode*: empty when nothing is."""
    legacy_names = mode in ("legacy", "http/dup")
    if key in NEVER_ALLOWED:
        return [NEVER_ALLOWED[key]]
    if key in AWS_SDK_SPAN_KEYS:
        allowed = AWS_SDK_SPAN_KEYS[key]
        if allowed is None:
            return [] if isinstance(value, str) else [f"expected string, got {type(value).__name__}"]
        return [] if value == allowed else [f"model/aws/sdk-spans.yaml allows {allowed!r} only"]
    entry = registry_entry(key)
    if entry is None:
        if key.startswith(OURS):
            return []
        if key in LEGACY_KEYS_OUTSIDE_REGISTRY and legacy_names:
            problem = type_problem(LEGACY_KEYS_OUTSIDE_REGISTRY[key], value)
            return [problem] if problem else []
        if key in LEGACY_KEYS_OUTSIDE_REGISTRY:
            return [f"not in the registry; allowed in the legacy and http/dup modes only, not in {mode}"]
        where = "an aws.* key the registry does not define" if key.startswith("aws.") else "not in the registry"
        return [f"{where}, and not ours ({OURS}*)"]
    found = []
    deprecated = entry["deprecated"]
    if deprecated is not None:
        renamed = f", renamed to {deprecated['renamed_to']}" if deprecated["renamed_to"] else ""
        what = f"deprecated in {entry['file']} ({deprecated['reason']}{renamed})"
        if key not in HTTP_MIGRATION_OLD_NAMES:
            found.append(f"{what}; not an old HTTP name of the migration guide")
        elif not legacy_names:
            found.append(f"{what}; old HTTP names only in the legacy and http/dup modes, not in {mode}")
    if entry["type"] != "enum":
        problem = type_problem(entry["type"], value)
        return [*found, *([problem] if problem else [])]
    if problem := type_problem(entry["value_type"], value):
        return [*found, f"enum of {entry['value_type']}: {problem}"]
    members = {member["value"]: member for member in entry["members"]}
    if value not in members and key not in CUSTOM_ENUM_VALUES and value not in CUSTOM_ENUM_MEMBERS.get(key, ()):
        found.append(f"not a member of the enum in {entry['file']}: {sorted(members)}")
    elif value in members and members[value]["deprecated"]:
        found.append(f"a deprecated member of the enum in {entry['file']}")
    return found


def report(where: str, attributes: Mapping[str, object] | None, mode: str) -> list[str]:
    """One line per problem: *where* (event, mode and span, or the resource), the key and value, and what is wrong."""
    return [
        f"{where}: {key}={value!r}: {problem}"
        for key, value in (attributes or {}).items()
        for problem in problems(key, value, mode)
    ]


# --- running a handler ----------------------------------------------------------------------------


class HandlerFailed(Exception):
    """Raised by the handler of the ``raises`` variant."""


class RecordFailed(Exception):
    """Raised for each record of the ``records-fail`` variant (it propagates where the trigger has no
    partial batch response: SNS, S3)."""


def fail_record(record: object) -> None:
    raise RecordFailed("record failed")


def is_batch(event: Mapping[str, Any]) -> bool:
    return isinstance(event.get("Records"), list)


def variants(event: Mapping[str, Any]) -> Iterator[tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]]:
    """The handler bodies to run over *event*: a success, an HTTP 500, an exception and, for a batch,
    every record failing. A batch event's records go through ``process_records`` in each of them."""

    def records(event: dict[str, Any], handle: Callable[[Any], object] = lambda record: None) -> dict[str, Any]:
        return dict(process_records(event, handle)) if is_batch(event) else {}

    def ok(event: dict[str, Any]) -> dict[str, Any]:
        return records(event) if is_batch(event) else {"statusCode": 200}

    def status_500(event: dict[str, Any]) -> dict[str, Any]:
        records(event)
        return {"statusCode": 500}

    def raises(event: dict[str, Any]) -> dict[str, Any]:
        records(event)
        raise HandlerFailed("handler failed")

    yield "ok", ok
    yield "status-500", status_500
    yield "raises", raises
    if is_batch(event):
        yield "records-fail", lambda event: records(event, fail_record)


def run(body: Callable[[dict[str, Any]], dict[str, Any]], event: dict[str, Any]) -> InMemorySpanExporter:
    """Call a decorated handler running *body* once, in a fresh process; the exporter holds its spans."""
    reset()
    exporter = InMemorySpanExporter()
    init_telemetry("semconv-registry", span_processors=[SimpleSpanProcessor(exporter)])

    @instrumented
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return body(event)

    # RecordFailed propagates where the trigger has no partial batch response (SNS, S3).
    with contextlib.suppress(HandlerFailed, RecordFailed):
        handler(event, LambdaContext())
    return exporter


@pytest.fixture(params=list(MODES))
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The naming mode under test, set in ``OTEL_SEMCONV_STABILITY_OPT_IN`` before ``init_telemetry``."""
    name: str = request.param
    value = MODES[name]
    if value is not None:
        monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", value)
    return name


# --- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("event_name", sample_event_names())
def test_every_span_attribute_is_a_registry_attribute_of_its_type_or_ours(
    event_name: str, mode: str, lambda_env: dict[str, str]
) -> None:
    """The span attributes of every variant of a handler over *event_name*, in *mode*, follow the module's rules."""
    found: dict[str, list[str]] = {}  # a problem: the variants that show it
    for variant, body in variants(sample_event(event_name)):
        spans = run(body, sample_event(event_name)).get_finished_spans()
        assert spans, f"event={event_name} mode={mode} variant={variant}: no span"
        for span in spans:
            for line in report(f"event={event_name} mode={mode} span={span.name!r}", span.attributes, mode):
                found.setdefault(line, []).append(variant)
    lines = [f"{line} [variants: {', '.join(dict.fromkeys(names))}]" for line, names in found.items()]
    assert lines == [], "\n".join(["", *lines])


def test_every_resource_attribute_is_a_registry_attribute_of_its_type_or_ours(
    mode: str, lambda_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider's resource, in a Lambda environment (``tests/support.py`` LAMBDA_ENV, and the log
    group Lambda sets too), and the resource the spans carry follow the module's rules."""
    monkeypatch.setenv("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + lambda_env["AWS_LAMBDA_FUNCTION_NAME"])
    reset()
    exporter = InMemorySpanExporter()
    _, provider = init_telemetry("semconv-registry", span_processors=[SimpleSpanProcessor(exporter)])

    @instrumented
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return {"statusCode": 200}

    handler(sample_event("apigateway-http-v2"), LambdaContext())
    resources: list[Resource] = [provider.resource, *(span.resource for span in exporter.get_finished_spans())]
    assert "aws.log.group.names" in provider.resource.attributes  # the whole Lambda resource is detected
    found = [line for resource in resources for line in report(f"resource mode={mode}", resource.attributes, mode)]
    found = list(dict.fromkeys(found))
    assert found == [], "\n".join(["", *found])


def test_the_http_migration_names_are_those_of_the_guide() -> None:
    """The hand-written list is the guide's (as the generator read it from ``docs/non-normative/http-migration.md``)."""
    guide = REGISTRY["http_migration_renames"]
    assert guide["file"] == "docs/non-normative/http-migration.md"
    assert sorted(HTTP_MIGRATION_OLD_NAMES) == sorted(guide["renames"])


def test_the_registry_file_is_v1_44_0_and_has_the_keys_the_rules_name() -> None:
    """A regenerated or hand-edited registry file keeps what the rules rely on."""
    assert (REGISTRY["tag"], REGISTRY["commit"]) == ("v1.44.0", "e10a930844c6951757a43b849d364f7d056ac32b")
    assert "faas.cold_start" not in ATTRIBUTES
    assert ATTRIBUTES["faas.coldstart"]["type"] == "boolean"
    assert ATTRIBUTES["messaging.operation"]["deprecated"]["renamed_to"] == "messaging.operation.type"
    assert ATTRIBUTES["error.type"]["type"] == "enum"


@pytest.mark.parametrize(
    ("key", "value", "mode", "expected"),
    [
        ("faas.trigger", "http", "http", []),
        ("faas.trigger", "webhook", "http", ["not a member of the enum in model/faas/registry.yaml"]),
        ("faas.coldstart", True, "http", []),
        ("faas.coldstart", "true", "http", ["expected boolean, got str"]),
        ("http.response.status_code", True, "http", ["expected int, got bool"]),
        ("http.response.status_code", 200.0, "http", ["expected int, got float"]),
        ("http.request.header.x-request-id", ("a",), "http", []),
        ("http.request.header.x-request-id", "a", "http", ["expected string[], got str"]),
        ("aws.sqs.queue.url", "https://sqs", "http", []),
        ("aws.sqs.queue.arn", "arn", "http", ["an aws.* key the registry does not define"]),
        ("lambda_otel_lite.batch.failed_count", 1, "http", []),
        ("order.id", 1, "http", ["not in the registry"]),
        ("faas.cold_start", True, "legacy", []),
        ("faas.cold_start", True, "http", ["not in the registry; allowed in the legacy and http/dup modes only"]),
        ("http.method", "GET", "http/dup", []),
        ("http.method", "GET", "http", ["deprecated in model/http/deprecated/registry-deprecated.yaml"]),
        ("net.sock.family", "inet", "legacy", ["deprecated in model/network/deprecated/registry-deprecated.yaml"]),
        ("messaging.operation", "process", "legacy", ["deprecated (model/messaging/deprecated"]),
        ("messaging.operation.type", "publish", "http", ["a deprecated member of the enum"]),
        ("error.type", "orders.OutOfStock", "http", []),
        ("error.type", 500, "http", ["enum of string: expected string, got int"]),
    ],
)
def test_the_rules_on_one_attribute(key: str, value: object, mode: str, expected: list[str]) -> None:
    """The checker itself, on values valid and invalid: each problem starts with the expected text."""
    found = problems(key, value, mode)
    assert len(found) == len(expected), found
    assert all(problem.startswith(prefix) for problem, prefix in zip(found, expected, strict=True)), found
