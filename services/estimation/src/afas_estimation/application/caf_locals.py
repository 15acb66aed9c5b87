"""A Caf's local values as one versioned whole: its local parameters, its territories and their amounts, and which
of its activities are assigned to which territory.

Every change of any of them bumps the Caf's version (``local_versions.bump``) in the change's own transaction, so
a copy read after the version (``load``) is never older than that version: an estimate that finds the version
unchanged may use its copy in memory; one that finds it moved reads the Caf's values again (another replica's
change included).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_estimation.adapters.tables import ActivityTerritory, CafLocalParameter
from afas_estimation.application.baremes import Effective, stored_provenance
from afas_estimation.application.local_parameters import localise
from afas_estimation.application.territories import name_of, territories_of
from afas_estimation.domain.parameters.local import LocalValue
from afas_estimation.domain.parameters.territories import FAMILY as TERRITORY_FAMILY
from afas_estimation.domain.parameters.territories import Territory


class CafLocals:
    """One Caf's local values at one version, and the barèmes localised with them (built once per national
    version and territory: the fingerprint of a barème is not free)."""

    def __init__(
        self,
        caf: str,
        version: int,
        values: dict[str, list[LocalValue]],
        territories: dict[str, Territory],
        assigned: dict[uuid.UUID, str],
    ) -> None:
        self.caf, self.version = caf, version
        self._values, self._territories, self._assigned = values, territories, assigned
        self._localised: dict[tuple[str, int, str | None], Effective] = {}

    def territory_of(self, family: str, activity_id: uuid.UUID | None) -> Territory | None:
        if activity_id is None or family != TERRITORY_FAMILY:
            return None
        code = self._assigned.get(activity_id)
        return self._territories.get(code) if code is not None else None

    def effective(self, national: Effective, activity_id: uuid.UUID | None) -> Effective:
        """``national`` with this Caf's values (and the activity's territory, if the Caf assigned it one): the same
        barème as ``local_parameters.localised`` reads from the database."""
        territory = self.territory_of(national.family, activity_id)
        # a national version names one barème: its changes bump it in their own transaction
        key = (national.family, national.version, territory.code if territory is not None else None)
        found = self._localised.get(key)
        if found is None:
            values = self._values.get(national.family, [])
            found = localise(national, values, territory, name_of(self.caf) if territory is not None else "")
            self._localised[key] = found
        return found


async def load(session: AsyncSession, caf: str, version: int) -> CafLocals:
    """``caf``'s local values as ``session`` sees them now (read after ``version``: never older than it)."""
    rows = await session.execute(
        sa.select(CafLocalParameter)
        .where(CafLocalParameter.caf_code == caf)
        .order_by(CafLocalParameter.family, CafLocalParameter.parameter, CafLocalParameter.applies_from)
    )
    values: dict[str, list[LocalValue]] = {}
    for r in rows.scalars():
        _, source = stored_provenance(r.provenance)
        if source is None:  # pragma: no cover - every local value is stored with a structured provenance
            continue
        values.setdefault(r.family, []).append(
            LocalValue(r.caf_code, r.family, r.parameter, r.applies_from, Decimal(r.value), source)
        )
    territories = {t.code: t for t in await territories_of(session, caf)}
    assigned = await session.execute(
        sa.select(ActivityTerritory.activity_id, ActivityTerritory.territory_code).where(
            ActivityTerritory.caf_code == caf
        )
    )
    return CafLocals(caf, version, values, territories, {a: code for a, code in assigned.all()})
