"""Lambda resource detection."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource

from lambda_otel_lite import get_lambda_resource
from lambda_otel_lite.resource import LambdaResource
from tests.support import LAMBDA_ENV

SDK = {"telemetry.sdk.language": "python", "telemetry.sdk.name": "opentelemetry"}


def attributes(env: dict[str, str]) -> dict[str, object]:
    found: dict[str, object] = dict(get_lambda_resource(env).attributes)
    found.pop("telemetry.sdk.version")
    return found


def test_every_lambda_variable_becomes_its_attribute_with_memory_in_bytes() -> None:
    assert attributes(LAMBDA_ENV) == {
        **SDK,
        "cloud.provider": "aws",
        "cloud.platform": "aws_lambda",
        "cloud.region": "eu-west-1",
        "faas.name": "orders-api",
        "faas.version": "7",
        "faas.instance": "2026/11/25/[7]0123456789abcdef0123456789abcdef",
        "faas.max_memory": 512 * 1024 * 1024,
        "service.name": "orders-api",
        # model/aws/registry.yaml (v1.44.0): string[] attributes naming where the logs go
        "aws.log.group.names": ("/aws/lambda/orders-api",),
        "aws.log.stream.names": ("2026/11/25/[7]0123456789abcdef0123456789abcdef",),
    }


def test_outside_lambda_only_the_constant_attributes_remain() -> None:
    assert attributes({}) == {
        **SDK,
        "cloud.provider": "aws",
        "cloud.platform": "aws_lambda",
        "service.name": "unknown_service",
    }


def test_otel_service_name_wins_over_function_name_and_resource_attributes() -> None:
    env = {**LAMBDA_ENV, "OTEL_SERVICE_NAME": "orders", "OTEL_RESOURCE_ATTRIBUTES": "service.name=other"}
    assert attributes(env)["service.name"] == "orders"


def test_resource_attributes_are_url_decoded_and_override_detection() -> None:
    env = {**LAMBDA_ENV, "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,team=a%20b%2Cc,cloud.region=x"}
    found = attributes(env)
    assert (found["deployment.environment"], found["team"], found["cloud.region"]) == ("prod", "a b,c", "x")


def test_malformed_resource_attributes_are_skipped_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    env = {"OTEL_RESOURCE_ATTRIBUTES": "good=1,novalue,=empty,also=2"}
    with caplog.at_level(logging.WARNING):
        found = attributes(env)
    assert (found["good"], found["also"]) == ("1", "2")
    assert "novalue" not in found
    assert len(caplog.records) == 1
    assert "'novalue'" in caplog.text
    assert "'=empty'" in caplog.text


def test_memory_size_that_is_not_a_number_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    found = attributes({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"})
    assert "faas.max_memory" not in found
    assert "AWS_LAMBDA_FUNCTION_MEMORY_SIZE='lots'" in caplog.text


def test_the_lambda_resource_hashes_once_and_equals_a_plain_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []

    def counting_dumps(*args: Any, **kwargs: Any) -> str:
        calls.append(args)
        return json.dumps(*args, **kwargs)

    monkeypatch.setattr("opentelemetry.sdk.resources.dumps", counting_dumps)
    plain = Resource({"service.name": "orders-api", "faas.max_memory": 536870912})
    cached = LambdaResource.of(plain)
    assert type(cached) is LambdaResource
    assert cached == plain
    assert {hash(cached) for _ in range(3)} == {hash(plain)}
    assert len(calls) == 2  # one for the plain resource, one (ever) for the cached one
    assert get_lambda_resource(LAMBDA_ENV).__class__ is LambdaResource


def test_a_resource_subclass_of_the_users_is_kept_as_it_is() -> None:
    class Custom(Resource):
        pass

    custom = Custom({"service.name": "x"})
    assert LambdaResource.of(custom) is custom
