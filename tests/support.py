"""Helpers shared by the tests: a realistic Lambda environment and stdout decoding."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_otel_lite.local.decode import DecodedSpan, decode_lines, is_telemetry_line

LAMBDA_ENV = {
    "AWS_REGION": "eu-west-1",
    "AWS_LAMBDA_FUNCTION_NAME": "orders-api",
    "AWS_LAMBDA_FUNCTION_VERSION": "7",
    "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/25/[7]0123456789abcdef0123456789abcdef",
    "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/orders-api",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
}
"""What Lambda sets in an execution environment, for tests that want a realistic resource."""

INVOCATION_CONTEXT_KEYS = (
    "faas.invocation_id",
    "cloud.account.id",
    "cloud.resource_id",
    "aws.lambda.invoked_arn",
    "faas.cold_start",
    "faas.coldstart",
)
"""The keys every invocation span gets from the Lambda context and the cold start, whatever its trigger."""


class RecordingStdout:
    """A stand-in for ``sys.stdout`` that keeps each ``write()`` apart (whole-line records)."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        return None


class StdoutTelemetry:
    """Reads what the exporter printed to (captured) stdout and decodes it with opentelemetry-proto."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self.other_lines: list[str] = []

    def lines(self) -> list[str]:
        """The telemetry lines printed since the last call; other output is kept in other_lines."""
        out = self._capsys.readouterr().out.splitlines()
        self.other_lines += [line for line in out if not is_telemetry_line(line)]
        return [line for line in out if is_telemetry_line(line)]

    def spans(self) -> list[DecodedSpan]:
        """The spans printed since the last call."""
        spans, errors = decode_lines(self.lines())
        assert errors == []
        return spans


def shape(span: DecodedSpan, spans: list[DecodedSpan] | None = None) -> dict[str, Any]:
    """A decoded span as one comparable structure; the parent is named when it is among *spans*."""
    parent: str | None = span.parent_span_id
    for candidate in spans or []:
        if candidate.span_id == span.parent_span_id:
            parent = "span:" + candidate.name
    return {
        "name": span.name,
        "kind": span.kind,
        "status": span.status,
        "status_message": span.status_message,
        "parent": parent,
        "attributes": span.attributes,
        "links": [(link.trace_id, link.span_id) for link in span.links],
        "events": [event.name for event in span.events],
    }


def decode_stdout(text: str) -> list[DecodedSpan]:
    """The spans in a captured stdout; any corrupt telemetry line fails the test."""
    spans, errors = decode_lines(text.splitlines())
    assert errors == []
    return spans
