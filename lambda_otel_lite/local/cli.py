"""The ``lambda-otel-lite`` command: run a handler in a local Lambda and read what it exports.

``lambda-otel-lite invoke HANDLER --event FILE`` runs the handler under the real ``awslambdaric``
against the local Runtime and Extensions APIs (:mod:`lambda_otel_lite.local.runtime`), prints each
response, then the exported spans as a tree, and how long extensions ran after each response.

``lambda-otel-lite decode [FILE]`` reads otlp-stdout lines (as printed, or copied from CloudWatch
Logs with their prefixes) and prints the same tree, or OTLP JSON with ``--json``.

``lambda-otel-lite forward [FILE] --endpoint URL`` (and ``invoke ... --forward URL``) posts each
record's payload to an OTLP/HTTP traces endpoint, as the forwarder does in production.

Results go to stdout; progress, the function's own log lines and errors go to stderr. Exit codes:
0 success, 1 the function failed (init error, handler error, timeout), a telemetry line was
corrupt or a post was refused, 2 wrong usage (bad arguments, unreadable files, a handler that cannot be found).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lambda_otel_lite.local.decode import DecodedSpan
    from lambda_otel_lite.local.managed import ManagedInstancesRuntime
    from lambda_otel_lite.local.runtime import Invocation, LocalRuntime

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

MODES = ("sync", "async", "finalize")


class UsageError(Exception):
    """A problem with the command line or its files; exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lambda-otel-lite",
        description="Run a Lambda handler locally and show its OpenTelemetry spans; decode otlp-stdout logs.",
    )
    parser.add_argument("--version", action="version", version=f"lambda-otel-lite {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    invoke = commands.add_parser(
        "invoke",
        help="run HANDLER in a local Lambda (real awslambdaric) and show responses and spans",
        description=(
            "Run HANDLER as Lambda would: its own process under awslambdaric, the Runtime and Extensions APIs "
            "on 127.0.0.1, frozen between invocations. Prints each response, then the exported spans as a tree."
        ),
    )
    invoke.add_argument("handler", metavar="HANDLER", help="module.function or path/to/file.py:function")
    invoke.add_argument("--event", "-e", required=True, metavar="FILE", help="JSON event file ('-' for stdin)")
    invoke.add_argument(
        "--mode", choices=MODES, help="LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE for the function (default: sync)"
    )
    invoke.add_argument("--times", "-n", type=int, default=1, metavar="N", help="invoke N times (default 1)")
    invoke.add_argument(
        "--shutdown",
        action="store_true",
        help="end with Lambda's shutdown (SIGTERM, 500 ms grace) and show what it flushes",
    )
    invoke.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="K=V",
        help="set a variable for the function (repeatable); K= with no value unsets it",
    )
    invoke.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="function timeout (30)")
    invoke.add_argument("--no-freeze", action="store_true", help="do not freeze the function between invocations")
    invoke.add_argument(
        "--snap-start", action="store_true", help="run as a SnapStart version: snapshot after init, restore first"
    )
    invoke.add_argument(
        "--managed-instances",
        type=int,
        metavar="N",
        help="run as Lambda Managed Instances with N worker processes; the --times invocations are sent at once",
    )
    invoke.add_argument(
        "--forward",
        metavar="URL",
        nargs="?",
        const="",
        help="also POST the run's telemetry records to this OTLP/HTTP traces URL "
        "(alone: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces)",
    )
    invoke.add_argument("--raw", action="store_true", help="print the telemetry lines as written, not decoded")
    invoke.add_argument("--no-attributes", action="store_true", help="leave span attributes out of the tree")

    forward = commands.add_parser(
        "forward",
        help="POST the records of otlp-stdout lines (plain or from CloudWatch Logs) to an OTLP/HTTP endpoint",
        description=(
            "Read otlp-stdout-span-exporter lines from FILE (default stdin), with or without CloudWatch Logs "
            "prefixes, and POST each record's payload to the OTLP/HTTP traces endpoint with its headers and "
            "content encoding, as the forwarder does in production. Other lines are skipped; a corrupt line or "
            "a refused post is reported with its line number."
        ),
    )
    forward.add_argument("file", nargs="?", default="-", metavar="FILE", help="log file ('-' or omitted: stdin)")
    forward.add_argument(
        "--endpoint",
        metavar="URL",
        help="the traces URL (default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT"
        " + /v1/traces)",
    )

    decode = commands.add_parser(
        "decode",
        help="decode otlp-stdout lines (plain or from CloudWatch Logs) into a span tree",
        description=(
            "Read otlp-stdout-span-exporter lines from FILE (default stdin), with or without CloudWatch Logs "
            "prefixes, and print the spans as a tree. Other lines are skipped; a corrupt telemetry line is "
            "reported with its line number and the rest still decode."
        ),
    )
    decode.add_argument("file", nargs="?", default="-", metavar="FILE", help="log file ('-' or omitted: stdin)")
    decode.add_argument("--json", action="store_true", help="print OTLP JSON (one object per telemetry line)")
    decode.add_argument("--no-attributes", action="store_true", help="leave span attributes out of the tree")
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command line; return the exit code."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (or --help)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    try:
        if args.command == "invoke":
            return _invoke(args, out, err)
        if args.command == "forward":
            return _forward_command(args, out, err)
        return _decode(args, out, err)
    except UsageError as exc:
        print(f"lambda-otel-lite {args.command}: error: {exc}", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


# --- invoke -----------------------------------------------------------------------------------


def _read_text(name: str, what: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text()
    except OSError as exc:
        raise UsageError(f"cannot read the {what} {name!r}: {exc.strerror or exc}") from exc


def _parse_env(pairs: list[str]) -> dict[str, str | None]:
    env: dict[str, str | None] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--env {pair!r}: expected K=V")
        env[key] = value if value else None
    return env


def _invoke(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from lambda_otel_lite.local.managed import ManagedInstancesRuntime
    from lambda_otel_lite.local.runtime import LocalRuntime, LocalRuntimeError

    if args.times < 1:
        raise UsageError(f"--times must be at least 1, got {args.times}")
    env = _parse_env(args.env)
    if args.mode:
        env["LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE"] = args.mode
    runtime: LocalRuntime | ManagedInstancesRuntime
    try:
        if args.managed_instances is not None:
            if args.managed_instances < 1 or args.snap_start:
                raise UsageError("--managed-instances takes a number of processes >= 1, and no --snap-start")
            runtime = ManagedInstancesRuntime(
                args.handler, processes=args.managed_instances, env=env, timeout=args.timeout
            )
        else:
            runtime = LocalRuntime(
                args.handler, env=env, timeout=args.timeout, freeze=not args.no_freeze, snap_start=args.snap_start
            )
    except LocalRuntimeError as exc:
        raise UsageError(str(exc)) from exc
    endpoint = _endpoint(args.forward) if args.forward is not None else ""
    text = _read_text(args.event, "event file")
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"the event file {args.event!r} is not JSON: {exc}") from exc

    mode = env.get("LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE") or "sync"
    print(f"lambda-otel-lite: starting {runtime.handler} ({mode} mode) under awslambdaric", file=err)
    failed = False
    invocations: list[Invocation] = []
    try:
        try:
            runtime.start()
        except LocalRuntimeError as exc:
            missing = _handler_not_found(runtime)
            if missing is not None:  # the handler cannot be found: wrong usage, not a failing function
                raise UsageError(missing) from exc
            _print_function_logs(runtime, err)
            print(f"lambda-otel-lite invoke: {exc}", file=err)
            return EXIT_FAILED
        invocations = runtime.invoke_all([event] * args.times)
        failed = any(invocation.error is not None for invocation in invocations)
    except LocalRuntimeError as exc:
        print(f"lambda-otel-lite invoke: {exc}", file=err)
        failed = True
    finally:
        # Managed Instances never freeze: ending without the shutdown phase would cut async flushes short
        code = runtime.shutdown(graceful=args.shutdown or isinstance(runtime, ManagedInstancesRuntime))
    _print_function_logs(runtime, err)
    _print_invocations(invocations, out)
    if args.shutdown:
        print(f"\nShutdown: exit code {code} ({_shutdown_story(runtime)})", file=out)
    elif mode == "finalize":
        print("(finalize mode: spans your processors still hold are shown with --shutdown)", file=err)
    shown = _print_telemetry(runtime, invocations, args, out, err)
    forwarded = EXIT_OK if args.forward is None else _forward(runtime.stdout_lines(), endpoint, out, err)
    return shown or forwarded or (EXIT_FAILED if failed else EXIT_OK)


def _shutdown_story(runtime: LocalRuntime | ManagedInstancesRuntime) -> str:
    kinds = [entry.kind for entry in runtime.events]
    if "sigterm" in kinds and "sigkill" not in kinds:
        return "SIGTERM handled within the grace period"
    if "sigterm" in kinds:
        return "SIGTERM not handled within the 500 ms grace period, then SIGKILL"
    return "no extension registered, so SIGKILL without SIGTERM"


def _handler_not_found(runtime: LocalRuntime | ManagedInstancesRuntime) -> str | None:
    """The runtime's own words when its init failed because the handler is not there, else None."""
    error = runtime.init_error or {}
    error_type = error.get("errorType")
    message = str(error.get("errorMessage", ""))
    module = runtime.handler.rsplit(".", 1)[0]
    if error_type in ("Runtime.HandlerNotFound", "Runtime.MalformedHandlerName") or (
        error_type == "Runtime.ImportModuleError" and f"No module named '{module.split('.')[0]}'" in message
    ):
        return f"handler {runtime.handler!r}: {message}"
    return None


def _print_function_logs(runtime: LocalRuntime | ManagedInstancesRuntime, err: TextIO) -> None:
    from lambda_otel_lite.local.decode import is_telemetry_line

    for entry in runtime.events:
        line = entry.detail.get("line")
        if entry.kind in ("stdout", "stderr") and line is not None and not is_telemetry_line(line):
            # awslambdaric writes a traceback as one line: its lines joined by \r, indented with
            # no-break spaces (for CloudWatch Logs). Print it as the lines it is.
            for part in line.replace("\u00a0", " ").split("\r"):
                print(f"  | {part}", file=err)


def _print_invocations(invocations: list[Invocation], out: TextIO) -> None:
    for invocation in invocations:
        took = (invocation.responded_ns - invocation.dispatched_ns) / 1e6 if invocation.responded_ns else None
        timing = f"{took:.2f} ms" if took is not None else "no response"
        print(f"Invocation {invocation.number} ({invocation.request_id}, {timing}):", file=out)
        if invocation.error is not None:
            print(f"  error: {json.dumps(invocation.error)}", file=out)
        else:
            print(f"  response: {(invocation.response or b'').decode(errors='replace')}", file=out)
        overhead = invocation.extension_overhead_ms
        if overhead is not None:
            print(f"  extensions ran {overhead:.2f} ms after the response", file=out)


def _print_telemetry(
    runtime: LocalRuntime | ManagedInstancesRuntime,
    invocations: list[Invocation],
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
) -> int:
    from lambda_otel_lite.local.decode import decode_lines, is_telemetry_line

    lines = [line for line in runtime.stdout_lines() if is_telemetry_line(line)]
    if args.raw:
        print(f"\nTelemetry: {len(lines)} line(s)", file=out)
        for line in lines:
            print(line, file=out)
        return EXIT_OK
    spans, errors = decode_lines(lines)
    print(f"\nSpans: {len(spans)} in {len(lines)} telemetry line(s)\n", file=out)
    print(_tree(spans, invocations, attributes=not args.no_attributes), file=out)
    for number, error in errors:
        print(f"lambda-otel-lite invoke: telemetry line {number} is corrupt: {error}", file=err)
    return EXIT_FAILED if errors else EXIT_OK


def _tree(spans: list[DecodedSpan], invocations: list[Invocation], *, attributes: bool) -> str:
    from lambda_otel_lite.local.tree import render_tree

    if not spans:
        return "(no spans)"
    numbers = {invocation.request_id: invocation.number for invocation in invocations}
    order: dict[str, int] = {}
    for span in spans:
        request_id = span.attributes.get("faas.invocation_id")
        if isinstance(request_id, str) and request_id in numbers:
            order[span.trace_id] = numbers[request_id]
    ordered = sorted(spans, key=lambda span: (order.get(span.trace_id, 1 << 30), span.start_time_unix_nano))
    return render_tree(ordered, attributes=attributes)


# --- forward ----------------------------------------------------------------------------------


def _endpoint(given: str | None) -> str:
    from lambda_otel_lite.local.forward import ENDPOINT, TRACES_ENDPOINT, endpoint_from

    endpoint = given or endpoint_from(os.environ)
    if not endpoint:
        raise UsageError(f"no endpoint: give one, or set {TRACES_ENDPOINT} or {ENDPOINT}")
    if not endpoint.startswith(("http://", "https://")):
        raise UsageError(f"the endpoint {endpoint!r} is not an http:// or https:// URL")
    return endpoint


def _forward(lines: list[str], endpoint: str, out: TextIO, err: TextIO) -> int:
    from lambda_otel_lite.local.forward import forward_lines

    report = forward_lines(lines, endpoint)
    print(f"\nForwarded {report.sent} telemetry record(s) to {endpoint}", file=out)
    for number, problem in report.errors:
        print(f"lambda-otel-lite forward: line {number}: {problem}", file=err)
    return EXIT_FAILED if report.errors else EXIT_OK


def _forward_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    endpoint = _endpoint(args.endpoint)
    return _forward(_read_text(args.file, "log file").splitlines(), endpoint, out, err)


# --- decode -----------------------------------------------------------------------------------


def _decode(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from lambda_otel_lite.local.decode import TelemetryDecodeError, decode_lines, otlp_json

    text = _read_text(args.file, "log file")
    lines = text.splitlines()
    if args.json:
        failed = False
        for number, line in enumerate(lines, start=1):
            try:
                document: Any = otlp_json(line)
            except TelemetryDecodeError as exc:
                print(f"lambda-otel-lite decode: line {number}: {exc}", file=err)
                failed = True
                continue
            if document is not None:
                print(json.dumps(document), file=out)
        return EXIT_FAILED if failed else EXIT_OK
    spans, errors = decode_lines(lines)
    for number, error in errors:
        print(f"lambda-otel-lite decode: line {number}: {error}", file=err)
    if spans:
        from lambda_otel_lite.local.tree import render_tree

        print(render_tree(spans, attributes=not args.no_attributes), file=out)
    else:
        print("(no spans)", file=out)
    return EXIT_FAILED if errors else EXIT_OK


def main_exit() -> None:
    """Console-script entry point."""
    sys.exit(main())


def _version() -> str:
    from lambda_otel_lite import __version__

    return __version__
