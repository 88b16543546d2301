"""The floor of any pydantic-typed handler: the untyped decorator, plus one pydantic model of one field.

Importing pydantic, creating a model class and building its validator (pydantic's plugin lookup
included) is what every handler that validates its event with pydantic pays, whichever models it
uses. ``ours @instrumented typed`` minus this subject is what our event models themselves cost.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from pydantic import BaseModel
from workload import RESPONSE, children, make_children

from lambda_otel_lite import instrumented


class Version(BaseModel):
    version: str


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    Version.model_validate(event)
    make_children(tracer, children(event))
    return RESPONSE


tracer = trace.get_tracer("orders-api")  # after the decorator ran init_telemetry()
