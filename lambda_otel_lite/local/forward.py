"""``lambda-otel-lite forward``: post the records of otlp-stdout lines to an OTLP/HTTP traces endpoint.

What the forwarder does in production, for a local run or a log copied from CloudWatch Logs: each
record's payload goes, as it is (still gzip-compressed), to the endpoint with the record's method,
``content-type``, ``content-encoding`` and ``headers``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lambda_otel_lite.local.decode import TelemetryDecodeError, record_of_line

TRACES_ENDPOINT = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
TIMEOUT_SECONDS = 10.0


def endpoint_from(environ: Mapping[str, str]) -> str | None:
    """The traces URL: ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, else ``OTEL_EXPORTER_OTLP_ENDPOINT`` + ``/v1/traces``."""
    traces = environ.get(TRACES_ENDPOINT, "").strip()
    if traces:
        return traces
    base = environ.get(ENDPOINT, "").strip()
    return base.rstrip("/") + "/v1/traces" if base else None


@dataclass
class ForwardReport:
    """What one forward did: records posted, and ``(line number, problem)`` for each line that failed."""

    sent: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list[tuple[int, str]])


def forward_lines(lines: Iterable[str], endpoint: str, *, timeout: float = TIMEOUT_SECONDS) -> ForwardReport:
    """POST the record of every telemetry line of *lines* to *endpoint*; other lines are skipped."""
    report = ForwardReport()
    for number, line in enumerate(lines, start=1):
        try:
            found = record_of_line(line)
        except TelemetryDecodeError as exc:
            report.errors.append((number, str(exc)))
            continue
        if found is None:
            continue
        record, payload = found
        problem = _post(endpoint, record, payload, timeout)
        if problem is None:
            report.sent += 1
        else:
            report.errors.append((number, problem))
    return report


def _post(endpoint: str, record: Mapping[str, object], payload: bytes, timeout: float) -> str | None:
    headers = {str(key): str(value) for key, value in _mapping(record.get("headers")).items()}
    headers["Content-Type"] = str(record.get("content-type") or "application/x-protobuf")
    if record.get("content-encoding"):
        headers["Content-Encoding"] = str(record["content-encoding"])
    method = str(record.get("method") or "POST")
    request = urllib.request.Request(endpoint, data=payload, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read()[:300].decode(errors="replace")
        finally:
            exc.close()
        return f"{endpoint} answered {exc.code} {exc.reason}: {body}".rstrip(": ")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"cannot post to {endpoint}: {reason}"
    return None


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}
