"""lambda-otel-lite 0.15.0 from the package registry, as its README shows."""

from __future__ import annotations

from typing import Any

from workload import RESPONSE, children, make_children

from lambda_otel_lite import create_traced_handler, init_telemetry
from lambda_otel_lite.extractors import api_gateway_v2_extractor

tracer, completion_handler = init_telemetry()

traced = create_traced_handler(
    name="orders-api", completion_handler=completion_handler, attributes_extractor=api_gateway_v2_extractor
)


@traced
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    make_children(tracer, children(event))
    return RESPONSE
