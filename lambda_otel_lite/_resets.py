"""The one registry of the library's resets: each stateful module registers its own.

A module that keeps process-wide state (a registry, a cache, an installed hook, a thread) registers
a function that puts that state back as a fresh import has it. :func:`reset_all`, which
``lambda_otel_lite.testing.reset()`` calls, runs them all, the last registered first: a module
registers when it is imported, after the modules it imports, so the higher layers (the active
provider's shutdown) let go before the lower ones (the watchdog, the open spans) are cleared.

This module imports nothing of the package: every other module may register here.

Example (a module's own registration, at its import)::

    _CACHE: dict[str, bytes] = {}
    _resets.register(_CACHE.clear)
"""

from __future__ import annotations

from collections.abc import Callable

_RESETS: list[Callable[[], object]] = []


def register[F: Callable[[], object]](reset: F) -> F:
    """Run *reset* on every :func:`reset_all`; returns it, so it also serves as a decorator."""
    if reset not in _RESETS:
        _RESETS.append(reset)
    return reset


def reset_all() -> None:
    """Run every registered reset, the last registered first. Tests only (``testing.reset()``)."""
    for reset in reversed(list(_RESETS)):
        reset()
