"""The processing modes under AWS's Runtime Interface Emulator: ``./noxw -s conformance``.

The local runtime of ``lambda_otel_lite.local`` is our reading of the Lambda documentation; these
tests run the same scenarios against AWS's own emulator, so a misreading shows up as a failure.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import pytest

from lambda_otel_lite.local.decode import DecodedSpan, decode_line
from tests.conformance.rie import Emulator

START = re.compile(r"^START RequestId: (\S+)")
END = re.compile(r"^END RequestId: (\S+)")
MANAGED = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"}


@dataclass
class Request:
    request_id: str
    start: int
    end: int | None = None
    spans: list[tuple[DecodedSpan, int]] = field(default_factory=list[tuple[DecodedSpan, int]])


def read_output(lines: list[str]) -> tuple[list[Request], list[tuple[DecodedSpan, int]]]:
    """RIE's requests in order, and every exported span with its line number."""
    requests: list[Request] = []
    spans: list[tuple[DecodedSpan, int]] = []
    for number, line in enumerate(lines):
        if match := START.match(line):
            requests.append(Request(match[1], number))
        elif (match := END.match(line)) and requests and requests[-1].request_id == match[1]:
            requests[-1].end = number
        elif decoded := decode_line(line):
            spans += [(span, number) for span in decoded]
    by_id = {request.request_id: request for request in requests}
    trace_of = {
        span.attributes["faas.invocation_id"]: span.trace_id
        for span, _ in spans
        if span.attributes.get("faas.invocation_id") in by_id
    }
    for request in requests:
        trace_id = trace_of.get(request.request_id)
        request.spans = [(span, number) for span, number in spans if span.trace_id == trace_id]
    return requests, spans


def test_async_mode_exports_each_invocation_before_the_next_one_starts() -> None:
    with Emulator("spans", {"LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": "async", **MANAGED}) as rie:
        responses = [rie.invoke({"children": 2}) for _ in range(10)]
        rie.stop()
    assert responses == [{"statusCode": 200, "children": 2}] * 10
    assert any("lambda-otel-lite-internal" in line and "subscribed to [INVOKE]" in line for line in rie.lines)
    requests, spans = read_output(rie.lines)
    assert len(requests) == 10
    assert len({span.span_id for span, _ in spans}) == len(spans) == 30  # every span once, none missing
    for current, following in itertools.pairwise(requests):
        assert sorted(span.name for span, _ in current.spans) == ["child", "child", "handler"]
        assert all(number < following.start for _, number in current.spans), current.request_id
    assert sorted(span.name for span, _ in requests[-1].spans) == ["child", "child", "handler"]
    assert [span.attributes.get("faas.cold_start") for span, _ in spans if span.name == "handler"][:2] == [True, None]


def test_async_mode_exports_a_failed_invocation_with_error_status() -> None:
    with Emulator("spans", {"LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": "async", **MANAGED}) as rie:
        failure = rie.invoke({"raise": True})
        success = rie.invoke({"children": 1})
        rie.stop()
    assert failure["errorType"] == "RuntimeError"
    assert success == {"statusCode": 200, "children": 1}
    requests, _ = read_output(rie.lines)
    failed, following = requests
    (handler_span, number) = failed.spans[0]
    assert handler_span.status == "ERROR"
    assert [event.name for event in handler_span.events] == ["exception"]
    assert number < following.start


def test_sync_mode_exports_before_the_invocation_ends() -> None:
    with Emulator("spans", {"LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": "sync", **MANAGED}) as rie:
        for _ in range(3):
            rie.invoke({"children": 1})
        rie.stop()
    requests, _ = read_output(rie.lines)
    assert len(requests) == 3
    for request in requests:
        assert request.end is not None
        assert len(request.spans) == 2
        assert all(request.start < number < request.end for _, number in request.spans)
    assert not any("lambda-otel-lite-internal" in line for line in rie.lines)  # sync registers nothing


@pytest.mark.parametrize("managed", [True, False], ids=["managed-runtime", "container-image"])
def test_finalize_mode_flushes_on_rie_shutdown_before_the_runtime_is_killed(managed: bool) -> None:
    """Without a managed AWS_EXECUTION_ENV the main thread sits in native code: the wake-up fd thread flushes."""
    env = {"LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": "finalize", **(MANAGED if managed else {})}
    with Emulator("batching", env) as rie:
        rie.invoke({})
        rie.invoke({})
        _, before = read_output(list(rie.lines))
        rie.stop()
    assert any("lambda-otel-lite-internal" in line and "subscribed to []" in line for line in rie.lines)
    assert before == []  # the BatchSpanProcessor held everything until the shutdown
    _, after = read_output(rie.lines)
    assert sorted(span.name for span, _ in after) == ["child", "child", "handler", "handler", "init"]
    assert not any("Killing it" in line for line in rie.lines), "the runtime outlived the shutdown deadline"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_timed_out_invocation_is_exported_before_rie_resets_the_runtime(mode: str) -> None:
    env = {"LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE": mode, "AWS_LAMBDA_FUNCTION_TIMEOUT": "1", **MANAGED}
    with Emulator("slow", env) as rie:
        assert rie.invoke({"seconds": 5}) == "Task timed out after 1.00 seconds"
        after = rie.invoke({})
        rie.stop()
    assert after == {"statusCode": 200}
    requests, spans = read_output(rie.lines)
    timed_out = requests[0]
    by_name = {span.name: span for span, _ in timed_out.spans}
    assert sorted(by_name) == ["handler", "quick-step", "slow-step"], rie.lines
    assert (by_name["handler"].status, by_name["handler"].attributes["error.type"]) == ("ERROR", "timeout")
    assert by_name["slow-step"].status_message == "Cut short: the invocation ended (timeout) first"
    assert len({span.span_id for span, _ in spans}) == len(spans)  # nothing exported twice
    handlers = [span for span, _ in spans if span.name == "handler"]
    assert [span.attributes.get("faas.cold_start") for span in handlers] == [True, True]  # a new environment
