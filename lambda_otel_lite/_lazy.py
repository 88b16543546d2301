"""Names a module re-exports from another, imported at their first use (PEP 562).

A handler typed with one event model imports that model's module only; ``import lambda_otel_lite``
imports no pydantic. A loaded name is stored in the re-exporting module, so its ``__getattr__``
runs once per name.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


def lazy_getattr(module: str, sources: Mapping[str, str]) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` for *module*: each name of *sources* from the module it names.

    Example:
        >>> getattr_ = lazy_getattr("lambda_otel_lite.events", {"SQSEvent": "lambda_otel_lite.events.sqs"})
        >>> getattr_("SQSEvent").__name__
        'SQSEvent'
        >>> getattr_("Missing")
        Traceback (most recent call last):
        ...
        AttributeError: module 'lambda_otel_lite.events' has no attribute 'Missing'
    """

    def __getattr__(name: str) -> Any:
        source = sources.get(name)
        if source is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        setattr(sys.modules[module], name, value)
        return value

    return __getattr__
