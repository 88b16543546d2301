"""Every ``>>>`` example in the package's docstrings runs, and shows what it says.

The examples share one namespace, as pytest's ``doctest_namespace`` would give them: the public
API, and the names the examples take as given (``tracer``, ``provider``, ``event``, ``context``,
``handler``, ``save``, ``raw_event``, ``record``). Telemetry goes to a processor that prints
nothing, so the examples' output is theirs alone.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import lambda_otel_lite

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(lambda_otel_lite.__path__, "lambda_otel_lite.")
    if not name.endswith("__main__")
)


def namespace() -> dict[str, Any]:
    import lambda_otel_lite as api
    from lambda_otel_lite import events
    from lambda_otel_lite.testing import LambdaContext, capture_spans, sample_event

    tracer, provider = api.init_telemetry("doctest", span_processors=[SimpleSpanProcessor(InMemorySpanExporter())])

    @api.instrumented
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200}

    sqs = events.SQSEvent.model_validate(sample_event("sqs"))
    names: dict[str, Any] = {name: getattr(api, name) for name in api.__all__}
    names.update({name: getattr(events, name) for name in events.__all__})
    names.update(
        tracer=tracer,
        provider=provider,
        handler=handler,
        event=sample_event("apigateway-http-v2"),
        raw_event=sample_event("eventbridge-s3"),
        context=LambdaContext(),
        record=sqs.records[0],
        save=lambda body: None,
        LambdaContext=LambdaContext,
        capture_spans=capture_spans,
        sample_event=sample_event,
    )
    return names


def test_there_are_examples() -> None:
    finder = doctest.DocTestFinder()
    count = sum(len(test.examples) for name in MODULES for test in finder.find(importlib.import_module(name)))
    assert count > 30


@pytest.mark.parametrize("module", MODULES)
def test_the_examples_of(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # examples name files of the repository (examples/...)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    imported = importlib.import_module(module)
    globs = {**vars(imported), **namespace()}
    for test in doctest.DocTestFinder().find(imported, globs=globs):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples of {module} failed (see above)"
