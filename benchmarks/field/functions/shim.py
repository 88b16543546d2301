"""The entry point of every benchmark function: imports the subject named by BENCH_SUBJECT, calls
its handler, and reports the handler's own time, the return stamp and the peak RSS in the response.

CLOCK_MONOTONIC is one clock for every process of the machine, so the local runtime can compare
``returned_ns`` with the arrival of the response POST.
"""

from __future__ import annotations

import importlib
import os
import time
from typing import Any

_IMPORTED_NS = time.monotonic_ns()  # awslambdaric is up: what follows is the subject's import, init and first call
_subject = importlib.import_module(os.environ["BENCH_SUBJECT"])


def _peak_rss_kb() -> int:
    """This process's peak resident set (VmHWM). Not ru_maxrss: Linux carries that over exec from
    the forking parent, so every function would report the benchmark runner's own peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.perf_counter_ns()
    response = _subject.handler(event, context)
    elapsed = time.perf_counter_ns() - started
    return {
        "response": response,
        "handler_ns": elapsed,
        "maxrss_kb": _peak_rss_kb(),
        "returned_ns": time.monotonic_ns(),
        "shim_imported_ns": _IMPORTED_NS,
    }
