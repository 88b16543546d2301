"""HTTP spans held to the conventions' text (semantic conventions v1.44.0, docs/http/http-spans.md):
unknown methods, ``server.port``, repeated propagation headers, malformed trace contexts."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
from opentelemetry import baggage

from lambda_otel_lite import init_telemetry, instrumented
from lambda_otel_lite.testing import LambdaContext, sample_event
from tests.support import StdoutTelemetry

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE}-{PARENT}-01"


def invoke(event: dict[str, Any], stdout: StdoutTelemetry, seen: list[dict[str, object]] | None = None) -> Any:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if seen is not None:
            seen.append(dict(baggage.get_all()))
        return {"statusCode": 200}

    handler(copy.deepcopy(event), LambdaContext())
    (span,) = stdout.spans()
    return span


def http_v2(method: str, route: str = "/orders/{id}") -> dict[str, Any]:
    event = sample_event("apigateway-http-v2")
    event["routeKey"] = f"{method} {route}"
    event["requestContext"]["http"]["method"] = method
    return event


@pytest.mark.parametrize("mode", ["http", "http/dup"])
def test_an_unknown_method_is_other_with_the_original_and_the_span_is_named_http(
    mode: str, stdout_telemetry: StdoutTelemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "If the HTTP request method is not known to instrumentation, it MUST set the
    http.request.method attribute to _OTHER" and "MUST also set http.request.method_original";
    the span name's "{method} MUST be HTTP"."""
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", mode)
    init_telemetry("orders")
    span = invoke(http_v2("PURGE"), stdout_telemetry)
    assert span.name == "HTTP /orders/{id}"
    assert (span.attributes["http.request.method"], span.attributes["http.request.method_original"]) == (
        "_OTHER",
        "PURGE",
    )
    assert span.attributes.get("http.method") == ("PURGE" if mode == "http/dup" else None)


def test_the_legacy_naming_keeps_the_method_as_sent(stdout_telemetry: StdoutTelemetry) -> None:
    init_telemetry("orders")
    span = invoke(http_v2("PURGE"), stdout_telemetry)
    assert (span.name, span.attributes["http.method"]) == ("PURGE /orders/{id}", "PURGE")
    assert "http.request.method_original" not in span.attributes


@pytest.mark.parametrize(("method", "known"), [("GET", True), ("QUERY", True), ("get", False), ("PURGE", False)])
def test_known_methods_are_the_conventions_list_and_case_sensitive(
    method: str, known: bool, stdout_telemetry: StdoutTelemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    init_telemetry("orders")
    span = invoke(http_v2(method), stdout_telemetry)
    assert span.attributes["http.request.method"] == (method if known else "_OTHER")


def test_otel_instrumentation_http_known_methods_replaces_the_list_whole(
    stdout_telemetry: StdoutTelemetry, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """ "this list MUST be a full override of the default known methods"; a bad item is ignored with one warning."""
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS", "PURGE, GET,bad method")
    with caplog.at_level(logging.WARNING, logger="lambda_otel_lite"):
        init_telemetry("orders")
    spans = [invoke(http_v2(method), stdout_telemetry) for method in ("PURGE", "POST")]
    assert [span.attributes["http.request.method"] for span in spans] == ["PURGE", "_OTHER"]
    assert [span.name for span in spans] == ["PURGE /orders/{id}", "HTTP /orders/{id}"]
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS" in warning
    assert "'bad method'" in warning


@pytest.mark.parametrize(
    ("headers", "address", "port"),
    [
        ({"host": "api.example.com:8443"}, "api.example.com", 8443),
        ({"host": "[2001:db8::1]:8080"}, "2001:db8::1", 8080),
        ({"host": "api.example.com", "x-forwarded-port": "9443"}, "api.example.com", 443),
        ({"host": "api.example.com"}, "api.example.com", 443),
        ({"host": "api.example.com:notaport"}, "api.example.com:notaport", 443),
    ],
)
def test_server_address_and_port_come_from_the_host_header(
    headers: dict[str, str], address: str, port: int, stdout_telemetry: StdoutTelemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Setting server.address and server.port": both parsed from Host; else X-Forwarded-Port; else
    the port of the scheme (API Gateway and Function URLs are HTTPS-only)."""
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    init_telemetry("orders")
    event = http_v2("GET")
    event["headers"] = headers
    span = invoke(event, stdout_telemetry)
    assert (span.attributes["server.address"], span.attributes["server.port"]) == (address, port)


@pytest.mark.parametrize(("forwarded", "port"), [("80", 80), ("8080", 8080), (None, 80), ("x", 80)])
def test_an_alb_request_has_its_listeners_port_from_x_forwarded_port(
    forwarded: str | None, port: int, stdout_telemetry: StdoutTelemetry
) -> None:
    """An ALB listener may use any port; the load balancer says which in X-Forwarded-Port (else the scheme's)."""
    init_telemetry("orders")
    event = sample_event("alb")
    if forwarded is None:
        del event["headers"]["x-forwarded-port"]
    else:
        event["headers"]["x-forwarded-port"] = forwarded
    span = invoke(event, stdout_telemetry)
    assert (span.attributes["net.host.name"], span.attributes["net.host.port"]) == (
        "lambda-alb-123578498.us-east-1.elb.amazonaws.com",
        port,
    )


@pytest.mark.parametrize("sample", ["apigateway-rest-v1", "alb-multi-value"])
def test_repeated_baggage_and_tracestate_headers_are_joined_as_the_w3c_specs_say(
    sample: str, stdout_telemetry: StdoutTelemetry
) -> None:
    """W3C Baggage and Trace Context allow several ``baggage`` / ``tracestate`` headers, to be
    combined; ``headers`` of a REST API or multi-value ALB event holds only the last of them."""
    init_telemetry("orders")
    event = sample_event(sample)
    multi = event["multiValueHeaders"]
    multi["traceparent"] = [TRACEPARENT]
    multi["tracestate"] = ["vendor1=a", "vendor2=b"]
    multi["baggage"] = ["tenant=acme", "region=eu"]
    if event.get("headers"):
        event["headers"].update({"traceparent": TRACEPARENT, "tracestate": "vendor2=b", "baggage": "region=eu"})
    seen: list[dict[str, object]] = []
    span = invoke(event, stdout_telemetry, seen)
    assert (span.trace_id, span.parent_span_id) == (TRACE, PARENT)
    assert seen == [{"tenant": "acme", "region": "eu"}]


def test_a_malformed_traceparent_header_starts_a_new_trace_with_one_warning_naming_the_headers(
    stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    init_telemetry("orders")
    event = http_v2("GET")
    event["headers"]["traceparent"] = "00-not-a-context-01"
    with caplog.at_level(logging.WARNING, logger="lambda_otel_lite"):
        first = invoke(event, stdout_telemetry)
        second = invoke(event, stdout_telemetry)
    assert (first.parent_span_id, second.parent_span_id) == (None, None)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "Ignoring the malformed traceparent of event['headers'] ('00-not-a-context-01'): expected "
        "00-<32 hex>-<16 hex>-<2 hex>, not all zeros"
    ]


def test_no_traceparent_at_all_is_no_warning(
    stdout_telemetry: StdoutTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    init_telemetry("orders")
    with caplog.at_level(logging.WARNING, logger="lambda_otel_lite"):
        span = invoke(http_v2("GET"), stdout_telemetry)
    assert span.parent_span_id is None
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
