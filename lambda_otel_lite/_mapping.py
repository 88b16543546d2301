"""The one lookup of a key that ignores case, for headers, trace carriers and typed header dicts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


def find_key(mapping: Mapping[Any, Any], key: str) -> object | None:
    """The key of *mapping* equal to *key* ignoring case (*key* itself when present as given), or None.

    HTTP header names and most trace carrier fields are case-insensitive; events carry them as the
    client sent them (``Traceparent``, ``X-Forwarded-Proto``), lower-cased (HTTP API v2) or mixed.
    """
    keys = mapping.keys()  # the mapping's own keys, whatever its __contains__ does (a case-insensitive dict)
    if key in keys:
        return key
    lowered = key.lower()
    for name in keys:
        if isinstance(name, str) and name.lower() == lowered:
            return name
    return None
