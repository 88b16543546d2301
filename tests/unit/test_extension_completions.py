"""Handler-complete signals as the extension thread reads them (single-threaded: signals sent first)."""

from __future__ import annotations

import time

from lambda_otel_lite._extension import _Completions

PAST = 0.0  # a deadline that has passed: wait() reads what is there and returns


def test_a_signal_sent_before_the_wait_completes_it_at_once_with_its_provider() -> None:
    completions = _Completions()
    provider = object()
    completions.complete("r1", provider)
    assert completions.wait("r1", PAST) == (True, [provider])


def test_a_signal_of_another_invocation_is_stale_but_its_provider_is_flushed_with_the_current_one() -> None:
    completions = _Completions()
    late, current = object(), object()
    completions.complete("r0", late)
    completions.complete("r1", current)
    assert completions.wait("r1", PAST) == (True, [late, current])


def test_a_stale_signal_alone_does_not_complete_the_wait() -> None:
    completions = _Completions()
    late = object()
    completions.complete("r0", late)
    assert completions.wait("r1", PAST) == (False, [late])


def test_a_signal_without_request_id_completes_any_invocation() -> None:
    completions = _Completions()
    completions.complete(None, None)
    assert completions.wait("r1", PAST) == (True, [None])


def test_without_a_signal_the_deadline_gives_the_last_provider_ever_signalled() -> None:
    completions = _Completions()
    assert completions.wait("r1", PAST) == (False, [None])  # none yet: the active provider
    provider = object()
    completions.complete("r1", provider)
    assert completions.wait("r1", PAST) == (True, [provider])
    assert completions.wait("r2", PAST) == (False, [provider])


def test_signals_are_read_once_and_repeated_ones_name_their_provider_once() -> None:
    completions = _Completions()
    provider = object()
    completions.complete("r1", provider)
    completions.complete("r1", provider)  # a wake-up is pending already: no error reaches the handler
    assert completions.wait("r1", PAST) == (True, [provider])
    assert completions.wait("r1", PAST) == (False, [provider])  # nothing left over for the next invocation


def test_a_signal_read_without_blocking_leaves_no_wake_up_behind() -> None:
    """A wake-up left pending would end the next wait for a signal at once."""
    completions = _Completions()
    completions.complete("r1", None)
    assert completions.wait("r1", PAST) == (True, [None])  # read from the list: its wake-up is dropped too
    started = time.monotonic()
    completions.wait_signal(0.05)
    assert time.monotonic() - started >= 0.05


def test_wait_signal_returns_at_once_for_a_pending_signal_and_leaves_it_for_wait() -> None:
    completions = _Completions()
    provider = object()
    completions.complete("r1", provider)
    completions.wait_signal(30.0)  # would block 30 s without the signal
    assert completions.wait("r1", PAST) == (True, [provider])


def test_wait_signal_without_a_signal_returns_after_its_timeout() -> None:
    completions = _Completions()
    started = time.monotonic()
    completions.wait_signal(0.05)
    assert time.monotonic() - started >= 0.05
    assert completions.wait("r1", PAST) == (False, [None])
