"""A Caf's local version: +1 in the transaction of every change of its local values (``caf_locals``), read with
the national barème's version in one statement by each estimate.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from afas_estimation.adapters.tables import BaremeVersion, CafLocalVersion


def caf_code(raw: object) -> str | None:
    """A Caf code as the local values are kept under (three digits), or None: no local values apply."""
    text = str(raw or "").strip()
    return text if len(text) == 3 and text.isdigit() else None


async def bump(session: AsyncSession, caf: str, now: datetime) -> None:
    """+1 on ``caf``'s local version, in the caller's transaction (one statement, the first change included: two
    concurrent first changes of a Caf cannot both insert)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = CafLocalVersion.__table__
    statement = dialect.insert(table).values(caf_code=caf, version=1, changed_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.caf_code], set_={"version": table.c.version + 1, "changed_at": now}
    )
    await session.execute(statement)


# Built once: the check every estimate makes (its family and Caf bound), compiled once by the engine's cache.
VERSIONS = sa.select(
    sa.select(BaremeVersion.version).where(BaremeVersion.family == sa.bindparam("family")).scalar_subquery(),
    sa.select(CafLocalVersion.version).where(CafLocalVersion.caf_code == sa.bindparam("caf")).scalar_subquery(),
)


def versions(family: str, caf: str | None) -> tuple[sa.Select, dict[str, str | None]]:
    """One statement and its parameters: the national barème's version of ``family`` and ``caf``'s local version
    (NULL: no change yet, version 0)."""
    return VERSIONS, {"family": family, "caf": caf}
