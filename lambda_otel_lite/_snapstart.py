"""SnapStart: unique trace and span IDs in every environment restored from one snapshot, and no span in the snapshot.

With ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`` Lambda runs the init phase once, when a version
is published, snapshots the environment (memory included) and resumes every new environment from
that snapshot. Two things of ours would then be shared by every restored copy:

- the state of the pseudo-random generator that draws trace and span IDs: the SDK's
  ``RandomIdGenerator`` uses the ``random`` module, so every copy would draw the same IDs. The
  providers of ``init_telemetry`` use :class:`IdGenerator` instead, with a ``random.Random`` of
  their own, reseeded from the OS after every restore (the global ``random`` of the function is
  left alone);
- spans ended during init and still queued: every copy would export them again. They are flushed
  before the snapshot.

The hooks are registered through ``snapshot_restore_py``, the library whose hooks ``awslambdaric``
runs (before-snapshot hooks before ``/runtime/restore/next``, after-restore hooks once it returns).
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING

from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import INVALID_SPAN_ID, INVALID_TRACE_ID

from lambda_otel_lite import _resets
from lambda_otel_lite._log import InternalErrors, OnceLogger

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)
_BEFORE_SNAPSHOT = InternalErrors(
    _once, "before-snapshot", "SnapStart: flushing the spans of the init phase before the snapshot failed"
)


class IdGenerator(RandomIdGenerator):
    """``RandomIdGenerator`` drawing from a ``random.Random`` of its own (seeded from the OS); ``reseed`` renews it."""

    def __init__(self) -> None:
        self._random = random.Random()  # IDs need uniqueness (as the SDK's do), not secrecy
        self._bits = self._random.getrandbits

    def reseed(self) -> None:
        """Seed again from the OS: an environment restored from a snapshot draws IDs of its own."""
        self._random.seed()

    def generate_span_id(self) -> int:
        span_id = self._bits(64)
        while span_id == INVALID_SPAN_ID:
            span_id = self._bits(64)
        return span_id

    def generate_trace_id(self) -> int:
        trace_id = self._bits(128)
        while trace_id == INVALID_TRACE_ID:
            trace_id = self._bits(128)
        return trace_id


ID_GENERATOR = IdGenerator()
"""The generator of every provider ``init_telemetry`` builds: one state to reseed after a restore."""
_resets.register(ID_GENERATOR.reseed)  # a fresh process draws from a fresh seed


def register_hooks(provider_flush: Callable[[], object]) -> bool:
    """Register the before-snapshot flush and the after-restore reseed, once each; False without the library."""
    try:
        import snapshot_restore_py as hooks
    except ImportError:
        _once.warning(
            "snapshot-restore-py",
            "SnapStart: snapshot_restore_py is not installed (it comes with the Lambda Python runtime and with "
            "awslambdaric), so trace and span IDs may repeat in environments restored from one snapshot",
        )
        return False
    if not any(registered[0] is _before_snapshot for registered in hooks.get_before_snapshot()):
        hooks.register_before_snapshot(_before_snapshot, provider_flush)
    if not any(registered[0] == ID_GENERATOR.reseed for registered in hooks.get_after_restore()):
        hooks.register_after_restore(ID_GENERATOR.reseed)
    return True


def _before_snapshot(flush: Callable[[], object]) -> None:
    """Export what init queued, so that no restored copy exports it again."""
    with _BEFORE_SNAPSHOT:
        flush()
