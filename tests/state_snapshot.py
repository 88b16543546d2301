"""The module-level state of the package's imported modules, as comparable text.

Used by ``tests/functional/test_reset.py`` on both sides: in the test process after
``lambda_otel_lite.testing.reset()``, and in a fresh interpreter that only imports the same modules
(``python -m tests.state_snapshot MODULE...`` prints the snapshot as JSON).

What is compared, for each module-level name that is not a module, class, function or import-time
constant of a type that holds no state:

- a container (list, tuple, dict, set, deque, weak containers): its type and length;
- a simple value (None, bool, int, float, str, bytes, an enum member): its repr;
- an ``lru_cache`` function: how many entries it holds;
- a ``ContextVar``: its value in the calling context, described the same way;
- any other object (the library's state holders: ``STATE``, ``WATCHDOG``, ``_INSTALLED``...): each of
  its attributes (``__dict__`` and ``__slots__``), described the same way one level down (deeper
  objects by type name, ``None`` as ``None``; threads by whether they are alive; locks not at all).

Exclusions, each an import-time constant whose value differs between two processes:
:data:`EXCLUDED`.
"""

from __future__ import annotations

import collections
import contextvars
import enum
import functools
import importlib
import json
import logging
import re
import struct
import sys
import threading
import types
import weakref

EXCLUDED = {
    "lambda_otel_lite._config.IMPORTED_NS",  # the time of the import: differs in every process
    # opentelemetry's context key, a string with a uuid drawn at its import, kept under a name of ours
    "lambda_otel_lite._aws_calls._SUPPRESS_INSTRUMENTATION_KEY",
    "lambda_otel_lite.processor._SUPPRESS_INSTRUMENTATION_KEY",
}

_SIMPLE = (type(None), bool, int, float, str, bytes, enum.Enum)
_CONTAINERS = (
    list,
    tuple,
    dict,
    set,
    frozenset,
    collections.deque,
    weakref.WeakSet,
    weakref.WeakKeyDictionary,
    weakref.WeakValueDictionary,
)
_LOCKS = (type(threading.Lock()), type(threading.RLock()), threading.Condition, threading.Event)
_STATELESS = (
    types.ModuleType,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    functools.partial,
    logging.Logger,
    re.Pattern,
    struct.Struct,
)


def describe(value: object, depth: int = 0) -> object:
    """A comparable description of *value* (see the module docstring)."""
    if isinstance(value, _SIMPLE):
        return repr(value)
    if isinstance(value, _CONTAINERS):
        return f"{type(value).__name__}[{len(value)}]"
    cache_info = getattr(value, "cache_info", None)
    if callable(cache_info):
        return f"lru_cache[{cache_info().currsize}]"
    if isinstance(value, contextvars.ContextVar):
        return {"ContextVar": describe(value.get(None), depth + 1)}
    if isinstance(value, threading.Thread):
        return f"Thread(alive={value.is_alive()})"
    if isinstance(value, _LOCKS):
        return "lock"
    if depth > 0 or isinstance(value, _STATELESS):
        return type(value).__name__
    fields: dict[str, object] = {}
    names = list(getattr(value, "__dict__", {}))
    for klass in type(value).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names += [slots] if isinstance(slots, str) else list(slots)
    for name in sorted(set(names) - {"__weakref__", "__dict__"}):
        try:
            fields[name] = describe(getattr(value, name), depth + 1)
        except AttributeError:
            fields[name] = "<unset>"
    return {type(value).__name__: fields}


def _stateless_value(value: object) -> bool:
    return isinstance(value, _STATELESS) and getattr(value, "cache_info", None) is None


def snapshot(module_names: list[str]) -> dict[str, object]:
    """``{"module.NAME": description}`` for every module-level name of state in *module_names*."""
    found: dict[str, object] = {}
    for module_name in module_names:
        module = sys.modules[module_name]
        for name, value in vars(module).items():
            key = f"{module_name}.{name}"
            if name.startswith("__") or key in EXCLUDED or _stateless_value(value):
                continue
            if isinstance(value, types.ModuleType | type):
                continue
            found[key] = describe(value)
    return found


def main(module_names: list[str]) -> None:
    for name in module_names:
        importlib.import_module(name)
    json.dump(snapshot(module_names), sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
