"""The opt-in init span (``LAMBDA_OTEL_LITE_INIT_SPAN``): the init phase the first caller waited for.

It starts when the function's process started, read from ``/proc`` (``starttime`` of
``/proc/self/stat``, in clock ticks since boot, set against ``CLOCK_BOOTTIME``: 10 ms steps on
Linux), because what a cold start costs begins there: the interpreter, the runtime client, and every
import of the handler's module, those before lambda-otel-lite's included. Where ``/proc`` is not
there (a laptop), it starts when lambda-otel-lite was imported, and says so in
``lambda_otel_lite.init.start``. It ends when the first invocation starts: the end of the init phase
is the runtime's first ``/next``, which lambda-otel-lite cannot see; the invocation starts as soon
as that call returns with the waiting event.

It is a child of the first invocation's span: in its trace, exported with it, before it in time.
"""

from __future__ import annotations

import os
import time

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from lambda_otel_lite import _config

NAME = "lambda.init"
START_ATTRIBUTE = "lambda_otel_lite.init.start"


def process_start_ns() -> tuple[int, str]:
    """When this process started (epoch ns) and where that was read: ``process``, or ``import`` (fallback)."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rpartition(b")")[2].split()  # the command name may hold spaces
        started_ticks = int(fields[19])  # field 22, starttime; fields[0] is field 3
        now_ns, since_boot = time.time_ns(), time.clock_gettime(time.CLOCK_BOOTTIME)
        age_s = since_boot - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return _config.IMPORTED_NS, "import"
    return now_ns - int(age_s * 1e9), "process"


def record(tracer: trace.Tracer, invocation_span: trace.Span, invocation_start_ns: int) -> None:
    """Add the init span, ended, as a child of *invocation_span* (started at *invocation_start_ns*)."""
    start_ns, source = process_start_ns()
    span = tracer.start_span(
        NAME,
        context=trace.set_span_in_context(invocation_span),
        kind=SpanKind.INTERNAL,
        attributes={START_ATTRIBUTE: source},
        start_time=min(start_ns, invocation_start_ns),
    )
    span.end(invocation_start_ns)
