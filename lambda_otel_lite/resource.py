"""Lambda resource detection.

The resource is built from the variables Lambda sets in every execution environment, so detection
costs a few dictionary reads and no I/O. It deliberately bypasses ``Resource.create()``, whose
entry-point scan for resource detectors costs milliseconds of cold start.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import unquote

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.version import __version__ as _sdk_version

from lambda_otel_lite import _config

if TYPE_CHECKING:
    from collections.abc import Mapping

logger = logging.getLogger(__name__)

_MIB = 1024 * 1024


def parse_resource_attributes(value: str) -> dict[str, str]:
    """Parse ``OTEL_RESOURCE_ATTRIBUTES`` (``key=value,key2=value2``), URL-decoding each value.

    Items without ``=`` or with an empty key are skipped; one warning lists them all.
    """
    attributes: dict[str, str] = {}
    malformed: list[str] = []
    for item in value.split(","):
        if not item.strip():
            continue
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            malformed.append(item)
            continue
        attributes[unquote(key)] = unquote(raw.strip())
    if malformed:
        logger.warning(
            "Skipped malformed items in %s (expected key=value): %s",
            _config.RESOURCE_ATTRIBUTES.name,
            ", ".join(repr(m) for m in malformed),
        )
    return attributes


class LambdaResource(Resource):
    """A :class:`Resource` that computes its hash once.

    The OTLP encoder groups spans by resource and so hashes the resource once per span, and
    ``Resource.__hash__`` serialises every attribute to JSON each time: with the attributes of a
    Lambda environment that is about a tenth of the export cost at 100 spans. A resource is
    immutable (its attributes are frozen at construction), so its hash never changes.
    """

    _hash: int | None = None

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = super().__hash__()
        return self._hash

    @classmethod
    def of(cls, resource: Resource) -> Resource:
        """*resource* itself if it is a subclass of ours or of anyone's; else an equal LambdaResource."""
        if type(resource) is not Resource:
            return resource
        return cls(resource.attributes, resource.schema_url)


def get_lambda_resource(environ: Mapping[str, str] | None = None) -> Resource:
    """Detect the Lambda execution environment as an OpenTelemetry resource.

    Attributes: ``cloud.provider`` (``aws``), ``cloud.platform`` (``aws_lambda``), ``cloud.region``,
    ``faas.name``, ``faas.version``, ``faas.instance``, ``faas.max_memory`` (bytes),
    ``aws.log.group.names`` and ``aws.log.stream.names``,
    ``service.name`` and the ``telemetry.sdk.*`` attributes, then every item of
    ``OTEL_RESOURCE_ATTRIBUTES`` (which wins over detection), then ``OTEL_SERVICE_NAME`` (which
    wins over everything for ``service.name``). Attributes whose variable is unset are omitted.

    Env vars: ``AWS_REGION``, ``AWS_LAMBDA_FUNCTION_NAME``, ``AWS_LAMBDA_FUNCTION_VERSION``,
    ``AWS_LAMBDA_LOG_STREAM_NAME``, ``AWS_LAMBDA_LOG_GROUP_NAME``, ``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``,
    ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``.

    Example:
        >>> resource = get_lambda_resource({"AWS_LAMBDA_FUNCTION_NAME": "orders"})
        >>> resource.attributes["service.name"]
        'orders'
    """
    identity = _config.lambda_identity(environ)
    attributes: dict[str, str | int | tuple[str, ...]] = {
        "cloud.provider": "aws",
        "cloud.platform": "aws_lambda",
        "telemetry.sdk.language": "python",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.version": _sdk_version,
    }
    for key, value in (
        ("cloud.region", identity.region),
        ("faas.name", identity.function_name),
        ("faas.version", identity.function_version),
        ("faas.instance", identity.log_stream),
    ):
        if value:
            attributes[key] = value
    # The AWS logs conventions (model/aws/registry.yaml, v1.44.0): where this function's logs, and so
    # its exported spans, are written.
    if identity.log_group:
        attributes["aws.log.group.names"] = (identity.log_group,)
    if identity.log_stream:
        attributes["aws.log.stream.names"] = (identity.log_stream,)
    memory = identity.memory_size
    if memory:
        try:
            attributes["faas.max_memory"] = int(memory) * _MIB
        except ValueError:
            logger.warning("Ignoring %s=%r: not a whole number of MB", _config.MEMORY_SIZE.name, memory)
    attributes["service.name"] = identity.function_name or "unknown_service"
    attributes.update(parse_resource_attributes(identity.resource_attributes))
    if identity.service_name:
        attributes["service.name"] = identity.service_name
    return LambdaResource(attributes)
