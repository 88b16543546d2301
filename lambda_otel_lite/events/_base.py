"""What every event model shares: configuration, and headers that ignore case."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic_core import core_schema

from lambda_otel_lite._mapping import find_key


def _plain(part: str) -> bool:
    """Whether *part* is lowercase ASCII letters then digits (``request``, ``base64``)."""
    letters = part.rstrip("0123456789")
    return letters.isascii() and letters.isalpha() and letters.islower()


def camel_case(name: str) -> str:
    """AWS's spelling of a field name: ``request_context`` → ``requestContext``.

    The same as pydantic's ``to_camel`` (a test pins it), without its regular expressions for the
    plain snake_case names of our models: every field of every model class goes through this when
    the class is created, and ``to_camel`` runs up to four regular expressions (compiled at its
    first call) for each.
    """
    parts = name.split("_")
    if not all(map(_plain, parts)):
        from pydantic.alias_generators import to_camel

        return to_camel(name)
    return parts[0] + "".join(part.capitalize() for part in parts[1:])


def pascal_case(name: str) -> str:
    """``sent_timestamp`` → ``SentTimestamp``; the same as pydantic's ``to_pascal`` (a test pins it)."""
    parts = name.split("_")
    if not all(map(_plain, parts)):
        from pydantic.alias_generators import to_pascal

        return to_pascal(name)
    return "".join(part.capitalize() for part in parts)


class EventModel(BaseModel):
    """Base of the event models: snake_case fields read from (and written back to) AWS's keys.

    Unknown fields are kept (AWS adds fields over time; nothing is dropped), so
    ``model_dump(by_alias=True, exclude_unset=True)`` gives back the event as received.

    Cold start: validators are built for the models a handler uses, when ``@instrumented`` is
    applied (``defer_build``), not for every model a module defines; field docstrings document
    the source and are not parsed at import (``use_attribute_docstrings`` reads the source file of
    every class, a quarter of the import time). What remains is mostly pydantic's own import
    (``pydantic_core``, ``pydantic.main``, ``pydantic.fields`` and, at the first validator,
    ``importlib.metadata`` for its plugin lookup): about nine tenths of what a typed handler adds.
    """

    model_config = ConfigDict(
        alias_generator=camel_case,
        populate_by_name=True,
        extra="allow",
        frozen=False,
        defer_build=True,
    )

    source_key: ClassVar[str] = "other"
    """The key of the event source whose attribute, name and carrier logic applies to this model."""


class _CaseInsensitiveDict[V](dict[str, V]):
    """A plain ``dict`` whose lookups ignore the case of its (string) keys; keys are kept as given."""

    _value_type: ClassVar[Any]

    def _find(self, key: object) -> str | None:
        name = find_key(self, key) if isinstance(key, str) else None
        return name if isinstance(name, str) else None

    def __getitem__(self, key: str) -> V:
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        name = self._find(key)
        if name is None:
            raise KeyError(key)
        return dict.__getitem__(self, name)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or self._find(key) is not None

    def get(self, key: str, default: Any = None) -> Any:
        name = key if dict.__contains__(self, key) else self._find(key)
        return default if name is None else dict.__getitem__(self, name)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls,
            handler(dict[str, cls._value_type]),  # type: ignore[name-defined]
            serialization=core_schema.plain_serializer_function_ser_schema(dict),
        )


class Headers(_CaseInsensitiveDict[str]):
    """HTTP headers: a plain ``dict`` whose lookups ignore the case of header names.

    ``headers["Content-Type"]``, ``headers.get("content-type")`` and ``"CONTENT-TYPE" in headers``
    all find the same header; iteration and serialisation keep the names as received.
    """

    _value_type = str


class MultiValueHeaders(_CaseInsensitiveDict[list[str]]):
    """Multi-value HTTP headers or query parameters (``{"Accept": ["a", "b"]}``), read ignoring case."""

    _value_type = list[str]
