"""The pytest plugin of lambda-otel-lite (registered through the ``pytest11`` entry point).

Fixtures:
    fresh_lambda: the test runs as in a fresh Lambda process (:func:`~lambda_otel_lite.testing.reset`
        before and after it): its first invocation is a cold start, whatever ran before.
    span_capture: a :class:`~lambda_otel_lite.testing.SpanCapture` of the spans finished during
        the test.
    lambda_context: a :class:`~lambda_otel_lite.testing.LambdaContext` with realistic defaults.
    sample_event: :func:`~lambda_otel_lite.testing.sample_event`, to load AWS's sample events by name.

Loading the plugin imports nothing of OpenTelemetry: every pytest run of a project that installs
lambda-otel-lite loads it, so the fixtures import what they need when a test asks for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from lambda_otel_lite.testing import LambdaContext, SpanCapture


@pytest.fixture
def span_capture() -> Iterator[SpanCapture]:
    """The spans finished during the test, in memory (they are still exported as configured)."""
    from lambda_otel_lite.testing import capture_spans

    with capture_spans() as capture:
        yield capture


@pytest.fixture
def lambda_context() -> LambdaContext:
    """A Lambda context object with realistic defaults and a fresh request id."""
    from lambda_otel_lite.testing import LambdaContext

    return LambdaContext()


@pytest.fixture
def sample_event() -> Callable[[str], dict[str, Any]]:
    """Load one of AWS's sample events by name: ``sample_event("apigateway-http-v2")``."""
    from lambda_otel_lite.testing import sample_event

    return sample_event


@pytest.fixture
def fresh_lambda() -> Iterator[None]:
    """Run the test as in a fresh Lambda process: no provider, no logged warnings, a cold start next."""
    from lambda_otel_lite.testing import reset

    reset()
    yield
    reset()
