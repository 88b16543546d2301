"""Amazon S3 event notifications: the objects created, removed or restored in a bucket.

The notification S3 sends to a function (or, as the body of a message, to an SQS queue: see
:meth:`lambda_otel_lite.events.SQSRecord.s3_event`). S3 events delivered through EventBridge have
another shape: ``EventBridgeEvent[S3EventBridgeDetail]``. The EventBridge detail models are defined
in a module of their own and re-exported here on first access, so a handler typed with one shape
builds the classes of that shape only.

Example:
    >>> from lambda_otel_lite.events import S3Event
    >>> event = S3Event.model_validate(raw_event)  # doctest: +SKIP
    >>> event.records[0].s3.object.key  # doctest: +SKIP
    'b21b84d653bb07b05b1e6b33684dc11b'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from lambda_otel_lite._lazy import lazy_getattr
from lambda_otel_lite.events._base import EventModel

if TYPE_CHECKING:
    from lambda_otel_lite.events._s3_eventbridge import S3EventBridgeBucket, S3EventBridgeDetail, S3EventBridgeObject

__all__ = [
    "S3Bucket",
    "S3Entity",
    "S3Event",
    "S3EventBridgeBucket",
    "S3EventBridgeDetail",
    "S3EventBridgeObject",
    "S3EventRecord",
    "S3Object",
    "S3RequestParameters",
    "S3ResponseElements",
    "S3UserIdentity",
]


class S3UserIdentity(EventModel):
    """An AWS principal (``userIdentity``, and a bucket's ``ownerIdentity``)."""

    principal_id: str
    """The principal's id, e.g. ``AWS:AIDAINPONIXQXHT3IKHL2``."""


class S3RequestParameters(EventModel):
    """``requestParameters``: where the request came from."""

    source_ip_address: str = Field(alias="sourceIPAddress")
    """The IP address the request came from."""


class S3ResponseElements(EventModel):
    """``responseElements``: S3's ids for the request, for AWS Support."""

    x_amz_request_id: str | None = Field(default=None, alias="x-amz-request-id")
    """S3's id for the request."""
    x_amz_id_2: str | None = Field(default=None, alias="x-amz-id-2")
    """The id of the S3 host that handled the request."""


class S3Bucket(EventModel):
    """``s3.bucket``: the bucket."""

    name: str
    """The bucket's name."""
    owner_identity: S3UserIdentity | None = None
    """The bucket owner."""
    arn: str
    """The bucket's ARN, as ``arn:aws:s3:::<name>``."""


class S3Object(EventModel):
    """``s3.object``: the object."""

    key: str
    """The object key, URL-encoded as S3 sends it (a space is ``+``); see :attr:`decoded_key`."""
    size: int | None = None
    """The object's size in bytes (absent for removals)."""
    e_tag: str | None = None
    """The object's ETag."""
    version_id: str | None = None
    """The object's version, in a bucket with versioning."""
    sequencer: str | None = None
    """A hexadecimal string that orders the events of one key (a greater value is a later event)."""

    @property
    def decoded_key(self) -> str:
        """The object key, URL-decoded (``my+photo%281%29.jpg`` → ``my photo(1).jpg``)."""
        from urllib.parse import unquote_plus

        return unquote_plus(self.key)


class S3Entity(EventModel):
    """``s3``: the bucket, the object and the notification configuration that matched."""

    s3_schema_version: str
    """The format version of this object, ``1.0``."""
    configuration_id: str
    """The id of the bucket's notification configuration that sent the event."""
    bucket: S3Bucket
    """The bucket."""
    object: S3Object
    """The object."""


class S3EventRecord(EventModel):
    """One event of an S3 notification."""

    event_version: str
    """The notification format version, e.g. ``2.1``."""
    event_source: str
    """``aws:s3``."""
    aws_region: str
    """The bucket's region."""
    event_time: str
    """When S3 finished processing the request, ISO 8601 in UTC."""
    event_name: str
    """The event type without its ``s3:`` prefix, e.g. ``ObjectCreated:Put``."""
    user_identity: S3UserIdentity
    """Who made the request."""
    request_parameters: S3RequestParameters
    """Where the request came from."""
    response_elements: S3ResponseElements
    """S3's ids for the request."""
    s3: S3Entity
    """The bucket and the object."""
    glacier_event_data: dict[str, Any] | None = None
    """For ``ObjectRestore:Completed`` events: the restored copy's expiry and storage class."""


class S3Event(EventModel):
    """An S3 event notification delivered to a function."""

    source_key: ClassVar[str] = "s3"

    records: list[S3EventRecord] = Field(alias="Records")
    """The events (usually one)."""


_EVENTBRIDGE = ("S3EventBridgeBucket", "S3EventBridgeDetail", "S3EventBridgeObject")
__getattr__ = lazy_getattr(__name__, dict.fromkeys(_EVENTBRIDGE, f"{__package__}._s3_eventbridge"))
