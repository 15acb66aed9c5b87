"""The totals of the large declaration lists, counted on a first page and reused for a short while.

A Caf's « Mes déclarations » counts every declaration of the Caf (20,000 in the read benchmark, tens of thousands at
national scale) on each first page: a scan of all its rows for a figure that moves by a few a minute. The count is
kept per list and filters for ``list_total_cache_seconds``; the first pages served meanwhile read no count and
answer the kept total as approximate (``total_approche``: « environ »). A partner's lists are small and counted
every time; so is a list that fits in its first page (its total is its rows). Kept per process, keyed by the Caf
and the filters: one Caf's total never answers another's list.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable

CAPACITY = 1024  # lists × filters kept at most, the oldest forgotten first


class ListTotals:
    def __init__(self, ttl_seconds: float, capacity: int = CAPACITY) -> None:
        self._ttl = ttl_seconds
        self._capacity = capacity
        self._kept: OrderedDict[Hashable, tuple[int, float]] = OrderedDict()

    def get(self, key: Hashable) -> int | None:
        """The total kept for ``key`` if counted less than the TTL ago."""
        if self._ttl <= 0:
            return None
        kept = self._kept.get(key)
        if kept is None:
            return None
        if time.monotonic() - kept[1] >= self._ttl:
            del self._kept[key]
            return None
        return kept[0]

    def keep(self, key: Hashable, total: int) -> None:
        if self._ttl <= 0:
            return
        self._kept.pop(key, None)
        while len(self._kept) >= self._capacity:
            self._kept.popitem(last=False)
        self._kept[key] = (total, time.monotonic())
