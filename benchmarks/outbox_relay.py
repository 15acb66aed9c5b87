"""Outbox relay throughput against a baseline measured in the same run.

Baselines: what a naive relay does (one JetStream publish awaiting its ack, then the row marked,
per event), and the bare publish awaiting each ack with no database at all.
Relay: ``OutboxRelay.publish_batch`` (async publishes, acks gathered per batch, rows marked sent).
Both drain the same number of committed outbox rows into a real nats-server.

    python benchmarks/outbox_relay.py [--events 5000] [--database-url URL] [--nats-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path

import nats
import sqlalchemy as sa
from sqlmodel import SQLModel

from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.db.engine import Database
from afas_shared.local_nats import LocalNatsServer
from afas_shared.messaging.naming import BusNames
from afas_shared.messaging.relay import OutboxRelay
from afas_shared.messaging.streams import ensure_stream, stream_config
from afas_shared.messaging.tables import OutboxRecord
from afas_shared.messaging.unit_of_work import unit_of_work


async def _fill_outbox(db: Database, events: int) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all, tables=[OutboxRecord.__table__])
        await conn.execute(sa.delete(OutboxRecord))
    for start in range(0, events, 500):
        async with unit_of_work(db) as uow:
            for i in range(start, min(events, start + 500)):
                user_id = uuid.uuid4()
                data = UserCreatedV1(
                    user_id=user_id,
                    identifier=f"{100000000 + i}",
                    last_name="Bench",
                    first_name=f"N{i}",
                    email=f"bench{i}@example.org",
                )
                uow.publish(data, subject=str(user_id), aggregate_version=1)


async def measure(nats_url: str, database_url: str, events: int, prefix: str) -> dict[str, float]:
    names = BusNames(prefix)
    db = Database(database_url)
    nc = await nats.connect(nats_url)
    js = nc.jetstream(publish_async_max_pending=4000)
    config = stream_config(names, "identity", replicas=1, duplicate_window=120, max_age_days=1)
    try:
        # Baseline: one publish, one awaited ack, one row marked — per event.
        await ensure_stream(js, config)
        await _fill_outbox(db, events)
        started = time.perf_counter()
        async with db.sessions() as session:
            rows = (await session.execute(sa.select(OutboxRecord).order_by(OutboxRecord.seq))).scalars().all()
        for row in rows:
            headers = {**json.loads(row.headers), "Nats-Msg-Id": row.event_id}
            await js.publish(names.subject(row.subject), row.payload.encode(), headers=headers)
            async with db.transaction() as session:
                await session.execute(
                    sa.update(OutboxRecord).where(OutboxRecord.seq == row.seq).values(sent_at=sa.func.now())
                )
        baseline = events / (time.perf_counter() - started)

        await js.delete_stream(config.name)
        await ensure_stream(js, config)
        started = time.perf_counter()
        for row in rows:
            headers = {**json.loads(row.headers), "Nats-Msg-Id": row.event_id}
            await js.publish(names.subject(row.subject), row.payload.encode(), headers=headers)
        publish_only = events / (time.perf_counter() - started)

        # The relay, on a fresh stream so de-duplication does not flatter it.
        await js.delete_stream(config.name)
        await ensure_stream(js, config)
        await _fill_outbox(db, events)
        relay = OutboxRelay("bench", db, lambda: js, names)
        started = time.perf_counter()
        while await relay.publish_batch():
            pass
        relay_rate = events / (time.perf_counter() - started)
        stored = (await js.stream_info(config.name)).state.messages
        if stored != events:
            raise AssertionError(f"stream holds {stored} messages, expected {events}")
        return {
            "events": events,
            "baseline_per_s": baseline,
            "publish_only_per_s": publish_only,
            "relay_per_s": relay_rate,
            "ratio": relay_rate / baseline,
        }
    finally:
        try:
            await js.delete_stream(config.name)
            async with db.engine.begin() as conn:
                await conn.run_sync(OutboxRecord.__table__.drop)
        finally:
            await nc.close()
            await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--database-url")
    parser.add_argument("--nats-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = None if args.nats_url else LocalNatsServer(Path(tmp) / "nats").start()
        try:
            url = args.nats_url or server.url
            db_url = args.database_url or f"sqlite:///{tmp}/bench.db"
            result = asyncio.run(measure(url, db_url, args.events, f"bench{uuid.uuid4().hex[:6]}"))
        finally:
            if server:
                server.stop()
    backend = "PostgreSQL" if args.database_url and "postgres" in args.database_url else "SQLite"
    print(report(result, backend))


def report(result: dict[str, float], backend: str) -> str:
    return (
        f"outbox relay: {result['relay_per_s']:,.0f} events/s = x{result['ratio']:.1f} a naive relay "
        f"({result['baseline_per_s']:,.0f}/s, await each ack + mark each row) and "
        f"x{result['relay_per_s'] / result['publish_only_per_s']:.1f} bare publishes awaiting each ack "
        f"({result['publish_only_per_s']:,.0f}/s); {result['events']} events, {backend}"
    )


if __name__ == "__main__":
    main()
