"""Every private field of OpenTelemetry (and of otlp-stdout-span-exporter) that lambda-otel-lite reads, checked.

Private names carry no compatibility promise, so each one the package reads is listed here with the
shape the package relies on, and checked on the installed versions. The versions checked are named
in :data:`CHECKED_ON`: the lowest are the floors of pyproject.toml, installed by ``./noxw -s lowest``;
the newest are what ``./noxw -s tests`` installed when the list was last reviewed. Both sessions run
this module, so both ends are covered; a release that renames or reshapes a field fails here first.

What reads what:

- ``_otlp.encode_span`` reads a finished span's fields directly (``_context``, ``_parent``, ``_name``,
  ``_kind``, ``_start_time``, ``_end_time``, ``_attributes``, ``_events``, ``_links``, ``_status``)
  instead of the properties, which copy; and ``BoundedAttributes._dict`` (``_otlp.attribute_items``).
- ``processor`` and ``_aws_calls`` set ``opentelemetry.context._SUPPRESS_INSTRUMENTATION_KEY``.
- ``telemetry._AdoptedProcessors`` (a ``SynchronousMultiSpanProcessor``) swaps ``_span_processors``
  under ``_lock``.
- ``telemetry._GlobalTracerProvider`` forwards the provider's private methods the SDK calls
  (``_update_resource``, ``_set_tracer_configurator``, ``_apply_tracer_configurator``) and overrides
  ``_handle_fork``: where the installed SDK has them, with the same parameters.
- ``_package_exporter.write_lines_whole`` replaces ``OTLPStdoutSpanExporter._output`` (a ``StdOutput`` by
  default, whose ``write_line(line) -> bool`` the exporter calls), and ``processor`` reads its
  ``last_error``.

Not the SDK's and not listed: ``Enum._value_``, ``NamedTuple._replace``, ``os._exit`` (the standard library).
"""

from __future__ import annotations

import ast
import inspect
import threading
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import context as context_api
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, SynchronousMultiSpanProcessor, TracerProvider
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

import lambda_otel_lite

ROOT = Path(__file__).resolve().parents[2]

CHECKED_ON = {
    "opentelemetry-api": ("1.43.0", "1.45.1"),
    "opentelemetry-sdk": ("1.43.0", "1.45.1"),
    "otlp-stdout-span-exporter": ("0.16.0", "0.16.0"),
}
"""(lowest, newest) version of each distribution on which every check below passed."""

SPAN_FIELDS = (
    "_context",
    "_parent",
    "_name",
    "_kind",
    "_start_time",
    "_end_time",
    "_attributes",
    "_events",
    "_links",
    "_status",
)
PROVIDER_METHODS = {
    "_update_resource": ["self", "resource"],
    "_set_tracer_configurator": ["self", "tracer_configurator"],
    "_apply_tracer_configurator": ["self", "instrumentation_scope"],
    "_handle_fork": ["self"],
}
"""The provider's private methods ``_GlobalTracerProvider`` forwards or overrides, with their parameters."""

LISTED = {
    *SPAN_FIELDS,
    *PROVIDER_METHODS,
    "_dict",
    "_SUPPRESS_INSTRUMENTATION_KEY",
    "_span_processors",
    "_lock",
    "_output",
}
STANDARD_LIBRARY = {"_value_", "_replace", "_exit"}


def test_the_lowest_versions_checked_are_the_declared_floors() -> None:
    """Lowering a floor means checking these fields on the new floor (./noxw -s lowest) and saying so above."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    floors = {}
    for requirement in declared:
        name, _, rest = requirement.partition(">=")
        floors[name.strip()] = rest.split(",")[0].split(";")[0].strip()
    for name, (lowest, _) in CHECKED_ON.items():
        assert lowest.split(".")[: len(floors[name].split("."))] == floors[name].split("."), name


def test_the_installed_versions_are_at_least_the_lowest_checked() -> None:
    def parts(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in text.split(".")[:3])

    assert [name for name, (lowest, _) in CHECKED_ON.items() if parts(version(name)) < parts(lowest)] == []


class _Keep(SpanProcessor):
    def __init__(self) -> None:
        self.ended: list[Any] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.append(span)


def _finished_span() -> Any:
    """A finished span, as a span processor receives it: a parent, attributes, an event, a link, a status."""
    keep = _Keep()
    provider = TracerProvider()
    provider.add_span_processor(keep)
    tracer = provider.get_tracer("checks")
    with tracer.start_as_current_span("parent") as parent:
        link = Link(parent.get_span_context(), {"link.key": "v"})
        span = tracer.start_span("child", kind=SpanKind.SERVER, links=[link], attributes={"a": 1, "b": "two"})
        span.add_event("event", {"e": True})
        span.set_status(Status(StatusCode.ERROR, "failed"))
        span.end()
    provider.shutdown()
    return keep.ended[0]


def test_a_finished_span_is_a_readable_span_whose_private_fields_are_its_public_ones() -> None:
    finished = _finished_span()
    assert type(finished) is ReadableSpan  # _otlp reads the fields of exactly this type (and of sdk Span)
    span: Any = finished  # its private fields, untyped
    assert [field for field in SPAN_FIELDS if not hasattr(span, field)] == []
    assert span._context is span.context
    assert span._parent is span.parent
    assert span._name == span.name == "child"
    assert span._kind is span.kind is SpanKind.SERVER
    assert span._kind._value_ == SpanKind.SERVER.value
    assert (span._start_time, span._end_time) == (span.start_time, span.end_time)
    assert isinstance(span._start_time, int)
    assert type(span._attributes) is BoundedAttributes
    assert span._attributes.dropped == 0
    assert dict(span._attributes._dict) == dict(span.attributes) == {"a": 1, "b": "two"}
    assert isinstance(span._attributes._dict, dict)
    assert [(event.name, dict(event.attributes or {})) for event in span._events] == [("event", {"e": True})]
    assert span._events.dropped == 0
    assert [link.context for link in span._links] == [link.context for link in span.links]
    assert span._links.dropped == 0
    assert span._status is span.status
    assert span._status.status_code._value_ == StatusCode.ERROR.value


def test_the_suppress_instrumentation_key_is_a_context_key() -> None:
    key = context_api._SUPPRESS_INSTRUMENTATION_KEY
    assert isinstance(key, str)
    token = context_api.attach(context_api.set_value(key, True))
    try:
        assert context_api.get_value(key) is True
    finally:
        context_api.detach(token)


def test_a_multi_span_processor_keeps_its_processors_in_a_tuple_under_a_lock() -> None:
    multi = SynchronousMultiSpanProcessor()  # type: ignore[no-untyped-call]  # the SDK's __init__ is unannotated
    keep = _Keep()
    multi.add_span_processor(keep)
    assert multi._span_processors == (keep,)
    assert isinstance(multi._lock, type(threading.Lock()))
    with multi._lock:
        multi._span_processors = ()
    assert multi._span_processors == ()


@pytest.mark.parametrize("name", sorted(PROVIDER_METHODS))
def test_a_private_provider_method_the_global_provider_forwards_keeps_its_parameters(name: str) -> None:
    """Absent from older SDKs (1.43 has only the two tracer-configurator ones): then nothing calls it."""
    method = getattr(TracerProvider, name, None)
    if method is None:
        assert tuple(int(part) for part in version("opentelemetry-sdk").split(".")[:2]) < (1, 45)
        return
    assert list(inspect.signature(method).parameters) == PROVIDER_METHODS[name]


def test_the_package_exporter_writes_through_its_output_field(capsys: pytest.CaptureFixture[str]) -> None:
    from otlp_stdout_span_exporter import OTLPStdoutSpanExporter
    from otlp_stdout_span_exporter.exporter import StdOutput

    exporter = OTLPStdoutSpanExporter()
    assert type(exporter._output) is StdOutput
    lines: list[str] = []

    class Capture(StdOutput):
        def write_line(self, line: str) -> bool:
            lines.append(line)
            return True

    exporter._output = Capture()
    exporter.export([_finished_span()])
    assert len(lines) == 1
    assert capsys.readouterr().out == ""


# --- the list is complete: no other private name of another package is read -------------------------


def _foreign_private_reads() -> dict[str, list[str]]:
    """Private names (``x._name``, ``getattr(x, "_name")``) the package reads but never defines itself.

    A name the package also defines (``_lock``, ``_name``...) is not seen here: those are listed by
    hand above. This catches a new one, such as a provider's ``_active_span_processor``.
    """
    package = Path(lambda_otel_lite.__file__).resolve().parent
    trees = {path: ast.parse(path.read_text()) for path in sorted(package.rglob("*.py"))}
    modules = {path.stem for path in trees} | {path.name for path in package.rglob("*") if path.is_dir()}
    defined: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        defined.add(item.name)
                    elif isinstance(item, ast.Assign | ast.AnnAssign):
                        targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                        for target in targets:
                            if isinstance(target, ast.Name):
                                defined.add(target.id)
                        if any(isinstance(target, ast.Name) and target.id == "__slots__" for target in targets):
                            defined |= {
                                slot.value
                                for slot in ast.walk(item.value)  # type: ignore[arg-type]
                                if isinstance(slot, ast.Constant) and isinstance(slot.value, str)
                            }
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                defined.add(node.attr)
    reads: dict[str, list[str]] = {}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                if not (isinstance(node.value, ast.Name) and node.value.id in modules):  # our own modules' names
                    name = node.attr
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr", "setattr")
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                name = node.args[1].value
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                "opentelemetry",
                "otlp_stdout_span_exporter",
            ):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        reads.setdefault(alias.name, []).append(f"{path.name}:{node.lineno}")
                continue
            if name and name.startswith("_") and not name.startswith("__") and name not in defined:
                reads.setdefault(name, []).append(f"{path.name}:{getattr(node, 'lineno', 0)}")
    return reads


def test_every_private_name_of_another_package_the_package_reads_is_listed_here() -> None:
    unlisted = {
        name: where for name, where in _foreign_private_reads().items() if name not in LISTED | STANDARD_LIBRARY
    }
    assert unlisted == {}, "add each to this module, with the shape the package relies on"
