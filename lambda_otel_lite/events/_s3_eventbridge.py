"""The detail of an Amazon S3 event delivered through EventBridge: ``EventBridgeEvent[S3EventBridgeDetail]``.

Defined apart from the S3 notification models of :mod:`lambda_otel_lite.events.s3` (which
re-exports them): a handler typed with one of the two shapes then builds its own classes only.
S3 spells these keys in kebab-case (``version-id``, ``source-ip-address``).
"""

from __future__ import annotations

from pydantic import Field

from lambda_otel_lite.events._base import EventModel

__all__ = ["S3EventBridgeBucket", "S3EventBridgeDetail", "S3EventBridgeObject"]


class S3EventBridgeBucket(EventModel):
    """``detail.bucket``: the bucket."""

    name: str
    """The bucket's name."""


class S3EventBridgeObject(EventModel):
    """``detail.object``: the object."""

    key: str
    """The object key."""
    size: int | None = None
    """The object's size in bytes (absent for deletions)."""
    etag: str | None = None
    """The object's ETag."""
    version_id: str | None = Field(default=None, alias="version-id")
    """The object's version, in a bucket with versioning."""
    sequencer: str | None = None
    """A hexadecimal string that orders the events of one key (a greater value is a later event)."""


class S3EventBridgeDetail(EventModel):
    """``detail`` of an S3 event through EventBridge (``Object Created``, ``Object Deleted``, ...)."""

    version: str
    """The detail format version, ``0``."""
    bucket: S3EventBridgeBucket
    """The bucket."""
    object: S3EventBridgeObject
    """The object."""
    request_id: str | None = Field(default=None, alias="request-id")
    """S3's id for the request."""
    requester: str | None = None
    """The account or AWS service principal that made the request."""
    source_ip_address: str | None = Field(default=None, alias="source-ip-address")
    """The IP address the request came from."""
    reason: str | None = None
    """The API that caused the event, e.g. ``PutObject`` or ``CompleteMultipartUpload``."""
