"""Declarations per state and per campaign (a gauge), and transmissions (a counter), for the platform dashboard.

The gauge is computed periodically with **one** GROUP BY over the declarations joined to their campaign, never per
request: what a request changes shows at the next sample (``SAMPLE_SECONDS``). A campaign is its calendar key —
Caf, family, exercice, declaration type (unique, ``uq_campaign_calendar``) — so the labels are those four and the
state: a few hundred campaigns a year times nine states at most, and only the pairs that hold declarations. Every
replica computes the same figures: dashboards take ``max``, never a sum, over pods.

Transmissions are counted where they commit (``application.transmission``), by declaration type only, so the
dashboard shows transmits per minute at the deadline without one series per partner.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import Counter, Gauge
from sqlalchemy import Select, func, select
from sqlmodel import col

from afas_declaration.adapters.tables import Campaign, Declaration
from afas_shared.db.engine import Database

SAMPLE_SECONDS = 60.0
LABELS = ["caf", "family", "exercice", "declaration_type", "state"]

DECLARATIONS = Gauge("afas_declarations", "Declarations per campaign (Caf, family, exercice, type) and state", LABELS)
TRANSMITTED = Counter("afas_declarations_transmitted_total", "Declarations transmitted", ["declaration_type"])


def count_transmitted(declaration_type: str) -> None:
    TRANSMITTED.labels(declaration_type).inc()


def per_state_and_campaign() -> Select:
    return (
        select(
            col(Campaign.caf_code),
            col(Campaign.family),
            col(Campaign.exercice),
            col(Campaign.declaration_type),
            col(Declaration.state),
            func.count(),
        )
        .join(Campaign, col(Campaign.id) == col(Declaration.campaign_id))
        .group_by(
            col(Campaign.caf_code),
            col(Campaign.family),
            col(Campaign.exercice),
            col(Campaign.declaration_type),
            col(Declaration.state),
        )
    )


async def sample_declarations(db: Database) -> dict[tuple[str, ...], int]:
    """One query, then the gauge replaced as a whole (a pair that emptied disappears instead of staying frozen)."""
    async with db.sessions() as session:
        rows = (await session.execute(per_state_and_campaign())).all()
    counts: dict[tuple[str, ...], int] = {
        (caf, family, str(exercice), kind, state): int(n) for caf, family, exercice, kind, state, n in rows
    }
    # No await between clear and set: a scrape, served by the same event loop, never sees the gauge half-filled.
    DECLARATIONS.clear()
    for labels, n in counts.items():
        DECLARATIONS.labels(*labels).set(n)
    return counts


def declaration_sampler(db: Database) -> Callable[[], Awaitable[None]]:
    """The periodic job for ``ServiceRuntime.every``."""

    async def declarations_per_state() -> None:
        await sample_declarations(db)

    return declarations_per_state
