"""The broker dies and comes back while events are in flight: every one arrives, exactly once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import sqlalchemy as sa

from afas_shared.local_nats import LocalNatsServer
from afas_shared.messaging.tables import OutboxRecord
from afas_shared.testing.fixtures import eventually

EVENTS = 500


async def test_broker_killed_and_restarted_mid_flow_loses_and_doubles_nothing(
    probe, common_settings, tmp_path, report_measurement
):
    # Always our own nats-server: the shared one of the machine must never be killed.
    server = LocalNatsServer(tmp_path / "nats-store").start()
    try:
        common = common_settings.model_copy(update={"nats_url": server.url})
        p = await probe(common=common)

        emitting = asyncio.create_task(p.emit(EVENTS, per_transaction=10))
        await eventually(lambda: p.effects(), timeout=10, interval=0.01)  # the flow is under way
        server.kill()
        await emitting  # producers keep committing while the broker is down: the outbox holds it all
        await asyncio.sleep(1.0)
        server.start()

        started = time.monotonic()
        await eventually(lambda: _all_arrived(p), timeout=60, interval=0.1)
        caught_up = time.monotonic() - started
        effects = await p.effects()
    finally:
        server.stop()

    doubles = {e: n for e, n in Counter(effects).items() if n > 1}
    assert doubles == {}
    assert len(set(effects)) == EVENTS
    async with p.db.sessions() as session:
        unsent = await session.execute(
            sa.select(sa.func.count()).select_from(OutboxRecord).where(OutboxRecord.sent_at.is_(None))
        )
    assert unsent.scalar_one() == 0
    report_measurement(
        f"broker killed mid-flow: {EVENTS} events all consumed exactly once, caught up {caught_up:.1f}s after restart"
    )


async def _all_arrived(p) -> bool:
    return len(await p.effects()) >= EVENTS
