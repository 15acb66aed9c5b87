"""The barème an estimate applies — national, with the Caf's local values and the activity's territory — kept in
memory and checked on every use with one statement: the family's national version and the Caf's local version
(``local_versions``). A change by any replica bumps one of them in its own transaction, so the next estimate after
it commits reads afresh what moved, and never uses a stale value.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from afas_estimation.application.baremes import BaremeCache, Effective
from afas_estimation.application.caf_locals import CafLocals, load
from afas_estimation.application.local_versions import caf_code, versions
from afas_estimation.domain.rules.registry import rule_for
from afas_shared.db.engine import Database


class LocalisedBaremes:
    """National barèmes by family and each Caf's local values, in memory, checked against their versions."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.national = BaremeCache()
        self._cafs: dict[str, CafLocals] = {}

    async def effective(self, family: str, caf: str | None = None, activity_id: uuid.UUID | None = None) -> Effective:
        """For an instant estimate: the versions read on a bare connection (no session, and on PostgreSQL no
        transaction around one statement); a session only when something moved."""
        return (await self.versioned(family, caf, activity_id))[0]

    async def versioned(
        self, family: str, caf: str | None = None, activity_id: uuid.UUID | None = None
    ) -> tuple[Effective, tuple[int, int]]:
        """``effective``, with the family's national version and the Caf's local version it was read at."""
        rule_for(family)  # an unknown family is refused before any read
        code = caf_code(caf)
        async with self._db.engine.connect() as connection:
            if self._db.backend == "postgresql":
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            national_version, local_version = await self._versions(connection, family, code)
        found = self._kept(family, code, activity_id, national_version, local_version)
        if found is not None:
            return found, (national_version, local_version)
        async with self._db.sessions() as session:
            return await self._localised(session, family, caf, activity_id)

    async def localised(
        self, session: AsyncSession, family: str, caf: str | None, activity_id: uuid.UUID | None = None
    ) -> Effective:
        """The barème of ``family`` for the declarations of ``caf`` (and of ``activity_id``) as ``session`` sees
        the versions; what moved is read again after them, never older than the versions read."""
        return (await self._localised(session, family, caf, activity_id))[0]

    async def _localised(
        self, session: AsyncSession, family: str, caf: str | None, activity_id: uuid.UUID | None
    ) -> tuple[Effective, tuple[int, int]]:
        rule_for(family)
        code = caf_code(caf)
        national_version, local_version = await self._versions(session, family, code)
        national = await self.national.national(session, family, national_version)
        if code is None:
            return national, (national_version, local_version)
        mine = self._cafs.get(code)
        if mine is None or mine.version != local_version:
            mine = await load(session, code, local_version)
            self._cafs[code] = mine
        return mine.effective(national, activity_id), (national_version, local_version)

    @staticmethod
    async def _versions(reader: AsyncConnection | AsyncSession, family: str, caf: str | None) -> tuple[int, int]:
        statement, parameters = versions(family, caf)
        national, local = (await reader.execute(statement, parameters)).one()
        return national or 0, local or 0

    def _kept(
        self, family: str, caf: str | None, activity_id: uuid.UUID | None, national_version: int, local_version: int
    ) -> Effective | None:
        """The barème in memory if both versions are those read, else None."""
        national = self.national.kept(family, national_version)
        if national is None or caf is None:
            return national
        mine = self._cafs.get(caf)
        if mine is None or mine.version != local_version:
            return None
        return mine.effective(national, activity_id)
