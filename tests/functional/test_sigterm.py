"""The SIGTERM flush, whichever thread the kernel delivers the signal to.

Each test runs a small program in a fresh interpreter: it queues a span in a BatchSpanProcessor
that would hold it for an hour, installs the library's SIGTERM handling, blocks its main thread
in ``Thread.join()`` (as ``awslambdaric`` does while it waits for the next event) and sends
SIGTERM to one of its threads with ``pthread_kill``. The span must be on stdout and the process
must exit 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from tests.support import decode_stdout

PROGRAM = textwrap.dedent(
    """
    import os, signal, socket, sys, threading

    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from otlp_stdout_span_exporter import OTLPStdoutSpanExporter

    from lambda_otel_lite import init_telemetry
    from lambda_otel_lite._sigterm import install_sigterm_handler

    processor = BatchSpanProcessor(OTLPStdoutSpanExporter(), schedule_delay_millis=3_600_000)
    tracer, provider = init_telemetry("sigterm", span_processors=[processor])
    with tracer.start_as_current_span("queued"):
        pass
    if sys.argv[1] == "wakeup-fd-taken":  # someone else owns the wake-up fd: no watcher thread
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        signal.set_wakeup_fd(write_end)
    if sys.argv[2] == "previous-handler":
        signal.signal(signal.SIGTERM, lambda signum, frame: print("previous handler", flush=True))
    install_sigterm_handler(lambda: provider)

    blocked, never = socket.socketpair()
    blocker = threading.Thread(target=blocked.recv, args=(1,), name="blocker", daemon=True)
    blocker.start()

    def sleeping(thread):  # the thread sleeps in the kernel (a lock, recv, or waiting for the GIL)
        with open(f"/proc/self/task/{thread.native_id}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "S"

    def main_waits_in_join():  # the innermost frame: 3.12 waits in a helper, 3.13 in join() itself
        frame = sys._current_frames().get(threading.main_thread().ident)
        return frame is not None and frame.f_code.co_name in ("_wait_for_tstate_lock", "join")

    def send():
        # Signal only once both threads are parked, the main one inside join(): a signal that
        # arrives while the main thread still runs Python code is handled there, whatever the test.
        settled = checks = 0
        while settled < 3:
            parked = main_waits_in_join() and sleeping(threading.main_thread()) and sleeping(blocker)
            settled = settled + 1 if parked else 0
            checks += 1
            if checks > 1000:
                print("the threads never parked", file=sys.stderr, flush=True)
                os._exit(4)
            threading.Event().wait(0.01)
        target = blocker.ident if sys.argv[3] == "other-thread" else threading.main_thread().ident
        signal.pthread_kill(target, signal.SIGTERM)
        threading.Event().wait(3)
        print("nothing handled SIGTERM within 3 s", file=sys.stderr, flush=True)
        os._exit(3)

    threading.Thread(target=send, daemon=True).start()
    blocker.join()  # the main thread waits on a lock, as awslambdaric's does for /next
    """
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}  # a crash prints its tracebacks to stderr
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, timeout=30, check=False, env=env
    )


def test_sigterm_delivered_to_another_thread_still_flushes_and_exits_0() -> None:
    result = run("wakeup-fd-free", "no-previous", "other-thread")
    assert (result.returncode, result.stderr) == (0, "")
    assert [span.name for span in decode_stdout(result.stdout)] == ["queued"]


def test_sigterm_delivered_to_the_main_thread_flushes_once_and_exits_0() -> None:
    result = run("wakeup-fd-free", "no-previous", "main-thread")
    assert (result.returncode, result.stderr) == (0, "")
    assert [span.name for span in decode_stdout(result.stdout)] == ["queued"]


def test_without_the_wakeup_fd_a_signal_on_another_thread_is_never_handled() -> None:
    """The negative control: what the watcher thread is for."""
    result = run("wakeup-fd-taken", "no-previous", "other-thread")
    assert result.returncode == 3
    assert decode_stdout(result.stdout) == []


def test_a_previous_handler_still_runs_after_the_flush() -> None:
    result = run("wakeup-fd-free", "previous-handler", "main-thread")
    spans = decode_stdout(result.stdout)
    assert [span.name for span in spans] == ["queued"]
    assert result.stdout.rstrip().endswith("previous handler")


EDGE_PROGRAM = textwrap.dedent(
    """
    import os, signal, sys, threading, time

    from opentelemetry.sdk.trace.export import SpanExportResult
    from otlp_stdout_span_exporter import OTLPStdoutSpanExporter

    from lambda_otel_lite import LambdaSpanProcessor, init_telemetry
    from lambda_otel_lite._sigterm import install_sigterm_handler

    case = sys.argv[1]
    if case == "during init":  # SIGTERM before init_telemetry() has set anything up
        install_sigterm_handler(lambda: None)
        signal.raise_signal(signal.SIGTERM)
        time.sleep(5)  # not reached: the handler exits
        sys.exit(3)

    exporting = threading.Event()

    class SlowExporter(OTLPStdoutSpanExporter):
        def export(self, spans):
            exporting.set()
            time.sleep(0.2)  # a flush in progress when SIGTERM comes
            return super().export(spans)

    tracer, provider = init_telemetry("edge", span_processors=[LambdaSpanProcessor(SlowExporter())])
    install_sigterm_handler(lambda: provider)
    for name in ("first", "second"):
        with tracer.start_as_current_span(name):
            pass
    if case == "mid-flush":
        threading.Thread(target=provider.force_flush, daemon=True).start()
        exporting.wait(5)
        os.kill(os.getpid(), signal.SIGTERM)
    elif case == "twice":
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Event().wait(5)
    sys.exit(3)  # not reached: the handler exits
    """
)


@pytest.mark.parametrize("case", ["twice", "mid-flush", "during init"])
def test_sigterm_twice_mid_flush_or_during_init_exits_0_quickly_and_exports_each_span_once(case: str) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", EDGE_PROGRAM, case], capture_output=True, text=True, timeout=30, check=False
    )
    elapsed = time.monotonic() - started
    assert (result.returncode, result.stderr) == (0, "")
    expected = [] if case == "during init" else ["first", "second"]
    assert sorted(span.name for span in decode_stdout(result.stdout)) == expected
    assert elapsed < 5  # no hang (the program would exit 3 after 5 s)
