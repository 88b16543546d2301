"""What every event source shares: the :class:`EventSource` interface and the readers of raw events.

Every source reads the *raw* event (the JSON dict Lambda delivers). A typed handler's model only
selects the source up front; the attribute logic is the same code for both faces, and it never
depends on pydantic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from opentelemetry.trace import Link, SpanKind

if TYPE_CHECKING:
    from opentelemetry.util.types import AttributeValue

    from lambda_otel_lite.semconv import AttributeNames

Attributes = dict[str, "AttributeValue"]


def header(headers: object, name: str) -> str | None:
    """Read header *name* (lower case) from a header mapping, ignoring the case of its keys.

    Multi-value headers (a list of values) give their first value; anything that is not a mapping
    or not a string gives None.
    """
    if not isinstance(headers, Mapping):
        return None
    value: object = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if isinstance(key, str) and key.lower() == name:
                value = candidate
                break
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


class EventSource:
    """How one kind of event maps onto the invocation span. Stateless; one instance per kind."""

    __slots__ = ()

    key: ClassVar[str] = "other"
    """A short name for the source, used in logs and tests."""
    trigger: ClassVar[str] = "other"
    """The ``faas.trigger`` value."""
    kind: ClassVar[SpanKind] = SpanKind.SERVER
    """The span kind the decorator uses when none is given."""

    def carrier(self, event: Any) -> object:
        """What to extract a parent context from: the event's ``headers``, whatever they are.

        A value that is not a mapping is reported (once) by the extraction, not silently ignored;
        ``None`` means the event has no headers.
        """
        return event.get("headers") if isinstance(event, Mapping) else None

    def describe(self, event: Any, names: AttributeNames, attributes: Attributes) -> str | None:
        """Add this source's attributes to *attributes*; return the span name it suggests, if any."""
        return None

    def links(self, event: Any) -> list[Link]:
        """Span links the event carries (one per traced message of a batch)."""
        return []
