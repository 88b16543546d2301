"""A function for the end-to-end tests: N child spans, a raise, or a leaked thread, as the event asks.

Event: ``{"children": int, "raise": bool, "leak": bool, "hang": bool}``.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any

from lambda_otel_lite import init_telemetry, instrumented

tracer, provider = init_telemetry("e2e")

_leaked: list[tuple[threading.Event, threading.Thread]] = []


def _leaked_work(started: threading.Event, release: threading.Event) -> None:
    with tracer.start_as_current_span("leaked"):
        started.set()
        release.wait()  # set by the next invocation: this span ends after its handler returned


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    while _leaked:  # threads leaked by the previous invocation finish now, within this invocation
        release, thread = _leaked.pop()
        release.set()
        thread.join()
    for index in range(int(event.get("children", 0))):
        with tracer.start_as_current_span("child") as span:
            span.set_attribute("child.index", index)
    if event.get("leak"):
        started, release = threading.Event(), threading.Event()
        # Run in a copy of the current context, so that the leaked span belongs to this invocation's trace.
        work = contextvars.copy_context()
        thread = threading.Thread(target=work.run, args=(_leaked_work, started, release), daemon=True)
        thread.start()
        _leaked.append((release, thread))
        started.wait()
    if event.get("hang"):
        threading.Event().wait()  # never returns: the function timeout ends it
    if event.get("raise"):
        raise RuntimeError(f"failure requested by the event {event}")
    return {"statusCode": 200, "children": event.get("children", 0)}
