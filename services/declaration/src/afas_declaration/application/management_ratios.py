"""Pilotage: each activity's management ratios over the years, next to the median of similar activities (same Caf,
PS family and nature), from the figures frozen at transmission (the latest transmitted version of each
declaration; an actual replaces the forecast of its exercice). The 2015 note of seed 004 lists these ratios."""

from __future__ import annotations

import json
import statistics
import uuid
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Declaration, Transmission
from afas_declaration.application.errors import Forbidden
from afas_declaration.application.permissions import access_of
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.runtime import ServiceRuntime

TYPE_WEIGHT = {"previsionnelle": 0, "actualisee_juin": 1, "actualisee_septembre": 2, "reelle": 3}
RATIOS = {
    "cout_horaire": ("Coût par heure réalisée", "€/h"),
    "taux_occupation": ("Taux d'occupation", "%"),
    "taux_facturation": ("Taux de facturation", "%"),
    "part_caf": ("Part de la Caf dans le financement", "%"),
}
HUNDRED = Decimal(100)


def _number(figures: dict[str, str], key: str) -> Decimal | None:
    try:
        value = figures.get(key)
        return None if value in (None, "") else Decimal(value)
    except InvalidOperation:
        return None


def ratios_of(figures: dict[str, str]) -> dict[str, Decimal | None]:
    """The management ratios one set of declared figures gives; None where an input is missing or nil."""
    charges, hours = _number(figures, "total_charges"), _number(figures, "heures_realisees")
    caf, products = _number(figures, "produits_74_caf"), _number(figures, "total_produits")
    return {
        "cout_horaire": (charges / hours).quantize(Decimal("0.01")) if charges and hours else None,
        "taux_occupation": _number(figures, "taux_occupation"),
        "taux_facturation": _number(figures, "taux_facturation"),
        "part_caf": (caf / products * HUNDRED).quantize(Decimal("0.01")) if caf is not None and products else None,
    }


async def _latest_figures(session, caf_code: str) -> dict[tuple[uuid.UUID, int], tuple[ActivityCopy, dict]]:
    """(activity, exercice) → the most final transmitted figures of that exercice, for one Caf."""
    rows = (
        await session.execute(
            sa.select(Declaration, ActivityCopy, Transmission)
            .join(ActivityCopy, ActivityCopy.activity_id == Declaration.activity_id)
            .join(Transmission, Transmission.declaration_id == Declaration.id)
            .where(Declaration.caf_code == caf_code, Declaration.state != DeclarationState.annulee.value)
        )
    ).all()
    best: dict[tuple[uuid.UUID, int], tuple[tuple[int, int], ActivityCopy, dict]] = {}
    for declaration, activity, transmission in rows:
        rank = (TYPE_WEIGHT[declaration.declaration_type], transmission.version)
        key = (activity.activity_id, declaration.exercice)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, activity, json.loads(transmission.snapshot).get("chiffres", {}))
    return {key: (activity, figures) for key, (_, activity, figures) in best.items()}


async def pilotage(runtime: ServiceRuntime, caller: ForwardedCaller) -> list[dict[str, Any]]:
    """One entry per activity the caller takes part in: per exercice its ratios and the peers' medians."""
    if caller.kind != "partner" or caller.user_id is None:
        raise Forbidden("Le pilotage présente les activités de votre organisme.")
    async with runtime.db.sessions() as session:
        mine = set((await access_of(session, caller, paris_today(runtime.clock.now()))).roles_by_activity())
        activities = (
            (await session.execute(sa.select(ActivityCopy).where(ActivityCopy.activity_id.in_(mine)))).scalars().all()
        )
        by_caf = {a.caf_code for a in activities}
        figures = {}
        for caf_code in by_caf:
            figures.update(await _latest_figures(session, caf_code))
    peers: dict[tuple[str, str, str, int], list[dict]] = defaultdict(list)
    for (_, exercice), (activity, values) in figures.items():
        peers[(activity.caf_code, activity.family, activity.nature, exercice)].append(ratios_of(values))
    result = []
    for activity in sorted(activities, key=lambda a: a.name):
        years = sorted(exercice for (activity_id, exercice) in figures if activity_id == activity.activity_id)
        series = []
        for exercice in years:
            own = ratios_of(figures[(activity.activity_id, exercice)][1])
            group = peers[(activity.caf_code, activity.family, activity.nature, exercice)]
            medians = {name: _median([r[name] for r in group if r[name] is not None]) for name in RATIOS}
            series.append({"exercice": exercice, "ratios": own, "medianes": medians, "comparables": len(group)})
        result.append(
            {
                "activite_id": str(activity.activity_id),
                "activite": activity.name,
                "type_activite": activity.family,
                "nature": activity.nature,
                "annees": series,
            }
        )
    return result


def _median(values: list[Decimal]) -> Decimal | None:
    return Decimal(statistics.median(values)).quantize(Decimal("0.01")) if values else None
