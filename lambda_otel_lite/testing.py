"""Helpers for testing Lambda handlers instrumented with lambda-otel-lite.

Example:
    >>> from lambda_otel_lite.testing import LambdaContext
    >>> context = LambdaContext(function_name="orders")
    >>> context.invoked_function_arn
    'arn:aws:lambda:us-east-1:123456789012:function:orders'
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field


@dataclass
class LambdaContext:
    """A stand-in for the context object Lambda passes to a handler, with realistic defaults."""

    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    region: str = "us-east-1"
    account_id: str = "123456789012"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef"
    invoked_function_arn: str = ""
    timeout_millis: int = 3000
    _deadline_ms: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            self.invoked_function_arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"
        if not self.log_group_name:
            self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline_ms = int(time.time() * 1000) + self.timeout_millis

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the simulated function timeout."""
        return max(self._deadline_ms - int(time.time() * 1000), 0)
