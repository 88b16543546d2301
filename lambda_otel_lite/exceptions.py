"""Errors raised by lambda-otel-lite.

Every error the library raises on purpose is a :class:`LambdaOtelLiteError`. Telemetry failures
(exporter errors, a closed stdout, an unreachable extension API) are never raised into a handler:
they are logged once instead.
"""

from __future__ import annotations

from typing import Any


class LambdaOtelLiteError(Exception):
    """Base class of every error raised by lambda-otel-lite.

    Example:
        >>> try:
        ...     init_telemetry(name=42)
        ... except LambdaOtelLiteError as error:
        ...     print(error)
        name must be a string, got int: 42
    """


class ConfigurationError(LambdaOtelLiteError, ValueError):
    """An argument given to the library is invalid; the message names it and its value.

    Example:
        >>> init_telemetry(span_processors="stdout")
        Traceback (most recent call last):
        lambda_otel_lite.exceptions.ConfigurationError: span_processors must be a sequence ..., got str: 'stdout'
    """


class EventValidationError(LambdaOtelLiteError, ValueError):
    """A raw Lambda event does not match the typed event model a handler declared.

    Attributes:
        model: The name of the event model the event was validated against.
        errors: One ``(field path, bad value, reason)`` triple per problem found.

    Example:
        >>> @instrumented
        ... def handler(event: SQSEvent, context): ...
        >>> handler({"Records": "none"}, LambdaContext())
        Traceback (most recent call last):
        lambda_otel_lite.exceptions.EventValidationError: event does not match SQSEvent: Records: ... (got 'none')
    """

    MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
    """The value recorded for a required field the event does not have."""

    VALUE_LIMIT = 100
    """The longest a bad value is shown in the message, in characters (``...`` marks a cut one).

    The message reaches the span (its status and its exception event, whose stack trace shows it
    too): the bound is ours, whatever pydantic's version formats, so an event's secrets or bulk
    never reach telemetry whole. The full detail stays in :attr:`errors` and :attr:`validation_error`.
    """
    LISTED_LIMIT = 10
    """The most problems the message lists; the rest are counted (``and 3 more``)."""

    def __init__(self, model: str, errors: list[tuple[str, Any, str]], validation_error: Any = None) -> None:
        self.model = model
        self.errors = errors
        self.validation_error = validation_error
        """pydantic's ``ValidationError``, when the event was validated by pydantic (not chained: see VALUE_LIMIT)."""
        listed = errors[: self.LISTED_LIMIT]
        details = "; ".join(
            f"{_short(path)}: {_short(reason)}" + ("" if value is self.MISSING else f" (got {_short_repr(value)})")
            for path, value, reason in listed
        )
        if len(errors) > len(listed):
            details += f"; and {len(errors) - len(listed)} more"
        super().__init__(f"event does not match {model}: {details}")


def _short(text: str, limit: int = EventValidationError.VALUE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # a value whose repr raises: its type is enough
        text = f"<{type(value).__name__}>"
    return _short(text)


class TelemetryNotInitializedError(LambdaOtelLiteError, AttributeError):
    """The global tracer provider was asked for what only an active provider has.

    Raised before the first :func:`init_telemetry` (and after ``lambda_otel_lite.testing.reset()``).
    It is an ``AttributeError`` too, so ``hasattr()`` and ``getattr(provider, name, default)`` see
    the attribute as absent, as they would on a provider without it.

    Example:
        >>> from opentelemetry import trace
        >>> from lambda_otel_lite.testing import reset
        >>> reset()  # no active provider, as before init_telemetry()
        >>> hasattr(trace.get_tracer_provider(), "sampler")
        False
        >>> trace.get_tracer_provider().add_span_processor(None)
        Traceback (most recent call last):
        ...
        lambda_otel_lite.exceptions.TelemetryNotInitializedError: lambda-otel-lite's global tracer provider has no ...
    """
