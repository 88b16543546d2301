"""Fuzzed logs into the decoder: each corrupt telemetry line is reported with its number, every good
line still decodes, and nothing else escapes."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from lambda_otel_lite.local.decode import decode_line, decode_lines

RECORD: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "examples" / "snippets" / "log-line.json").read_text()
)
GOOD = json.dumps(RECORD)
GOOD_SPANS = len(decode_line(GOOD) or [])


def with_payload(payload: str) -> str:
    return json.dumps({**RECORD, "payload": payload})


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


raw_payload = base64.b64decode(RECORD["payload"])
corrupt = st.one_of(
    st.integers(1, len(RECORD["payload"]) - 1).map(lambda cut: with_payload(RECORD["payload"][:cut])),  # truncated
    st.text(min_size=1, max_size=40).map(lambda text: with_payload("!" + text)),  # not base64
    st.binary(min_size=1, max_size=60).map(lambda data: with_payload(b64(b"\x00" + data))),  # not gzip
    st.binary(min_size=1, max_size=60).map(lambda data: with_payload(b64(gzip.compress(b"\xff\xff\xff" + data)))),
    st.integers(1, len(GOOD) - 1).map(
        lambda cut: GOOD[:cut] if "__otel_otlp_stdout" in GOOD[:cut] else GOOD[:cut] + ' "__otel_otlp_stdout"'
    ),
    st.just(with_payload(b64(raw_payload[: len(raw_payload) // 2]))),  # gzip stream cut in half
)
noise = st.text(max_size=80).filter(
    lambda line: "__otel_otlp_stdout" not in line and "\n" not in line and "\r" not in line
)
prefix = st.sampled_from(["", "2026-11-25T10:00:00.000Z\t", "2026-11-25T10:00:00.000Z 8f4e7c1a-request-id\t"])


@given(
    lines=st.lists(
        st.one_of(
            st.tuples(st.just("good"), prefix.map(lambda p: p + GOOD)),
            st.tuples(st.just("bad"), corrupt),
            st.tuples(st.just("noise"), noise),
        ),
        max_size=12,
    )
)
def test_every_bad_line_is_reported_by_number_and_every_good_line_decodes(lines: list[tuple[str, str]]) -> None:
    spans, errors = decode_lines(line for _, line in lines)
    bad_numbers = [number for number, (kind, _) in enumerate(lines, start=1) if kind == "bad"]
    assert [number for number, _ in errors] == bad_numbers
    assert all(message for _, message in errors)
    assert len(spans) == GOOD_SPANS * sum(kind == "good" for kind, _ in lines)
