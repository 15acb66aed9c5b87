"""Declarations per state and per campaign (a gauge), and transmissions (a counter), for the platform dashboard.

The gauge is computed periodically with **one** statement (declarations grouped per campaign and state, joined to
their campaign), never per request: what a request changes shows at the next sample (``SAMPLE_SECONDS``). A campaign
is its calendar key — Caf, family, exercice, declaration type (unique, ``uq_campaign_calendar``) — so the labels are
those four and the state: a few hundred campaigns a year times nine states at most, and only the pairs that hold
declarations. Every replica computes the same figures: dashboards take ``max``, never a sum, over pods.

Transmissions are counted where they commit (``application.transmission``), by declaration type only, so the
dashboard shows transmits per minute at the deadline without one series per partner.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Select, func, select
from sqlmodel import col

from afas_declaration.adapters.tables import Campaign, Declaration
from afas_shared.db.engine import Database

SAMPLE_SECONDS = 60.0
LABELS = ["caf", "family", "exercice", "declaration_type", "state"]


class DeclarationsGauge(Collector):
    """``afas_declarations``: the last sample's counts, exposed as they are at each scrape.

    A collector rather than a ``Gauge``: a sample replaces the whole table in one assignment (a pair that emptied
    disappears, no scrape sees it half-filled), and the event loop does not set a few thousand series every minute
    (65 ms for 2,100 series on a loaded box; the scrape formats them once anyway).
    """

    def __init__(self) -> None:
        self.counts: dict[tuple[str, ...], int] = {}

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "afas_declarations", "Declarations per campaign (Caf, family, exercice, type) and state", labels=LABELS
        )
        for labels, n in self.counts.items():
            family.add_metric(list(labels), n)
        yield family


DECLARATIONS = DeclarationsGauge()
REGISTRY.register(DECLARATIONS)
TRANSMITTED = Counter("afas_declarations_transmitted_total", "Declarations transmitted", ["declaration_type"])


def count_transmitted(declaration_type: str) -> None:
    TRANSMITTED.labels(declaration_type).inc()


def per_state_and_campaign() -> Select:
    """One statement: the declarations counted per (campaign id, state) first, then the few hundred groups joined to
    their campaign's labels — four times faster than grouping the joined rows (70,000 declarations on PostgreSQL:
    65 ms against 285 ms in the same run)."""
    counted = (
        select(col(Declaration.campaign_id), col(Declaration.state), func.count().label("n"))
        .group_by(col(Declaration.campaign_id), col(Declaration.state))
        .subquery()
    )
    return select(
        col(Campaign.caf_code),
        col(Campaign.family),
        col(Campaign.exercice),
        col(Campaign.declaration_type),
        counted.c.state,
        counted.c.n,
    ).join(counted, counted.c.campaign_id == col(Campaign.id))


async def sample_declarations(db: Database) -> dict[tuple[str, ...], int]:
    """One query, then the gauge's table replaced as a whole (a pair that emptied disappears, not frozen)."""
    async with db.sessions() as session:
        rows = (await session.execute(per_state_and_campaign())).all()
    counts: dict[tuple[str, ...], int] = {
        (caf, family, str(exercice), kind, state): int(n) for caf, family, exercice, kind, state, n in rows
    }
    DECLARATIONS.counts = counts
    return counts


def declaration_sampler(db: Database) -> Callable[[], Awaitable[None]]:
    """The periodic job for ``ServiceRuntime.every``."""

    async def declarations_per_state() -> None:
        await sample_declarations(db)

    return declarations_per_state
