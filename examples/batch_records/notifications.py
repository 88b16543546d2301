"""An SNS subscriber: a notification that fails makes the invocation fail, so that Lambda retries it.

Lambda ignores a partial batch response (``batchItemFailures``) for SNS, as for S3 and EventBridge:
it invokes the function asynchronously, and only an invocation that fails is retried, then sent to
the dead-letter queue or on-failure destination. So the handler lets the exception propagate.

Run it locally (the message of ``notification.json`` is not JSON: the invocation fails with
``JSONDecodeError``)::

    cd examples/batch_records && lambda-otel-lite invoke notifications.py:handler --event notification.json
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import trace

from lambda_otel_lite import instrumented, traced_records
from lambda_otel_lite.events import SNSEvent

tracer = trace.get_tracer("orders-notifications")


@instrumented
def handler(event: SNSEvent, context: Any) -> None:
    for record, span in traced_records(event):
        with span:  # an exception is recorded on the notification's span, and propagates: no try/except
            order = json.loads(record.sns.message)
            with tracer.start_as_current_span("send confirmation") as child:
                child.set_attribute("order.id", str(order["id"]))
    # Nothing to return: a batchItemFailures response would be ignored, and its records lost.
