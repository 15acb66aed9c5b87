"""Where "now" comes from: the system in production, a hand-turned clock in tests.

Code that decides on time (token expiry, idle sessions, lockouts) takes a ``Clock`` rather than calling
``datetime.now`` so a test can jump an hour ahead without sleeping.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Stands still until told to move; starts at the real current time unless given a moment."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = _aware_utc(start) if start is not None else datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = _aware_utc(moment)


def _aware_utc(moment: datetime) -> datetime:
    # A naive datetime compared with an aware one raises far from the cause; refuse it here instead.
    if moment.tzinfo is None:
        raise ValueError("a clock needs a timezone-aware datetime")
    return moment.astimezone(UTC)


PARIS = ZoneInfo("Europe/Paris")


def paris_today(now: datetime) -> date:
    """The French calendar day of an instant: dates of accounts, grants and campaigns are Paris days."""
    return now.astimezone(PARIS).date()
