"""The wait-then-run loop of a background worker: woken at once when work is added, every ``poll_seconds`` anyway
(work a crash interrupted, or another replica left, is picked up again without anybody asking)."""

from __future__ import annotations

import asyncio

POLL_SECONDS = 30.0


class Wakeable:
    poll_seconds: float = POLL_SECONDS

    def __init__(self) -> None:
        self._wake = asyncio.Event()

    def kick(self) -> None:
        self._wake.set()

    async def work(self) -> None:
        """One wait-then-run cycle (the runtime repeats it)."""
        try:
            await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        except TimeoutError:
            pass
        self._wake.clear()
        await self.run_pending()

    async def run_pending(self) -> int:
        raise NotImplementedError
