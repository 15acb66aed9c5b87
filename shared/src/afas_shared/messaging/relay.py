"""Outbox relay: publishes committed events to JetStream, marks them sent on the server's ack.

Woken right after a commit, and polling as a safety net (a crash between commit and wake, or a
second replica's rows). Publishing with ``Nats-Msg-Id`` = event id makes a re-publish after a
crash a no-op inside the stream's duplicate window; consumers are idempotent beyond it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import cast

import sqlalchemy as sa
from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge
from sqlmodel import col

from afas_shared.db.engine import Database
from afas_shared.messaging.naming import BusNames
from afas_shared.messaging.tables import OutboxRecord, utcnow

log = logging.getLogger(__name__)

PUBLISHED = Counter("afas_outbox_published_total", "Events published by the outbox relay", ["service"])
PENDING = Gauge("afas_outbox_pending", "Events committed but not yet acknowledged by the broker", ["service"])
FAILURES = Counter("afas_outbox_publish_failures_total", "Failed outbox publish batches", ["service"])

SENT_RETENTION = timedelta(days=7)  # sent rows kept for investigation, then purged
PURGE_EVERY_SECONDS = 3600.0


class OutboxRelay:
    def __init__(
        self,
        service: str,
        db: Database,
        js_provider,
        names: BusNames,
        *,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        ack_timeout: float = 5.0,
    ) -> None:
        self.service = service
        self.db = db
        self._js_provider = js_provider  # callable returning the current JetStreamContext or None
        self.names = names
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.ack_timeout = ack_timeout
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._last_purge = float("-inf")
        self.published = 0

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.service}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                while await self.publish_batch():
                    pass
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database away: keep the rows, try again later
                FAILURES.labels(self.service).inc()
                log.warning("outbox relay: %s; retrying in %.1fs", exc, backoff)
                await self._update_pending_gauge()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            await self._purge_if_due()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

    async def publish_batch(self) -> int:
        """Publish up to one batch of unsent rows; return how many were acknowledged."""
        js: JetStreamContext | None = self._js_provider()
        if js is None:
            raise ConnectionError("not connected to NATS")
        if self.db.backend == "postgresql":
            # Rows stay locked while published, so two replicas share the work instead of both
            # publishing every row.
            async with self.db.transaction() as session:
                rows = (await session.execute(self._unsent().with_for_update(skip_locked=True))).all()
                if rows:
                    await self._publish(js, rows)
                    await session.execute(self._mark_sent(rows))
        else:
            # SQLite: never hold the single writer lock across network round trips.
            async with self.db.transaction() as session:
                rows = (await session.execute(self._unsent())).all()
            if rows:
                await self._publish(js, rows)
                async with self.db.transaction() as session:
                    await session.execute(self._mark_sent(rows))
        if not rows:
            PENDING.labels(self.service).set(0)
            return 0
        self.published += len(rows)
        PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

    def _unsent(self) -> sa.Select:
        return (
            sa.select(
                col(OutboxRecord.seq),
                col(OutboxRecord.event_id),
                col(OutboxRecord.subject),
                col(OutboxRecord.payload),
                col(OutboxRecord.headers),
            )
            .where(col(OutboxRecord.sent_at).is_(None))
            .order_by(col(OutboxRecord.seq))
            .limit(self.batch_size)
        )

    @staticmethod
    def _mark_sent(rows) -> sa.Update:
        return sa.update(OutboxRecord).where(col(OutboxRecord.seq).in_([r.seq for r in rows])).values(sent_at=utcnow())

    async def _publish(self, js: JetStreamContext, rows) -> None:
        futures = []
        for row in rows:
            headers = json.loads(row.headers)
            headers["Nats-Msg-Id"] = row.event_id
            futures.append(
                await js.publish_async(self.names.subject(row.subject), row.payload.encode(), headers=headers)
            )
        # An ack lost to a broker crash must not hang the relay: time out and retry the batch.
        await asyncio.wait_for(asyncio.gather(*futures), timeout=self.ack_timeout)

    async def pending(self) -> int:
        async with self.db.sessions() as session:
            return (
                await session.execute(
                    sa.select(sa.func.count()).select_from(OutboxRecord).where(col(OutboxRecord.sent_at).is_(None))
                )
            ).scalar_one()

    async def _update_pending_gauge(self) -> None:
        # What operators watch while the broker is away: how many events wait in the outbox.
        try:
            PENDING.labels(self.service).set(await self.pending())
        except Exception:  # the database may be the thing that is away
            pass

    async def _purge_if_due(self) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._last_purge >= PURGE_EVERY_SECONDS:
            self._last_purge = now
            purged = await self.purge_sent()
            if purged:
                log.info("outbox relay: purged %d events sent more than %s ago", purged, SENT_RETENTION)

    async def purge_sent(self) -> int:
        async with self.db.transaction() as session:
            result = await session.execute(
                sa.delete(OutboxRecord).where(col(OutboxRecord.sent_at) < utcnow() - SENT_RETENTION)
            )
            return cast("sa.CursorResult", result).rowcount or 0  # a DELETE gives a CursorResult
