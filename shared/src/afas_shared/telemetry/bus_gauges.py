"""What waits on the bus, sampled periodically by each service for its own durables and its own dead letters.

Gauges, not counters: a backlog is a level. Each process asks JetStream for the consumer info of **its own**
durables (``num_pending``: in the stream, not yet delivered; ``num_ack_pending``: delivered, not yet acked) and counts
the dead letters still waiting in **its own** database. Every replica of a service reports the same durables, so
dashboards and the autoscaler take ``max by (durable)``, never a sum. Labels: the service, the durable (one per
consumer and subject, a fixed list in the code), its stream; dead letters per consumer (the same list).

The samplers run as the runtime's periodic jobs (``ServiceRuntime.every``) every ``SAMPLE_SECONDS``, a little
faster than a usual 30-s scrape, so an alert's ``for:`` sees fresh values. A durable not created yet (the
subscriber starts after the first sample) or a broker away is skipped: the gauge keeps its last value and the
``afas_bus_sample_failures_total`` counter says so.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import sqlalchemy as sa
from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge
from sqlmodel import col

from afas_shared.db.engine import Database
from afas_shared.messaging.naming import BusNames
from afas_shared.messaging.tables import DeadLetter, DeadLetterAction

log = logging.getLogger(__name__)

SAMPLE_SECONDS = 15.0

CONSUMER_PENDING = Gauge(
    "afas_consumer_pending_messages",
    "Messages of the stream not yet delivered to this durable consumer (its lag)",
    ["service", "durable", "stream"],
)
CONSUMER_ACK_PENDING = Gauge(
    "afas_consumer_ack_pending_messages",
    "Messages delivered to this durable consumer and not yet acknowledged (being handled or waiting a retry)",
    ["service", "durable", "stream"],
)
DEAD_LETTERS_WAITING = Gauge(
    "afas_dead_letters_waiting",
    "Dead letters neither replayed nor discarded, per consumer (make dead-letters lists them)",
    ["service", "consumer"],
)
SAMPLE_FAILURES = Counter(
    "afas_bus_sample_failures_total", "Periodic bus or dead-letter samples that could not be taken", ["service", "what"]
)


class _Durable(Protocol):
    name: str
    contract_subject: str


class _Bus(Protocol):
    service: str
    names: BusNames
    consumers: list[Any]

    def jetstream(self) -> JetStreamContext | None: ...


def stream_of(names: BusNames, durable: _Durable) -> str:
    """The producer's stream a durable reads: subjects are ``<producer>.<event>.v<major>``."""
    return names.stream(durable.contract_subject.split(".", 1)[0])


async def sample_consumer_lag(bus: _Bus) -> int:
    """Set the lag gauges of every durable of this service; returns how many were read."""
    js = bus.jetstream()
    if js is None:
        return 0
    read = 0
    for durable in bus.consumers:
        stream = stream_of(bus.names, durable)
        try:
            info = await js.consumer_info(stream, durable.name, timeout=2.0)
        except Exception as exc:  # not created yet, or the broker went away between two durables
            SAMPLE_FAILURES.labels(bus.service, "consumer_info").inc()
            log.debug("%s: no consumer info for %s on %s: %s", bus.service, durable.name, stream, exc)
            continue
        CONSUMER_PENDING.labels(bus.service, durable.name, stream).set(info.num_pending or 0)
        CONSUMER_ACK_PENDING.labels(bus.service, durable.name, stream).set(info.num_ack_pending or 0)
        read += 1
    return read


def waiting_dead_letters_query() -> sa.Select:
    """Per consumer, dead letters neither replayed nor discarded (as ``dead_letters.list_dead_letters`` says)."""
    discarded = sa.select(col(DeadLetterAction.dead_letter_id)).where(col(DeadLetterAction.action) == "discarded")
    return (
        sa.select(col(DeadLetter.consumer), sa.func.count())
        .where(col(DeadLetter.replayed_at).is_(None), col(DeadLetter.id).not_in(discarded))
        .group_by(col(DeadLetter.consumer))
    )


async def sample_dead_letters(service: str, db: Database, consumers: list[Any]) -> dict[str, int]:
    """Set the waiting-dead-letter gauge of every consumer of this service (0 when none waits)."""
    async with db.sessions() as session:
        counts = {consumer: int(n) for consumer, n in (await session.execute(waiting_dead_letters_query())).all()}
    # Every known durable gets a value, so "none waiting" is a 0 and not a missing series an alert cannot see.
    for name in {c.name for c in consumers} | set(counts):
        DEAD_LETTERS_WAITING.labels(service, name).set(counts.get(name, 0))
    return counts


def bus_samplers(service: str, bus: _Bus, db: Database) -> list[tuple[float, Callable[[], Awaitable[Any]]]]:
    """The runtime's periodic jobs for the bus gauges (``ServiceRuntime.every`` pairs)."""

    async def consumer_lag() -> None:
        await sample_consumer_lag(bus)

    async def dead_letters() -> None:
        try:
            await sample_dead_letters(service, db, bus.consumers)
        except Exception:  # the database may be the thing that is away: readiness says it, not this job
            SAMPLE_FAILURES.labels(service, "dead_letters").inc()

    return [(SAMPLE_SECONDS, consumer_lag), (SAMPLE_SECONDS, dead_letters)]
