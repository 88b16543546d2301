"""No tracing at all: the floor of everything."""

from __future__ import annotations

from typing import Any

from workload import RESPONSE, children


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    children(event)
    return RESPONSE
