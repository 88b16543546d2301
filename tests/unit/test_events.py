"""Event models: AWS sample events parse and round-trip; invalid events name field and value."""

from __future__ import annotations

import ast
import copy
import inspect
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel, to_pascal

import lambda_otel_lite.testing
from lambda_otel_lite.events import (
    ALBEvent,
    APIGatewayProxyEvent,
    APIGatewayProxyEventV2,
    Headers,
    LambdaFunctionUrlEvent,
    MultiValueHeaders,
    SQSEvent,
)

EVENTS = Path(lambda_otel_lite.testing.__file__).resolve().parent / "events"
SAMPLES: dict[str, type[BaseModel]] = {
    "apigateway-rest-v1.json": APIGatewayProxyEvent,
    "apigateway-http-v2.json": APIGatewayProxyEventV2,
    "function-url.json": LambdaFunctionUrlEvent,
    "alb.json": ALBEvent,
    "alb-multi-value.json": ALBEvent,
    "sqs.json": SQSEvent,
}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def test_every_sample_event_file_is_covered() -> None:
    assert sorted(path.name for path in EVENTS.glob("*.json")) == sorted(SAMPLES)


@pytest.mark.parametrize("name", SAMPLES)
def test_the_aws_sample_event_parses_and_round_trips_with_nothing_lost(name: str) -> None:
    raw = load(name)
    model = SAMPLES[name].model_validate(raw)
    assert model.model_dump(by_alias=True, exclude_unset=True) == raw


@pytest.mark.parametrize("name", SAMPLES)
def test_snake_case_names_populate_the_model_too(name: str) -> None:
    model = SAMPLES[name].model_validate(load(name))
    rebuilt = SAMPLES[name].model_validate(model.model_dump(exclude_unset=True))
    assert rebuilt == model


INVALID = [
    ("apigateway-rest-v1.json", ["httpMethod"], 42, "httpMethod", "Input should be a valid string"),
    (
        "apigateway-rest-v1.json",
        ["requestContext", "requestTimeEpoch"],
        "later",
        "requestContext.requestTimeEpoch",
        "Input should be a valid integer",
    ),
    (
        "apigateway-http-v2.json",
        ["requestContext", "http", "method"],
        None,
        "requestContext.http.method",
        "Input should be a valid string",
    ),
    ("apigateway-http-v2.json", ["headers"], ["not", "a", "dict"], "headers", "Input should be a valid dictionary"),
    ("function-url.json", ["rawPath"], 7, "rawPath", "Input should be a valid string"),
    (
        "alb.json",
        ["requestContext", "elb", "targetGroupArn"],
        {},
        "requestContext.elb.targetGroupArn",
        "Input should be a valid string",
    ),
    ("sqs.json", ["Records", 0, "messageId"], 123, "Records[0].messageId", "Input should be a valid string"),
    ("sqs.json", ["Records", 1, "body"], False, "Records[1].body", "Input should be a valid string"),
]


@pytest.mark.parametrize(("name", "path", "value", "field", "reason"), INVALID)
def test_an_invalid_field_is_named_with_its_value(
    name: str, path: list[Any], value: Any, field: str, reason: str
) -> None:
    from lambda_otel_lite.handler import _validate

    raw = copy.deepcopy(load(name))
    target: Any = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    parsed, error = _validate(SAMPLES[name], raw)
    assert parsed is raw
    assert error is not None
    assert [(path, got) for path, got, _ in error.errors] == [(field, value)]
    assert error.errors[0][2].startswith(reason)
    assert f"{field}: {reason}" in str(error)
    assert str(error).startswith(f"event does not match {SAMPLES[name].__name__}: ")
    assert isinstance(error.__cause__, ValidationError)


def test_headers_are_read_ignoring_case_and_kept_as_received() -> None:
    event = APIGatewayProxyEvent.model_validate(load("apigateway-rest-v1.json"))
    assert event.headers is not None
    name = next(iter(event.headers))
    value = event.headers[name]
    assert event.headers[name.upper()] == event.headers.get(name.lower()) == value
    assert name.swapcase() in event.headers
    assert event.headers.get("no-such-header", "default") == "default"
    assert isinstance(event.headers, Headers)
    assert isinstance(event.multi_value_headers, MultiValueHeaders)
    with pytest.raises(KeyError):
        event.headers["no-such-header"]


def test_sqs_records_expose_their_queue_name() -> None:
    event = SQSEvent.model_validate(load("sqs.json"))
    assert {record.queue_name for record in event.records} == {event.records[0].event_source_arn.split(":")[-1]}


def _documented_fields(model: type) -> set[str]:
    """The fields of *model*'s own class body that have an attribute docstring (read from the source)."""
    tree = ast.parse(Path(inspect.getfile(model)).read_text())
    documented: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == model.__name__:
            for statement, following in itertools.pairwise(node.body):
                if (
                    isinstance(statement, ast.AnnAssign)
                    and isinstance(statement.target, ast.Name)
                    and isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)
                    and following.value.value.strip()
                ):
                    documented.add(statement.target.id)
    return documented


def test_every_field_is_documented() -> None:
    from lambda_otel_lite.events import _base

    undocumented = []
    for model in _all_models(_base.EventModel):
        documented = set().union(
            *(_documented_fields(cls) for cls in model.__mro__ if issubclass(cls, _base.EventModel))
        )
        undocumented += [f"{model.__name__}.{name}" for name in model.model_fields if name not in documented]
    assert undocumented == []


def _all_models(base: type[BaseModel]) -> list[type[BaseModel]]:
    import lambda_otel_lite.events as events

    for name in events.__all__:
        getattr(events, name)
    found: list[type[BaseModel]] = []
    pending = [base]
    while pending:
        for child in pending.pop().__subclasses__():
            found.append(child)
            pending.append(child)
    return found


snake_case_names = st.from_regex(r"[a-z]{1,8}[0-9]{0,2}(_[a-z]{1,8}[0-9]{0,2}){0,4}", fullmatch=True)


@given(st.one_of(snake_case_names, st.text(alphabet="ab_Z09\u00e9", max_size=12)))
@example("is_base64_encoded")
@example("md5_of_body")
@example("base64encoded")
@example("already_camelCase")
@example("_private")
def test_the_alias_generators_spell_names_as_pydantics_do(name: str) -> None:
    from lambda_otel_lite.events._base import camel_case, pascal_case

    assert (camel_case(name), pascal_case(name)) == (to_camel(name), to_pascal(name))


def test_every_generated_alias_is_the_one_pydantics_generator_gives() -> None:
    from lambda_otel_lite.events import _base

    pydantic_generator = {_base.camel_case: to_camel, _base.pascal_case: to_pascal}
    for model in _all_models(_base.EventModel):
        generator = pydantic_generator[model.model_config["alias_generator"]]  # type: ignore[index]
        for name, field in model.model_fields.items():
            if field.alias_priority == 1:  # generated, not given with Field(alias=...)
                assert field.alias == field.serialization_alias == generator(name), f"{model.__name__}.{name}"


def test_the_http_api_models_are_still_importable_from_the_apigateway_module() -> None:
    from lambda_otel_lite.events import RequestContextHttp, RequestContextV2, apigateway

    assert apigateway.APIGatewayProxyEventV2 is APIGatewayProxyEventV2
    assert (apigateway.RequestContextHttp, apigateway.RequestContextV2) == (RequestContextHttp, RequestContextV2)
    assert APIGatewayProxyEventV2.source_key == "apigateway-v2"
    with pytest.raises(AttributeError, match="no attribute 'APIGatewayProxyEventV3'"):
        apigateway.APIGatewayProxyEventV3  # noqa: B018


@pytest.mark.parametrize(
    ("model", "module", "others"),
    [
        ("APIGatewayProxyEventV2", "_http", ["apigateway", "sqs", "alb", "function_url"]),
        ("APIGatewayProxyEvent", "apigateway", ["_http", "sqs", "alb", "function_url"]),
        ("SQSEvent", "sqs", ["apigateway", "alb", "function_url", "_http"]),
        ("ALBEvent", "alb", ["apigateway", "sqs", "function_url", "_http"]),
        ("LambdaFunctionUrlEvent", "function_url", ["apigateway", "sqs", "alb"]),
    ],
)
def test_importing_one_model_does_not_import_the_others_modules(model: str, module: str, others: list[str]) -> None:
    code = (
        f"import sys; from lambda_otel_lite.events import {model}; "
        "print(' '.join(m for m in sys.modules if m.startswith('lambda_otel_lite.events.')))"
    )
    loaded = set(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    )
    assert f"lambda_otel_lite.events.{module}" in loaded
    assert sorted(loaded & {f"lambda_otel_lite.events.{other}" for other in others}) == []
