"""Lambda Function URL events (the HTTP API payload v2 shape, on the ``$default`` route)."""

from __future__ import annotations

from typing import ClassVar

from lambda_otel_lite.events._http import PayloadV2Event

__all__ = ["LambdaFunctionUrlEvent"]


class LambdaFunctionUrlEvent(PayloadV2Event):
    """A request to a Lambda Function URL."""

    source_key: ClassVar[str] = "function-url"
