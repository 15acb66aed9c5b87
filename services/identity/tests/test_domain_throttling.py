"""Login throttling: slowed down after 3 failures, locked 15 minutes at the 5th, forgotten after 15 quiet minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afas_identity.domain.throttling import (
    LOCK_DURATION,
    SLOWDOWN_DELAY,
    Decision,
    ThrottleState,
    after_failure,
    after_success,
    blocked_message,
    check,
)

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def _failures(count: int, *, start: datetime = T0, every: timedelta = timedelta(seconds=10)) -> ThrottleState:
    state = ThrottleState()
    for i in range(count):
        now = start + i * every
        assert check(state, now).allowed
        state = after_failure(state, now)
    return state


def test_a_fresh_state_is_allowed():
    assert check(ThrottleState(), T0) == Decision(True, None)


def test_two_failures_do_not_slow_down():
    state = _failures(2)
    assert check(state, state.last_failure_at) == Decision(True, None)


def test_four_failures_slow_down_but_do_not_lock():
    state = _failures(4)
    last = state.last_failure_at
    assert state.failures == 4
    assert state.locked_until is None
    assert check(state, last + timedelta(seconds=2)) == Decision(False, timedelta(seconds=3))
    assert check(state, last + SLOWDOWN_DELAY) == Decision(True, None)


def test_the_fifth_failure_locks_for_15_minutes():
    state = _failures(5)
    last = state.last_failure_at
    assert state.locked_until == last + timedelta(minutes=15)
    assert check(state, last + timedelta(seconds=30)) == Decision(False, timedelta(minutes=14, seconds=30))
    assert check(state, last + LOCK_DURATION - timedelta(seconds=1)).allowed is False


def test_unlocked_after_the_lock_and_counting_starts_again():
    state = _failures(5)
    end = state.locked_until
    assert check(state, end) == Decision(True, None)
    again = after_failure(state, end)
    assert again.failures == 1
    assert again.locked_until is None


def test_old_failures_are_forgotten():
    state = _failures(4)
    later = state.last_failure_at + timedelta(minutes=15)
    assert check(state, later) == Decision(True, None)
    state = after_failure(state, later)
    assert state.failures == 1
    assert check(state, later) == Decision(True, None)


def test_failures_within_memory_accumulate():
    state = _failures(4, every=timedelta(minutes=14))
    assert state.failures == 4
    state = after_failure(state, state.last_failure_at + timedelta(minutes=14))
    assert state.locked_until is not None


def test_success_resets():
    state = _failures(4)
    assert after_success(state) == ThrottleState()
    assert check(after_success(state), state.last_failure_at) == Decision(True, None)


@pytest.mark.parametrize(
    ("retry_after", "text"),
    [
        (timedelta(minutes=15), "15 minutes"),
        (timedelta(minutes=14, seconds=1), "15 minutes"),
        (timedelta(minutes=1, seconds=1), "2 minutes"),
        (timedelta(seconds=60), "1 minute"),
        (timedelta(seconds=59, milliseconds=1), "1 minute"),
        (timedelta(seconds=5), "5 secondes"),
        (timedelta(seconds=4, milliseconds=200), "5 secondes"),
        (timedelta(milliseconds=300), "1 seconde"),
    ],
)
def test_blocked_message(retry_after, text):
    assert blocked_message(retry_after) == f"Trop de tentatives de connexion. Réessayez dans {text}."


def test_the_address_policy_locks_only_at_its_own_threshold_and_never_slows_down():
    from datetime import UTC, datetime, timedelta

    from afas_identity.domain import throttling

    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    policy = throttling.address_policy(20)
    state = throttling.ThrottleState()
    for _ in range(19):
        state = throttling.after_failure(state, now, policy)
        assert throttling.check(state, now, policy).allowed  # no slowdown, no lock yet
    state = throttling.after_failure(state, now, policy)
    assert not throttling.check(state, now + timedelta(minutes=14), policy).allowed
    account = throttling.ThrottleState()
    for _ in range(5):
        account = throttling.after_failure(account, now)
    assert not throttling.check(account, now).allowed  # the identifier's policy is unchanged: 5 failures lock
