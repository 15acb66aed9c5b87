"""The PDF receipt of a transmitted version, rendered off the request path.

A transmit seals the snapshot and its hash at the click and stores the version with its receipt still to make
(``PENDING``); the answer does not wait for the PDF. The receipt is then rendered from the stored snapshot by a
worker process (``adapters.receipt_workers``) and written beside it. Nothing is lost if the service dies in
between: the reconciliation (``AFAS_DECLARATION_RECEIPT_RECONCILE_SECONDS``, and once as the service comes up)
renders every receipt still pending, and a download of one renders it too. The same snapshot gives the same bytes,
so two replicas rendering the same receipt write the same PDF, and only the first write lands.

A download waits for a pending receipt at most ``AFAS_DECLARATION_RECEIPT_WAIT_SECONDS``, then answers « en
préparation » (``ReceiptPending``: HTTP 503 with Retry-After).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters import receipt_workers
from afas_declaration.adapters.tables import Transmission
from afas_shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

# Stored in place of the PDF until it is rendered: the column stays NOT NULL, and every stored receipt is a PDF
PENDING = b""
PREPARING = "Accusé de réception en préparation, réessayez dans quelques secondes."
RETRY_AFTER_SECONDS = 3
# Pending receipts rendered per pass of the reconciliation: a backlog is worked off without holding everything
_RECONCILE_BATCH = 100

Key = tuple[uuid.UUID, int]  # (declaration, version): one transmission


class ReceiptPending(Exception):
    """The receipt is not rendered yet: the caller should try again in a few seconds."""

    def __init__(self) -> None:
        super().__init__(PREPARING)
        self.retry_after = RETRY_AFTER_SECONDS


class Receipts:
    """The service's receipt renderings: at most one in flight per transmission in this process."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self._runtime = runtime
        self._workers: int = runtime.settings.receipt_workers
        self._rendering: dict[Key, asyncio.Task[bytes]] = {}

    def render(self, key: Key, snapshot: Mapping[str, Any]) -> asyncio.Task[bytes]:
        """Render and store the receipt of ``key`` in a worker process; the render already in flight if any."""
        running = self._rendering.get(key)
        if running is not None:
            return running
        task = asyncio.create_task(self._render_and_store(key, snapshot), name=f"receipt-{key[0]}-v{key[1]}")
        self._rendering[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))
        return task

    def _finished(self, key: Key, task: asyncio.Task[bytes]) -> None:
        self._rendering.pop(key, None)
        if not task.cancelled() and task.exception() is not None:  # the reconciliation will try again
            log.error("receipt of %s v%s not rendered", key[0], key[1], exc_info=task.exception())

    async def _render_and_store(self, key: Key, snapshot: Mapping[str, Any]) -> bytes:
        executor = receipt_workers.pool(self._workers)
        try:
            pdf = await asyncio.get_running_loop().run_in_executor(executor, receipt_workers.render, dict(snapshot))
        except receipt_workers.BrokenProcessPool:
            receipt_workers.discard(executor)
            raise
        async with self._runtime.db.transaction() as session:
            await session.execute(
                sa.update(Transmission)
                .where(
                    Transmission.declaration_id == key[0],
                    Transmission.version == key[1],
                    Transmission.receipt == PENDING,
                )
                .values(receipt=pdf)
            )
        return pdf

    async def wait(self, key: Key, snapshot_text: str) -> bytes:
        """The receipt of ``key``, rendered now if no one is at it, waited for a bounded time."""
        task = self.render(key, json.loads(snapshot_text))
        try:
            return await asyncio.wait_for(asyncio.shield(task), self._runtime.settings.receipt_wait_seconds)
        except TimeoutError:
            raise ReceiptPending from None

    async def settle(self) -> None:
        """Until the renders in flight in this process have ended (stored or failed)."""
        await asyncio.gather(*self._rendering.values(), return_exceptions=True)

    async def reconcile(self) -> int:
        """Render the receipts still pending (a transmit whose process died before its receipt was stored)."""
        async with self._runtime.db.sessions() as session:
            rows = (
                await session.execute(
                    sa.select(Transmission.declaration_id, Transmission.version, Transmission.snapshot)
                    .where(Transmission.receipt == PENDING)
                    .order_by(Transmission.transmitted_at)
                    .limit(_RECONCILE_BATCH)
                )
            ).all()
        tasks = [self.render((row.declaration_id, row.version), json.loads(row.snapshot)) for row in rows]
        done = await asyncio.gather(*tasks, return_exceptions=True)
        rendered = sum(1 for outcome in done if isinstance(outcome, bytes))
        if rows:
            log.info("receipt reconciliation: %d pending receipt(s) rendered of %d", rendered, len(rows))
        return rendered

    async def serve(self) -> None:
        """For the runtime's life: the workers started with their fonts, then the reconciliation at its pace; the
        workers end when the runtime stops (this task is cancelled)."""
        try:
            await asyncio.gather(*(asyncio.wrap_future(f) for f in receipt_workers.warm(self._workers)))
            while True:
                try:
                    await self.reconcile()
                except Exception:  # the database may be away: the next pass tries again
                    log.exception("receipt reconciliation failed")
                await asyncio.sleep(self._runtime.settings.receipt_reconcile_seconds)
        finally:
            receipt_workers.shut_down()


def of(runtime: ServiceRuntime) -> Receipts:
    """The runtime's receipts (one per runtime, made on first use)."""
    receipts = runtime.state.get("receipts")
    if receipts is None:
        receipts = runtime.state["receipts"] = Receipts(runtime)
    return receipts
