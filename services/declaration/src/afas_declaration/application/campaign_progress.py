"""How far a campaign has come: how many of its declarations are in each state, and which activities have not
transmitted yet — from declaration's own tables (Campaign, Declaration, ActivityCopy, PartnerCopy).

Caf agents see the campaigns of their own Caf, the operator every campaign. An activity "has declared" once its
declaration reached the Caf (transmitted or validated); a declaration the Caf cancelled is counted but awaits
nothing. An activity of the campaign's family active during the exercice with no declaration yet (the campaign
is not open, or the activity arrived since) is listed as not declared.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, PartnerCopy
from afas_declaration.application.campaigns import view
from afas_declaration.application.errors import Forbidden, NotFound
from afas_declaration.domain.access_policy import Access
from afas_declaration.domain.lifecycle import DECLARED
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.declaration_states import DeclarationState, label_of
from afas_shared.runtime import ServiceRuntime

NOTHING_AWAITED = frozenset({DeclarationState.annulee})
NO_DECLARATION = "Aucune déclaration"
REFUSAL = "Le suivi des campagnes est réservé aux agents de la Caf de la campagne."


def _may_follow(caller: ForwardedCaller, caf_code: str) -> bool:
    return Access(caller).on_caf(caf_code).caf_reader


def _active_during(activity: ActivityCopy, exercice: int) -> bool:
    return activity.opening_date <= date(exercice, 12, 31) and (
        activity.closing_date is None or activity.closing_date >= date(exercice, 1, 1)
    )


def _counts(states: list[str]) -> list[dict[str, Any]]:
    counted = Counter(states)
    return [{"etat": s.value, "libelle": s.label, "nombre": counted.get(s.value, 0)} for s in DeclarationState]


def _rate(declared: int, expected: int) -> int | float:
    """Percentage with one decimal, a whole number when it is one (100, not 100.0)."""
    rate = round(100 * declared / expected, 1) if expected else 0
    return int(rate) if rate == int(rate) else rate


async def progress(runtime: ServiceRuntime, caller: ForwardedCaller, campaign_id: uuid.UUID) -> dict[str, Any]:
    """One campaign: its declarations per state and the activities that have not declared yet."""
    async with runtime.db.sessions() as session:
        campaign = await session.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFound("Campagne inconnue.")
        if not _may_follow(caller, campaign.caf_code):
            raise Forbidden(REFUSAL)
        activities = (
            (
                await session.execute(
                    sa.select(ActivityCopy)
                    .where(ActivityCopy.caf_code == campaign.caf_code, ActivityCopy.family == campaign.family)
                    .order_by(ActivityCopy.name)
                )
            )
            .scalars()
            .all()
        )
        declarations = {
            d.activity_id: d
            for d in (
                await session.execute(sa.select(Declaration).where(Declaration.campaign_id == campaign_id))
            ).scalars()
        }
        partners = {p.partner_id: p.name for p in (await session.execute(sa.select(PartnerCopy))).scalars()}
    rows = []
    for activity in activities:
        declaration = declarations.get(activity.activity_id)
        if declaration is None and not _active_during(activity, campaign.exercice):
            continue
        rows.append(
            {
                "activite_id": str(activity.activity_id),
                "activite": activity.name,
                "nature": activity.nature,
                "partenaire": partners.get(activity.partner_id),
                "declaration_id": str(declaration.id) if declaration else None,
                "etat": declaration.state if declaration else None,
                "etat_libelle": label_of(declaration.state) if declaration else NO_DECLARATION,
                "declaree": bool(declaration and declaration.state in DECLARED),
            }
        )
    # Declarations whose activity copy is gone still count
    known = {r["activite_id"] for r in rows}
    orphans = [d for a, d in declarations.items() if str(a) not in known]
    states = [r["etat"] for r in rows if r["etat"]] + [d.state for d in orphans]
    expected = [r for r in rows if r["etat"] not in NOTHING_AWAITED]
    declared = sum(1 for r in expected if r["declaree"])
    return {
        "campagne": view(campaign),
        "par_etat": _counts(states),
        "declarations": len(states),
        "activites": len(rows),
        "declarees": declared,
        "taux_declaration": _rate(declared, len(expected)),
        "non_declarees": [r for r in expected if not r["declaree"]],
        "lignes": rows,
    }


async def overview(runtime: ServiceRuntime, caller: ForwardedCaller) -> list[dict[str, Any]]:
    """Every campaign the caller follows, with its declarations per state (the campaigns page's summary)."""
    query = sa.select(Campaign).order_by(Campaign.exercice.desc(), Campaign.opening_date, Campaign.family)
    if not Access(caller).on_own_caf().caf_reader:
        raise Forbidden(REFUSAL)
    if caller.kind != "operator":  # the operator follows every Caf's
        query = query.where(Campaign.caf_code == caller.caf_code)
    async with runtime.db.sessions() as session:
        found = list((await session.execute(query)).scalars())
        counted = (
            await session.execute(
                sa.select(Declaration.campaign_id, Declaration.state, sa.func.count())
                .where(Declaration.campaign_id.in_([c.id for c in found]))
                .group_by(Declaration.campaign_id, Declaration.state)
            )
        ).all()
    per_campaign: dict[uuid.UUID, Counter] = {c.id: Counter() for c in found}
    for campaign_id, state, number in counted:
        per_campaign[campaign_id][state] += number
    result = []
    for campaign in found:
        states = per_campaign[campaign.id]
        expected = sum(n for s, n in states.items() if s not in NOTHING_AWAITED)
        declared = sum(n for s, n in states.items() if s in DECLARED)
        result.append(
            {
                "campagne": view(campaign),
                "par_etat": _counts(list(states.elements())),
                "declarations": sum(states.values()),
                "declarees": declared,
                "taux_declaration": _rate(declared, expected),
            }
        )
    return result
