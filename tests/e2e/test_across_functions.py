"""Tracing across functions, end to end: one trace from an API function through SQS, SNS or Lambda to a worker.

Real parts only. Both functions run under the real ``awslambdaric`` in the local Lambda runtime;
their AWS calls are real boto3 calls (``AWS_ENDPOINT_URL``, dummy credentials) to a moto server on
127.0.0.1, started here; the worker's event is built from what moto gives back to
``ReceiveMessage``, shaped as Lambda's event source mapping shapes an SQS event (Lambda Developer
Guide, "Using Lambda with Amazon SQS", the example event: ``messageId``, ``receiptHandle``,
``body``, ``attributes``, ``messageAttributes`` as ``{"stringValue", "stringListValues",
"binaryListValues", "dataType"}``, ``md5OfBody``, ``eventSource``, ``eventSourceARN``,
``awsRegion``). Lambda ``Invoke`` needs docker in moto, so :class:`InvokeApi` serves it here: the
Lambda API Reference's ``POST /2015-03-31/functions/<name>/invocations``, handing the payload to
the worker's local runtime (``X-Amz-Invocation-Type: RequestResponse``: 200 and the function's
response; ``Event``: 202 at once, and the event is delivered after, as Lambda's internal queue does).

How the ``AWSTraceHeader`` was obtained: SQS sets a message's ``AWSTraceHeader`` system attribute
from the ``X-Amzn-Trace-Id`` header of the ``SendMessage`` request (X-Ray Developer Guide, "Amazon
SQS and AWS X-Ray"; SNS passes the ``Publish`` request's on to its subscriptions in the topic's
default tracing mode, ``PassThrough``). botocore sets that header from ``_X_AMZN_TRACE_ID``
(``botocore.handlers.add_recursion_detection_header``), which ``awslambdaric`` sets from the
runtime's ``Lambda-Runtime-Trace-Id`` for each invocation. Moto does not store it, so
:class:`TraceHeaderRecorder` (WSGI middleware in front of moto's app) records each request's
``X-Amzn-Trace-Id`` as it arrives, and the event puts the one of the send request into the
message's ``attributes``. Only the function's calls carry one (this process has no
``_X_AMZN_TRACE_ID``). With X-Ray active tracing on the API function, its invocation span links
its Lambda segment, and that is the very segment the header names: the header is what the
runtime sent.

What is asserted, as one structure of every exported span of both functions (function, name,
kind, status, parent, links, each parent and link named by the exported span it resolves to):
the API's invocation span is the child of the client's ``traceparent``; its PRODUCER (or CLIENT)
span is its child; the worker's batch and message spans link that PRODUCER span (a Lambda
``Invoke``: the worker's invocation span is the CLIENT span's child); nothing else is unresolved,
and nothing links the X-Ray segment of ``AWSTraceHeader``: the W3C context wins, and an unsampled
X-Ray header is never linked.

``python -m tests.e2e.test_across_functions`` rewrites ``examples/across_functions/trace.txt``, the
span tree ``lambda-otel-lite decode`` prints for the example's run (docs/tracing-across-functions.md).
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import boto3  # type: ignore[import-untyped]  # boto3 ships no type information: Any at the boundary
import pytest
from moto.server import ThreadedMotoServer

from lambda_otel_lite.local.api import JsonHandler
from lambda_otel_lite.local.cli import main as cli
from lambda_otel_lite.local.decode import DecodedSpan, decode_lines
from lambda_otel_lite.local.runtime import Invocation, LocalRuntime

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "across_functions"
FUNCTIONS = Path(__file__).resolve().parent / "functions"
PICTURE = EXAMPLE / "trace.txt"
EVENT: dict[str, Any] = json.loads((EXAMPLE / "event.json").read_text())
ORDER = json.loads(EVENT["body"])
CLIENT_TRACE, CLIENT_SPAN = EVENT["headers"]["traceparent"].split("-")[1:3]
REGION = "us-east-1"
API, WORKER = "orders-api", "orders-worker"
"""The functions' names (``AWS_LAMBDA_FUNCTION_NAME``)."""


# --- moto, and what the functions' requests carried --------------------------------------------


@dataclass(frozen=True)
class Request:
    operation: str
    trace_header: str | None


class TraceHeaderRecorder:
    """WSGI middleware in front of moto's app: each request's operation and ``X-Amzn-Trace-Id``."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.requests: list[Request] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET")  # JSON protocol (SQS): AmazonSQS.SendMessage
        if target:
            operation = str(target).rpartition(".")[2]
        else:  # query protocol (SNS): Action=Publish&... in the form body, read and put back for moto
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            operation = parse_qs(body.decode(errors="replace")).get("Action", [""])[0]
        self.requests.append(Request(operation, environ.get("HTTP_X_AMZN_TRACE_ID")))
        return self.app(environ, start_response)

    def traced(self) -> list[Request]:
        """The requests that carried an ``X-Amzn-Trace-Id``: the functions' calls."""
        return [request for request in self.requests if request.trace_header is not None]


@dataclass
class Moto:
    endpoint: str
    recorder: TraceHeaderRecorder

    def client(self, service: str) -> Any:
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def env(self, **more: str) -> dict[str, str | None]:
        """A function's environment: AWS calls go to moto, with dummy credentials, nothing from this machine."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": None,
            "AWS_PROFILE": None,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_REGION": REGION,
            **more,
        }

    def queue(self, name: str) -> tuple[str, str]:
        """A new queue's URL and ARN."""
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return str(url), str(arn)

    def receive(self, url: str) -> list[dict[str, Any]]:
        messages = self.client("sqs").receive_message(
            QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"], MaxNumberOfMessages=10
        )
        return list(messages.get("Messages", []))


@contextmanager
def moto_server() -> Iterator[Moto]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        # The werkzeug server ThreadedMotoServer made (start() returns once it exists, before any
        # request): its ``app`` is werkzeug's public attribute, read for each request.
        wsgi = server._server
        assert wsgi is not None
        recorder = TraceHeaderRecorder(wsgi.app)
        wsgi.app = recorder
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # moto's state lives in this process: start from none (its documented reset endpoint)
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
        yield Moto(endpoint, recorder)
    finally:
        server.stop()


@pytest.fixture
def moto() -> Iterator[Moto]:
    with moto_server() as running:
        yield running


# --- the SQS event, as Lambda's event source mapping shapes it ---------------------------------


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def event_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A ``ReceiveMessage`` message attribute as the SQS event has it (camelCase, binary values in base64)."""
    shaped: dict[str, Any] = {}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = _b64(value["BinaryValue"])
    shaped["stringListValues"] = list(value.get("StringListValues", []))
    shaped["binaryListValues"] = [_b64(item) for item in value.get("BinaryListValues", [])]
    shaped["dataType"] = value["DataType"]
    return shaped


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, trace_header: str | None) -> dict[str, Any]:
    """The event Lambda delivers for *messages*, with *trace_header* as their ``AWSTraceHeader``."""
    records = []
    for message in messages:
        attributes = dict(message["Attributes"])
        if trace_header is not None:
            attributes.setdefault("AWSTraceHeader", trace_header)
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": attributes,
            "messageAttributes": {
                name: event_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
            },
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        record.update(
            {
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
        )
        records.append(record)
    return {"Records": records}


# --- the Lambda Invoke API ----------------------------------------------------------------------

INVOKE_PATH = re.compile(r"/2015-03-31/functions/(?P<name>[^/?]+)/invocations(?:\?.*)?")


@dataclass(frozen=True)
class InvokeRequest:
    function: str
    invocation_type: str
    payload: Any


class InvokeHandler(JsonHandler):
    api: InvokeApi

    def _aws_error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"Type": "User", "message": message}, {"X-Amzn-ErrorType": code})

    def do_POST(self) -> None:
        body = self._body()
        match = INVOKE_PATH.fullmatch(self.path)
        if match is None:
            self._aws_error(404, "UnknownOperationException", f"no operation at {self.path}")
            return
        function = self.api.function
        name = unquote(match["name"])
        if name not in (function.function_name, function.function_arn):
            self._aws_error(404, "ResourceNotFoundException", f"Function not found: {name}")
            return
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            self._aws_error(400, "InvalidRequestContentException", "Could not parse request body into json")
            return
        invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        self.api.requests.append(InvokeRequest(name, invocation_type, payload))
        executed = {"X-Amz-Executed-Version": "$LATEST"}
        if invocation_type == "Event":
            self.api.queued.append(body)
            self._send(202, b"", {})
        elif invocation_type == "DryRun":
            self._send(204, b"", {})
        elif invocation_type == "RequestResponse":
            invocation = function.invoke(body or b"{}")  # the payload as sent, bytes for bytes
            if invocation.error is not None:
                self._send(200, invocation.error, {**executed, "X-Amz-Function-Error": "Unhandled"})
            else:
                self._send(200, invocation.response or b"null", executed)
        else:
            self._aws_error(400, "InvalidParameterValueException", f"invalid InvocationType {invocation_type!r}")


class InvokeApi:
    """Lambda's ``Invoke`` for one local function, on 127.0.0.1 (point ``AWS_ENDPOINT_URL_LAMBDA`` at it).

    Thread rules: a ``RequestResponse`` invocation runs in the server's thread (the caller waits in
    its ``Invoke``); queued ``Event`` invocations run in the thread that calls :meth:`deliver_queued`.
    """

    def __init__(self, function: LocalRuntime) -> None:
        self.function = function
        self.requests: list[InvokeRequest] = []
        self.queued: list[bytes] = []
        handler = type("Handler", (InvokeHandler,), {"api": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def deliver_queued(self) -> list[Invocation]:
        """Run the accepted ``Event`` invocations, in order, as Lambda's internal queue does."""
        delivered = [self.function.invoke(payload) for payload in self.queued]
        self.queued.clear()
        return delivered

    def __enter__(self) -> InvokeApi:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), name="invoke-api", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- running the functions ----------------------------------------------------------------------


@dataclass
class Run:
    """What both functions printed, the AWSTraceHeader the worker's message carried, and the responses."""

    api_lines: list[str]
    worker_lines: list[str]
    trace_header: str | None = None
    responses: list[Any] = field(default_factory=list[Any])

    def lines(self) -> list[str]:
        return self.api_lines + self.worker_lines


def call_api(handler: str, env: dict[str, str | None], *, sampled: bool = False) -> tuple[list[str], Any]:
    """Invoke the API function once with the client's request; its stdout lines and response."""
    with LocalRuntime(handler, env=env, function_name=API, xray_tracing=sampled) as api:
        invocation = api.invoke(EVENT)
        assert invocation.error is None, invocation.error
    return api.stdout_lines(), invocation.response_json()


def run_worker(handler: str, event: dict[str, Any]) -> tuple[list[str], Any]:
    with LocalRuntime(handler, function_name=WORKER) as worker:
        invocation = worker.invoke(event)
        assert invocation.error is None, invocation.error
    return worker.stdout_lines(), invocation.response_json()


def run_sqs(moto: Moto, *, sampled: bool = False) -> Run:
    """The example: ``api.py`` sends the order to the ``orders`` queue, ``worker.py`` gets the message."""
    url, arn = moto.queue("orders")
    api_lines, api_response = call_api(f"{EXAMPLE / 'api.py'}:handler", moto.env(ORDERS_QUEUE_URL=url), sampled=sampled)
    (sent,) = moto.recorder.traced()
    assert sent.operation == "SendMessage"
    messages = moto.receive(url)
    assert len(messages) == 1
    worker_lines, worker_response = run_worker(
        f"{EXAMPLE / 'worker.py'}:handler", sqs_event(messages, arn, sent.trace_header)
    )
    return Run(api_lines, worker_lines, sent.trace_header, [api_response, worker_response])


# --- the joined trace -----------------------------------------------------------------------------

Row = tuple[str, str, str, str, str | None, list[str]]
"""(function, name, kind, status, parent, links): parent and links named by the span they resolve to."""


def xray_segment(header: str | None) -> tuple[str, str] | None:
    """The (trace id, span id) an X-Ray header names: ``Root=1-5759e988-bd86...;Parent=53995c3f42cd8ad8``."""
    fields = dict(part.split("=", 1) for part in (header or "").split(";") if "=" in part)
    if "Root" not in fields or "Parent" not in fields:
        return None
    return fields["Root"].replace("-", "")[1:], fields["Parent"]


def spans_of(lines: list[str]) -> list[DecodedSpan]:
    spans, errors = decode_lines(lines)
    assert errors == []
    return sorted(spans, key=lambda span: span.start_time_unix_nano)


def joined(run: Run) -> list[Row]:
    """Every exported span of both functions, in the order they started (the API's first); its parent
    and links named by the exported span they resolve to (by trace and span id), else ``client`` (the
    caller's ``traceparent``), ``AWSTraceHeader`` (the X-Ray segment the message's header names), or
    ``unexported <trace>/<span>``."""
    exported = [(API, span) for span in spans_of(run.api_lines)] + [
        (WORKER, span) for span in spans_of(run.worker_lines)
    ]
    names = {(span.trace_id, span.span_id): span.name for _, span in exported}
    assert len(names) == len(exported)  # each span once
    known = {(CLIENT_TRACE, CLIENT_SPAN): "client"}
    segment = xray_segment(run.trace_header)
    if segment is not None:
        known[segment] = "AWSTraceHeader"

    def name(trace_id: str, span_id: str) -> str:
        return names.get((trace_id, span_id)) or known.get((trace_id, span_id)) or f"unexported {trace_id}/{span_id}"

    return [
        (
            function,
            span.name,
            span.kind,
            span.status,
            name(span.trace_id, span.parent_span_id) if span.parent_span_id else None,
            [name(link.trace_id, link.span_id) for link in span.links],
        )
        for function, span in exported
    ]


def traces(run: Run) -> tuple[set[str], set[str]]:
    """The trace ids of the API's spans and of the worker's."""
    return {span.trace_id for span in spans_of(run.api_lines)}, {span.trace_id for span in spans_of(run.worker_lines)}


def message_ids(run: Run) -> list[Any]:
    """``messaging.message.id`` of each span but the INTERNAL ones, in the order they started."""
    return [span.attributes.get("messaging.message.id") for span in spans_of(run.lines()) if span.kind != "INTERNAL"]


# --- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("sampled", [False, True], ids=["xray-unsampled", "xray-sampled"])
def test_an_order_sent_to_sqs_is_one_trace_from_the_client_to_the_worker(moto: Moto, sampled: bool) -> None:
    """The example's API sends the order with ``SendMessage``; the worker's batch and message spans link
    its ``send orders`` PRODUCER span, not the X-Ray segment of ``AWSTraceHeader``, sampled or not."""
    run = run_sqs(moto, sampled=sampled)
    assert run.trace_header is not None
    assert run.trace_header.endswith(f";Sampled={int(sampled)}")
    api_response, worker_response = run.responses
    assert api_response["statusCode"] == 202
    assert worker_response == {"batchItemFailures": []}
    assert joined(run) == [
        # with X-Ray active tracing, the invocation links its Lambda segment: the one the header names
        (API, "POST /orders", "SERVER", "UNSET", "client", ["AWSTraceHeader"] if sampled else []),
        (API, "send orders", "PRODUCER", "UNSET", "POST /orders", []),
        (WORKER, "process orders", "CONSUMER", "UNSET", None, ["send orders"]),
        (WORKER, "process orders", "CONSUMER", "UNSET", "process orders", ["send orders"]),
        (WORKER, "save order", "INTERNAL", "UNSET", "process orders", []),
    ]
    api_traces, worker_traces = traces(run)
    assert api_traces == {CLIENT_TRACE}
    assert len(worker_traces) == 1  # a batch is a trace of its own, joined by its links
    message_id = json.loads(api_response["body"])["message"]
    assert message_ids(run) == [None, message_id, None, message_id]


@pytest.mark.parametrize("raw", [True, False], ids=["raw-delivery", "sns-envelope"])
def test_an_order_published_to_sns_reaches_the_worker_through_sqs_in_the_same_trace(moto: Moto, raw: bool) -> None:
    """SNS ``Publish`` to a topic with an SQS subscription: with raw message delivery the context is in the
    SQS message's attributes, without it in the notification's ``MessageAttributes`` inside the body."""
    url, queue_arn = moto.queue("orders-notifications")
    sns = moto.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": str(raw).lower()}
    )
    api_lines, api_response = call_api(
        str(FUNCTIONS / "across_publish.py") + ":handler", moto.env(ORDERS_TOPIC_ARN=topic)
    )
    (published,) = moto.recorder.traced()
    assert published.operation == "Publish"
    messages = moto.receive(url)
    assert len(messages) == 1
    (message,) = messages
    assert ("traceparent" in message.get("MessageAttributes", {})) is raw
    assert ('"Type": "Notification"' in message["Body"]) is not raw
    event = sqs_event(messages, queue_arn, published.trace_header)
    worker_lines, worker_response = run_worker(str(FUNCTIONS / "across_notifications.py") + ":handler", event)
    run = Run(api_lines, worker_lines, published.trace_header, [api_response, worker_response])
    assert worker_response == {"batchItemFailures": []}
    assert joined(run) == [
        (API, "POST /orders", "SERVER", "UNSET", "client", []),
        (API, "publish orders", "PRODUCER", "UNSET", "POST /orders", []),
        (WORKER, "process orders-notifications", "CONSUMER", "UNSET", None, ["publish orders"]),
        (
            WORKER,
            "process orders-notifications",
            "CONSUMER",
            "UNSET",
            "process orders-notifications",
            ["publish orders"],
        ),
        (WORKER, "save order", "INTERNAL", "UNSET", "process orders-notifications", []),
    ]
    assert traces(run)[0] == {CLIENT_TRACE}


@pytest.mark.parametrize("invocation_type", ["RequestResponse", "Event"])
def test_a_function_invoked_by_another_is_the_child_of_its_client_span(moto: Moto, invocation_type: str) -> None:
    """Lambda ``Invoke``, synchronous or asynchronous: the context goes in the payload's ``headers``, and
    the invoked function's invocation span is the child of the caller's CLIENT span, in the client's trace."""
    with (
        LocalRuntime(str(FUNCTIONS / "across_invoked.py") + ":handler", function_name=WORKER) as worker,
        InvokeApi(worker) as invoke_api,
    ):
        env = moto.env(
            AWS_ENDPOINT_URL_LAMBDA=invoke_api.endpoint, WORKER_FUNCTION=WORKER, INVOCATION_TYPE=invocation_type
        )
        api_lines, api_response = call_api(str(FUNCTIONS / "across_invoke.py") + ":handler", env)
        delivered = invoke_api.deliver_queued()
        assert all(invocation.error is None for invocation in delivered)
        worker_lines = worker.stdout_lines()
    run = Run(api_lines, worker_lines)
    (request,) = invoke_api.requests
    client_span = next(span for span in spans_of(api_lines) if span.kind == "CLIENT")
    assert request == InvokeRequest(
        WORKER,
        invocation_type,
        {"headers": {"traceparent": f"00-{CLIENT_TRACE}-{client_span.span_id}-01"}, "order": ORDER},
    )
    assert len(worker.invocations) == 1
    result = '{"saved": "42"}' if invocation_type == "RequestResponse" else ""
    status = 200 if invocation_type == "RequestResponse" else 202
    assert json.loads(api_response["body"]) == {"invoked": status, "result": result}
    assert joined(run) == [
        (API, "POST /orders", "SERVER", "UNSET", "client", []),
        (API, WORKER, "CLIENT", "UNSET", "POST /orders", []),
        (WORKER, WORKER, "SERVER", "UNSET", WORKER, []),
        (WORKER, "save order", "INTERNAL", "UNSET", WORKER, []),
    ]
    assert traces(run) == ({CLIENT_TRACE}, {CLIENT_TRACE})  # one trace, literally


# --- the picture in the docs ------------------------------------------------------------------

_SPAN_LINE = re.compile(r"^  [ █]{24} +\d+\.\d\d ms  ")
_ID = re.compile(r"\b(?:[0-9a-f]{32}|[0-9a-f]{16})\b")


def normalised(tree: str) -> list[str]:
    """*tree* without what changes from run to run: timing bars and durations, and the ids made by the run
    (numbered in the order they first appear, so a link still names the trace it points into)."""
    fixed = {CLIENT_TRACE, CLIENT_SPAN}
    numbered: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        found = match[0]
        return found if found in fixed else numbered.setdefault(found, f"<id {len(numbered) + 1}>")

    return [_ID.sub(number, _SPAN_LINE.sub("  <bar> <duration>  ", line)) for line in tree.splitlines()]


def decode_picture(run: Run, log: Path) -> str:
    """What ``lambda-otel-lite decode --no-attributes`` prints for both functions' stdout, one after the other."""
    log.write_text("".join(line + "\n" for line in run.lines()))
    out, err = io.StringIO(), io.StringIO()
    assert cli(["decode", "--no-attributes", str(log)], stdout=out, stderr=err) == 0, err.getvalue()
    return out.getvalue()


def test_the_pictured_trace_is_what_decode_prints_for_the_examples_run(moto: Moto, tmp_path: Path) -> None:
    """``examples/across_functions/trace.txt`` (in docs/tracing-across-functions.md) is what the CLI prints
    for the example's run, but for timings and the ids of the run (``python -m tests.e2e.test_across_functions``
    rewrites it)."""
    picture = decode_picture(run_sqs(moto), tmp_path / "both.log")
    assert normalised(picture) == normalised(PICTURE.read_text()), "run: python -m tests.e2e.test_across_functions"


if __name__ == "__main__":
    import logging
    import tempfile

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request
    with moto_server() as running, tempfile.TemporaryDirectory() as directory:
        PICTURE.write_text(decode_picture(run_sqs(running), Path(directory) / "both.log"))
    print(f"wrote {PICTURE.relative_to(ROOT)}")
