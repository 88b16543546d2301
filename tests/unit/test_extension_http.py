"""The Extensions API client's HTTP/1.1 response parsing (the client avoids http.client's import cost)."""

from __future__ import annotations

import io
import re

import pytest

from lambda_otel_lite._extension_client import _read_response


def parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    return _read_response(io.BytesIO(raw))


def test_a_response_with_content_length_gives_status_lowercased_headers_and_exactly_the_body() -> None:
    raw = b"HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: abc\r\nContent-Length: 2\r\n\r\n{}trailing"
    assert parse(raw) == (200, {"lambda-extension-identifier": "abc", "content-length": "2"}, b"{}")


def test_a_chunked_response_is_reassembled() -> None:
    raw = b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3;ext=1\r\n: 1\r\n1\r\n}\r\n0\r\n\r\n'
    assert parse(raw)[2] == b'{"a": 1}'


def test_a_response_without_length_reads_to_the_end_of_the_connection() -> None:
    assert parse(b'HTTP/1.0 403 Forbidden\r\n\r\n{"errorType": "x"}') == (403, {}, b'{"errorType": "x"}')


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "not an HTTP response: b''"),
        (b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP response: b'SSH-2.0-OpenSSH\\r\\n'"),
        (b"HTTP/1.1 OK\r\n\r\n", "not an HTTP response"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line: b'no colon here\\r\\n'"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", "the connection closed after 2 of 10 body bytes"),
    ],
)
def test_a_malformed_response_raises_value_error_naming_what_was_wrong(raw: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse(raw)
