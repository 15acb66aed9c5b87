"""Login throttling policy: slow down, then lock, after repeated failures. The clock is passed in.

The application applies it with one state per key:

- per account identifier (``ACCOUNT``), including identifiers that match no account, so that the responses (and
  their delays) never reveal whether an account exists; a success does not wipe it, so failures mixed with the
  owner's successes (4 failures, 1 success, again…) still lock the identifier;
- per (identifier, source address) pair (``ACCOUNT``), wiped by a success from that pair only;
- per source address (``address_policy``), with a much higher threshold and no slowdown, so that one machine cannot
  try many identifiers, while one mistyped identifier never locks out an office behind one NAT.

After ``slowdown_after`` failures, each attempt must wait SLOWDOWN_DELAY after the previous failure; the
``max_failures``-th failure locks for LOCK_DURATION. A quiet period of FAILURE_MEMORY since the last failure, or the
end of a lock, wipes the count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from afas_shared.french_plural import counted

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
FAILURE_MEMORY = timedelta(minutes=15)
SLOWDOWN_AFTER = 3
SLOWDOWN_DELAY = timedelta(seconds=5)


@dataclass(frozen=True)
class Policy:
    max_failures: int = MAX_FAILURES
    slowdown_after: int | None = SLOWDOWN_AFTER


ACCOUNT = Policy()


def address_policy(max_failures: int) -> Policy:
    return Policy(max_failures=max_failures, slowdown_after=None)


@dataclass(frozen=True)
class ThrottleState:
    failures: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: timedelta | None = None


def _current(state: ThrottleState, now: datetime) -> ThrottleState:
    """The state with what is over forgotten."""
    if state.locked_until is not None and now >= state.locked_until:
        return ThrottleState()
    if state.last_failure_at is not None and now - state.last_failure_at >= FAILURE_MEMORY:
        return ThrottleState()
    return state


def check(state: ThrottleState, now: datetime, policy: Policy = ACCOUNT) -> Decision:
    state = _current(state, now)
    if state.locked_until is not None:
        return Decision(False, state.locked_until - now)
    slowdown = policy.slowdown_after
    if slowdown is not None and state.failures >= slowdown and state.last_failure_at is not None:
        slowed_until = state.last_failure_at + SLOWDOWN_DELAY
        if now < slowed_until:
            return Decision(False, slowed_until - now)
    return Decision(True, None)


def after_failure(state: ThrottleState, now: datetime, policy: Policy = ACCOUNT) -> ThrottleState:
    state = _current(state, now)
    failures = state.failures + 1
    locked_until = now + LOCK_DURATION if failures >= policy.max_failures else None
    return ThrottleState(failures=failures, last_failure_at=now, locked_until=locked_until)


def after_success(state: ThrottleState) -> ThrottleState:
    return ThrottleState()


def blocked_message(retry_after: timedelta) -> str:
    seconds = max(1, math.ceil(retry_after.total_seconds()))
    if seconds < 60:
        wait = counted(seconds, "seconde")
    else:
        wait = counted(math.ceil(seconds / 60), "minute")
    return f"Trop de tentatives de connexion. Réessayez dans {wait}."
