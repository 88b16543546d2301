"""Telemetry carries no secrets: query values redacted, validation errors bounded, no header, cookie or body."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_otel_lite import EventValidationError, init_telemetry, instrumented
from lambda_otel_lite.events import APIGatewayProxyEventV2
from lambda_otel_lite.local.decode import DecodedSpan
from lambda_otel_lite.sources.http import redact_query
from lambda_otel_lite.testing import LambdaContext, sample_event
from tests.functional.test_fuzz_events import FUZZ
from tests.support import StdoutTelemetry

PRESIGNED = "X-Amz-Signature=abcdef123&Signature=zzz&access_token=SECRET&q=1"
REDACTED = "X-Amz-Signature=REDACTED&Signature=REDACTED&access_token=SECRET&q=1"
SECRETS = ("abcdef123", "zzz", "Bearer-top-secret", "session=cookie-secret", "body-secret", "AKIAENVSECRET")


def http_event(source: str, query: str) -> dict[str, Any]:
    """The sample event of *source* asking for ``/orders?{query}`` the way that source delivers it."""
    pairs = [part.partition("=") for part in query.split("&")]
    if source in ("apigateway-http-v2", "function-url"):
        event = sample_event(source)
        event["rawQueryString"] = query
        event["queryStringParameters"] = {key: value for key, _, value in pairs}
    else:
        event = sample_event(source)
        event["queryStringParameters"] = {key: value for key, _, value in pairs}
        event["multiValueQueryStringParameters"] = {key: [value] for key, _, value in pairs}
    return event


def span_of(event: dict[str, Any], stdout: StdoutTelemetry) -> DecodedSpan:
    @instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    handler(copy.deepcopy(event), LambdaContext())
    (span,) = stdout.spans()
    return span


@pytest.mark.parametrize("source", ["apigateway-http-v2", "function-url", "apigateway-rest-v1", "alb"])
@pytest.mark.parametrize("mode", ["legacy", "http", "http/dup"])
def test_secret_query_values_are_redacted_in_every_source_and_mode(
    source: str, mode: str, monkeypatch: pytest.MonkeyPatch, stdout_telemetry: StdoutTelemetry
) -> None:
    if mode != "legacy":
        monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", mode)
    init_telemetry("security")
    span = span_of(http_event(source, PRESIGNED), stdout_telemetry)
    carriers = {key: span.attributes[key] for key in ("http.target", "url.query") if key in span.attributes}
    assert carriers, span.attributes
    for key, value in carriers.items():
        assert "abcdef123" not in value, (key, value)
        assert "zzz" not in value, (key, value)
        assert "X-Amz-Signature=REDACTED" in value
        assert "Signature=REDACTED" in value
        assert "q=1" in value
    if "url.query" in carriers and source != "apigateway-rest-v1":
        assert carriers["url.query"] == REDACTED


def test_users_add_keys_and_can_turn_redaction_off(
    monkeypatch: pytest.MonkeyPatch, stdout_telemetry: StdoutTelemetry
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    monkeypatch.setenv("LAMBDA_OTEL_LITE_REDACT_QUERY_KEYS", "access_token, Q")
    init_telemetry("security")
    query = span_of(http_event("apigateway-http-v2", PRESIGNED), stdout_telemetry).attributes["url.query"]
    assert query == "X-Amz-Signature=REDACTED&Signature=REDACTED&access_token=REDACTED&q=REDACTED"
    monkeypatch.setenv("LAMBDA_OTEL_LITE_REDACT_QUERY_KEYS", "off")
    init_telemetry("security")
    assert span_of(http_event("apigateway-http-v2", PRESIGNED), stdout_telemetry).attributes["url.query"] == PRESIGNED


def test_an_invalid_key_list_warns_once_and_keeps_the_valid_keys(caplog: pytest.LogCaptureFixture) -> None:
    from lambda_otel_lite import _config

    with caplog.at_level(logging.WARNING):
        keys = _config.load_config({"LAMBDA_OTEL_LITE_REDACT_QUERY_KEYS": "token,a=b,,x y"}).redact_query_keys
    assert "token" in keys
    assert keys >= _config.DEFAULT_REDACTED_QUERY_KEYS
    (warning,) = [record.getMessage() for record in caplog.records]
    assert "LAMBDA_OTEL_LITE_REDACT_QUERY_KEYS" in warning
    assert "'a=b'" in warning


def test_keys_match_ignoring_case_and_percent_encoding() -> None:
    from lambda_otel_lite._config import DEFAULT_REDACTED_QUERY_KEYS as KEYS

    assert redact_query("x-amz-credential=AKIA%2F1&X%2DAmz%2DSignature=s", KEYS) == (
        "x-amz-credential=REDACTED&X%2DAmz%2DSignature=REDACTED"
    )
    assert redact_query("sig&sig=&Sig=1", KEYS) == "sig&sig=&Sig=REDACTED"  # no value: nothing to hide


QUERY_PART = st.one_of(
    st.sampled_from(["Signature", "sig", "X-Amz-Signature", "x%2Damz%2Dsignature", "", "q", "a+b", "%ZZ"]),
    st.text(max_size=8),
)


@FUZZ
@given(
    parts=st.lists(
        st.tuples(QUERY_PART, st.sampled_from(["=", ""]), st.text(max_size=300) | st.just("x" * 5000)), max_size=8
    )
)
def test_redaction_of_any_query_never_raises_and_keeps_every_parameter(parts: list[tuple[str, str, str]]) -> None:
    from lambda_otel_lite._config import DEFAULT_REDACTED_QUERY_KEYS as KEYS

    query = "&".join(key + sep + value for key, sep, value in parts)
    redacted = redact_query(query, KEYS)
    assert redacted.count("&") == query.count("&")
    for original, result in zip(query.split("&"), redacted.split("&"), strict=True):
        name = original.partition("=")[0]
        assert result == original or result == f"{name}=REDACTED"


def test_a_validation_error_shows_a_bounded_value_whatever_pydantic_prints(
    stdout_telemetry: StdoutTelemetry,
) -> None:
    init_telemetry("security")
    event = sample_event("apigateway-http-v2")
    event["rawPath"] = {"secret": "s" * 10_000}  # a wrong type, with a huge value

    @instrumented
    def handler(event: APIGatewayProxyEventV2, context: Any) -> None:
        return None

    with pytest.raises(EventValidationError) as raised:
        handler(event, LambdaContext())  # type: ignore[arg-type]
    error = raised.value
    assert error.validation_error is not None  # pydantic's full detail stays on the error
    (span,) = stdout_telemetry.spans()
    limit = EventValidationError.VALUE_LIMIT
    (exception,) = span.events
    texts = [span.status_message, str(exception.attributes["exception.message"])]
    texts.append(str(exception.attributes["exception.stacktrace"]))
    for text in texts:
        assert "s" * (limit + 1) not in text
        assert "rawPath" in text
    assert len(span.status_message) < 400


def test_many_problems_are_listed_up_to_the_limit_and_counted() -> None:
    errors = [(f"field{number}", number, "Input should be a valid string") for number in range(25)]
    message = str(EventValidationError("Model", errors))
    assert "field9:" in message
    assert "field10:" not in message
    assert message.endswith("; and 15 more")


@pytest.mark.parametrize("source", ["apigateway-http-v2", "function-url", "apigateway-rest-v1", "alb", "sqs"])
def test_no_credential_cookie_body_or_environment_value_reaches_the_span(
    source: str, monkeypatch: pytest.MonkeyPatch, stdout_telemetry: StdoutTelemetry
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "AKIAENVSECRET")
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http/dup")
    init_telemetry("security")
    event = sample_event(source)
    event["body"] = "body-secret"
    headers = {"Authorization": "Bearer-top-secret", "Cookie": "session=cookie-secret"}
    if source == "sqs":
        event["Records"][0]["body"] = "body-secret"
        event["Records"][0]["messageAttributes"]["Authorization"] = {"stringValue": "Bearer-top-secret"}
    else:
        event["headers"] = {**(event.get("headers") or {}), **headers}
        if "multiValueHeaders" in event:
            event["multiValueHeaders"] = {
                **(event["multiValueHeaders"] or {}),
                **{key: [value] for key, value in headers.items()},
            }
        if "cookies" in event:
            event["cookies"] = ["session=cookie-secret"]
    span = span_of(event, stdout_telemetry)
    everything = [str(value) for value in span.attributes.values()]
    everything += [span.name, span.status_message]
    everything += [str(value) for event in span.events for value in event.attributes.values()]
    everything += [str(value) for value in span.resource.values()]
    for secret in SECRETS:
        assert not any(secret in text for text in everything), secret
