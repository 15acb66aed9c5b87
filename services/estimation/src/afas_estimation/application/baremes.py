"""Barèmes as data: the effective barème (file + Caf changes) and its listing with history.

Changing a value (national paramétrage) is ``bareme_changes``.
Resolution reads the family's version first: the estimate request keeps the resolved barème in memory and
rebuilds it only when the version moved (another replica's change included).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_estimation.adapters.tables import BaremeVersion, ParameterChange, ParameterOverride
from afas_estimation.domain.errors import EstimationError
from afas_estimation.domain.explanation import french
from afas_estimation.domain.parameters.loader import load_family
from afas_estimation.domain.parameters.model import DatedValue, FamilyParameters, Provenance
from afas_estimation.domain.parameters.overrides import (
    Override,
    apply_overrides,
    fingerprint,
    parse_stored,
    value_text,
)
from afas_estimation.domain.rules.registry import rule_for
from afas_shared.db.engine import Database
from afas_shared.messaging.rpc import RpcFailure


def stored_provenance(text: str) -> tuple[str, Provenance | None]:
    """A stored provenance (JSON of a structured one, or the free text of an older change) as text + structure."""
    if text.startswith("{"):
        try:
            raw = json.loads(text)
            found = Provenance(
                raw["titre"], raw["emetteur"], date.fromisoformat(raw["date"]), raw["reference"], raw.get("note", "")
            )
        except (ValueError, KeyError, TypeError):
            return text, None
        return found.text(), found
    return text, None  # free text (before structured provenance): shown, but the value counts as unsourced


@dataclass(frozen=True)
class Effective:
    """A family's barème as it applies now: the file with every change, its version and fingerprint."""

    family: str
    bareme: FamilyParameters
    version: int
    fingerprint: str


async def current_version(session: AsyncSession, family: str) -> int:
    found = await session.execute(sa.select(BaremeVersion.version).where(BaremeVersion.family == family))
    return found.scalar_one_or_none() or 0


async def overrides_of(session: AsyncSession, family: str) -> list[ParameterOverride]:
    rows = await session.execute(
        sa.select(ParameterOverride)
        .where(ParameterOverride.family == family)
        .order_by(ParameterOverride.version, ParameterOverride.changed_at)
    )
    return list(rows.scalars())


async def resolve(session: AsyncSession, family: str) -> Effective:
    """The effective barème of ``family`` read from the database (one version + one override query)."""
    rule_for(family)  # an unknown family is refused with the list of known ones
    version = await current_version(session, family)
    rows = await overrides_of(session, family)
    bareme = apply_overrides(
        load_family(family),
        [
            Override(r.parameter, r.nature, r.applies_from, parse_stored(r.value), *stored_provenance(r.provenance))
            for r in rows
        ],
    )
    return Effective(family, bareme, version, fingerprint(bareme))


class BaremeCache:
    """Effective barèmes kept in memory by family, checked against the family's version on every use."""

    def __init__(self) -> None:
        self._cache: dict[str, Effective] = {}

    def kept(self, family: str, version: int) -> Effective | None:
        """The barème in memory if it is at ``version``."""
        cached = self._cache.get(family)
        return cached if cached is not None and cached.version == version else None

    async def national(self, session: AsyncSession, family: str, version: int | None = None) -> Effective:
        """The national barème of ``family`` as ``session`` sees its version (``version`` when the caller read it
        already): rebuilt only when it moved."""
        rule_for(family)
        cached = self._cache.get(family)
        if version is None:
            version = await current_version(session, family)
        if cached is None or cached.version != version:
            cached = await resolve(session, family)
            self._cache[family] = cached
        return cached


# --- listing ---------------------------------------------------------------------------------------------


def value_json(value: DatedValue, unit: str, nature: str | None, overrides: dict) -> dict[str, Any]:
    override = overrides.get((nature, value.start))
    return {
        "applicable_depuis": value.start.isoformat(),
        "valeur": value_text(value.value),
        "affichage": french(value.value, unit),
        "provenance": value.reference,
        "provenance_detail": value.source.as_json() if value.source is not None else None,
        "source": value.sourced,
        "origine": "parametrage" if override is not None else "fichier",
        "version": override.version if override is not None else None,
        "modifie_par": str(override.changed_by) if override is not None and override.changed_by else None,
        "modifie_le": override.changed_at.isoformat() if override is not None else None,
    }


def change_json(c: ParameterChange) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "parametre": c.parameter,
        "nature": c.nature,
        "applicable_depuis": c.applies_from.isoformat(),
        "ancienne_valeur": c.old_value,
        "ancienne_valeur_depuis": c.old_since.isoformat() if c.old_since else None,
        "ancienne_provenance": stored_provenance(c.old_provenance)[0] if c.old_provenance else None,
        "nouvelle_valeur": c.new_value,
        "provenance": stored_provenance(c.provenance)[0],
        "provenance_detail": (lambda found: found.as_json() if found else None)(stored_provenance(c.provenance)[1]),
        "motif": c.reason,
        "version": c.version,
        "modifie_par": str(c.changed_by) if c.changed_by else None,
        "profil": c.changed_by_kind,
        "caf": c.changed_by_caf,
        "modifie_le": c.changed_at.isoformat(),
    }


async def listing(db: Database, family: Any) -> dict[str, Any]:
    """A family's effective barème: every parameter with its dated values, provenance and origin, and history."""
    if not isinstance(family, str) or not family:
        raise RpcFailure("invalid", "Indiquez le type d'activité (famille de prestation).", "famille")
    async with db.sessions() as session:
        try:
            found = await resolve(session, family)
        except EstimationError as exc:  # an unknown family: the request's ``famille``
            raise RpcFailure("invalid", exc.message, "famille") from None
        rows = await overrides_of(session, family)
        history = (
            await session.execute(
                sa.select(ParameterChange)
                .where(ParameterChange.family == family)
                .order_by(ParameterChange.version.desc(), ParameterChange.changed_at.desc())
            )
        ).scalars()
        history = [change_json(c) for c in history]
    by_parameter: dict[str, dict] = {}
    for r in rows:
        by_parameter.setdefault(r.parameter, {})[(r.nature, r.applies_from)] = r
    parameters = []
    for name, p in found.bareme.parameters.items():
        mine = by_parameter.get(name, {})
        parameters.append(
            {
                "nom": name,
                "libelle": p.label,
                "unite": p.unit,
                "annuel": p.annual,
                "valeurs": [value_json(v, p.unit, None, mine) for v in reversed(p.values)],
                "valeurs_par_nature": {
                    nature: [value_json(v, p.unit, nature, mine) for v in reversed(series)]
                    for nature, series in sorted(p.by_nature.items())
                },
            }
        )
    return {
        "famille": family,
        "libelle": found.bareme.label,
        "natures": found.bareme.natures,
        "version": found.version,
        "empreinte": found.fingerprint,
        "parametres": parameters,
        "historique": history,
    }
