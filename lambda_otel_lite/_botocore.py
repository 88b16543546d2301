"""Context out on AWS SDK calls: installing the handlers in botocore's own event system.

No function of botocore or boto3 is patched. ``BaseClient._make_api_call`` emits events around
every call, and the handlers of :mod:`lambda_otel_lite._aws_operations` listen to three of them
for the operations that can carry a context (SQS and SNS sends, Lambda ``Invoke``) or deserve a
span without one (EventBridge ``PutEvents``, Kinesis ``PutRecord(s)``, Step Functions
``StartExecution``): :mod:`lambda_otel_lite._aws_calls` says which events and why.

How they are installed:

- ``botocore.register_initializer`` (botocore >= 1.27, boto/botocore#2682) is botocore's supported
  hook for "every Session created from now on": each new Session calls it at the end of its
  ``__init__``. Appending to ``botocore.handlers.BUILTIN_HANDLERS`` instead would rely on the
  private ``Session._register_builtin_handlers`` reading that list, and would reach no session
  that exists already either.
- A client does *not* share its session's emitter: it gets a copy when it is created
  (``ClientArgsCreator.get_client_args``: ``copy.copy(self._event_emitter)``). So a session
  reached later covers only the clients it creates later, and the clients that exist already are
  reached one by one: boto3's ``DEFAULT_SESSION`` (behind ``boto3.client()``) through its public
  ``events``, and, when a client was ever created (a subclass of ``BaseClient`` exists, botocore
  makes one per client), every live client and botocore Session, found in one pass over the
  garbage collector's objects (:func:`_existing_emitters`: about 10-30 ms with boto3 loaded, once,
  only then). A client created at module import before ``init_telemetry()``, the usual place, is
  covered that way; installing at ``import lambda_otel_lite`` when botocore is already imported
  (``import boto3`` sorts first) makes the scan find nothing to pay for.
- Three handlers (``before-parameter-build``, ``after-call``, ``after-call-error``), each under a
  unique id, so a second registration on the same emitter is a no-op. They dispatch on the
  event's full name: a call of any other operation (DynamoDB, S3...) costs three dict lookups.

Zero configuration: :func:`maybe_install` runs at ``init_telemetry()`` and at each invocation
start until it has installed, and installs once the function's code has imported botocore. A
function that never imports boto3 pays one dict lookup: this module imports nothing of botocore,
boto3 or the handlers until then.

Thread rules: install and uninstall hold one lock; the handlers keep their state in the call's
request context.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import weakref
from typing import Any

from lambda_otel_lite import _config, _resets
from lambda_otel_lite._log import InternalErrors, OnceLogger

logger = logging.getLogger(__name__)
_once = OnceLogger(logger)
_INSTALL = InternalErrors(
    _once, "botocore-install", "installing the botocore handlers failed; AWS calls carry no context"
)
_INITIALIZE = InternalErrors(_once, "botocore-initialize", "registering the botocore handlers on a new session failed")


class _Installation:
    """The one global state: whether the initializer is registered, and the emitters given handlers."""

    __slots__ = ("emitters", "installed", "lock", "off")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.installed = False
        self.off = False
        """``LAMBDA_OTEL_LITE_AWS_SDK_CONTEXT=false`` was found: nothing is installed, nor checked again."""
        self.emitters: weakref.WeakSet[Any] = weakref.WeakSet()


_STATE = _Installation()


def maybe_install() -> None:
    """:func:`install`, once the function's code has imported botocore; otherwise nothing.

    Call it at init and at each invocation start: one dict lookup while botocore is absent, one
    attribute read more once installed.
    """
    if "botocore" not in sys.modules or _STATE.installed or _STATE.off:
        return
    if not _config.AWS_SDK_CONTEXT.read():
        _STATE.off = True
        return
    install()


def install(*targets: Any) -> None:
    """Give every botocore Session created from now on, boto3's default session and each of
    *targets* the handlers that carry the trace context out. Idempotent.

    *targets* are sessions created before the install (a ``boto3.Session``, a
    ``botocore.session.Session``) or clients of them. Imports botocore (:func:`maybe_install` does
    not). A failure of its own is logged once and never raised: AWS calls then go out untraced.

    Raises:
        TypeError: a target is not a session or a client.

    Example, a session made before ``init_telemetry()``::

        session = boto3.Session(region_name="eu-west-1")
        ...
        install(session)
    """
    emitters = [_emitter_of(target) for target in targets]
    with _INSTALL, _STATE.lock:
        if not _STATE.installed:
            importlib.import_module("botocore").register_initializer(_initialize)
            _STATE.installed = True
            boto3 = sys.modules.get("boto3")
            default = getattr(boto3, "DEFAULT_SESSION", None)
            if default is not None:
                emitters.append(default.events)
            emitters += _existing_emitters()
        for emitter in emitters:
            _register(emitter)


@_resets.register
def uninstall() -> None:
    """Remove the initializer and every handler :func:`install` registered, as in a fresh process. Tests only."""
    with _STATE.lock:
        botocore = sys.modules.get("botocore")
        if _STATE.installed and botocore is not None:
            botocore.unregister_initializer(_initialize)
        if _STATE.emitters:
            handlers = _handlers()
            for emitter in list(_STATE.emitters):
                for event, handler, unique_id in handlers:
                    emitter.unregister(event, handler, unique_id=unique_id)
        _STATE.emitters.clear()
        _STATE.installed = _STATE.off = False


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    subclasses: list[type] = cls.__subclasses__()
    for subclass in subclasses:
        found += [subclass, *_subclasses(subclass)]
    return found


def _existing_emitters() -> list[Any]:
    """The emitters of the live clients and botocore Sessions, when a client was ever created.

    botocore makes a class per client (``ClientCreator._create_client_class``), so without a
    subclass of ``BaseClient`` there is no client and nothing is scanned. Otherwise the instances of
    those classes and of ``Session`` are found among the objects that refer to them
    (``gc.get_referrers``, one pass over the collector's objects): each is used at once, only
    through ``meta.events`` or ``get_component``, and none is kept.
    """
    base = getattr(sys.modules.get("botocore.client"), "BaseClient", None)
    kinds = _subclasses(base) if base is not None else []
    if not kinds:
        return []
    session = getattr(sys.modules.get("botocore.session"), "Session", None)
    if session is not None:
        kinds += [session, *_subclasses(session)]
    import gc  # deferred: only when clients exist

    emitters = []
    for found in gc.get_referrers(*kinds):
        if base is not None and isinstance(found, base):
            emitters.append(found.meta.events)
        elif session is not None and isinstance(found, session):
            emitters.append(found.get_component("event_emitter"))
    return emitters


def _emitter_of(target: Any) -> Any:
    meta = getattr(target, "meta", None)
    if meta is not None and hasattr(meta, "events"):
        return meta.events  # a client
    if hasattr(target, "events"):
        return target.events  # a boto3 Session
    if callable(getattr(target, "get_component", None)):
        return target.get_component("event_emitter")  # a botocore Session
    raise TypeError(f"install: expected a boto3 or botocore Session or a client, got {type(target).__name__}")


def _initialize(session: Any) -> None:
    """botocore's session initializer. It runs inside every ``Session()``: it must never raise there."""
    with _INITIALIZE, _STATE.lock:
        _register(session.get_component("event_emitter"))


def _handlers() -> tuple[tuple[str, Any, str], ...]:
    from lambda_otel_lite._aws_operations import HANDLERS  # deferred: only once botocore is in use

    return HANDLERS


def _register(emitter: Any) -> None:
    for event, handler, unique_id in _handlers():
        emitter.register(event, handler, unique_id=unique_id)  # a unique id registers once per emitter
    _STATE.emitters.add(emitter)
