"""A Caf's territories for the PSU bonus territoire (``domain.parameters.territories``), owned by estimation.

* ``define`` (``estimation.rpc.set_territory.v1`` {actor, caf, code, name, applies_from, value, provenance,
  reason?}): a paramétrage agent of that Caf (never another Caf's, never the Cnaf) defines or renames a territory
  and sets its dated amount per new place, within the national range, with the Caf's decision as provenance;
* ``assign`` (``estimation.rpc.assign_territory.v1`` {actor, activity_id, territory}): a paramétrage agent of the
  activity's Caf assigns one of its EAJE-PSU activities to one of its territories (an empty territory: back to the
  Caf's default amount);
* ``listing`` (``estimation.rpc.territories.v1`` {actor, caf}): that Caf's territories, amounts and activities,
  for its agents (and the operator).

Each change is audited (``CafTerritoryChange``), bumps the Caf's local version (``local_versions``) and, in the
same transaction, queues a re-estimation job limited to that Caf's open declarations (the local re-estimation
path of ``local_parameters``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_estimation.adapters.tables import (
    ActivityTerritory,
    CafLocalParameterChange,
    CafTerritory,
    CafTerritoryAmount,
    CafTerritoryChange,
    DeclarationFigures,
    ReestimationJob,
)
from afas_estimation.application.bareme_changes import _date, _stored, _text, read_provenance
from afas_estimation.application.baremes import resolve, stored_provenance
from afas_estimation.application.local_versions import bump
from afas_estimation.domain.explanation import french
from afas_estimation.domain.parameters import territories as domain
from afas_estimation.domain.parameters.model import Provenance
from afas_estimation.domain.parameters.overrides import (
    FIRST_DATE,
    InvalidParameter,
    check_dates,
    check_start,
    read_value,
    value_text,
)
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.cafs import caf_name
from afas_shared.contracts.rpc.estimation import AssignTerritoryRequestV1, SetTerritoryRequestV1
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork

FORBIDDEN = (
    "Seuls les agents de paramétrage de la Caf définissent ses territoires et y affectent ses activités ; "
    "une Caf ne modifie jamais les territoires ni les activités d'une autre Caf."
)


def _caf(raw: object) -> str | None:
    text = str(raw or "").strip()
    return text if len(text) == 3 and text.isdigit() else None


def name_of(caf_code: str) -> str:
    return caf_name(caf_code) or f"Caf {caf_code}"


# --- reading: the territory an estimate applies ---------------------------------------------------------------


async def _amounts(session: AsyncSession, caf: str, codes: Iterable[str]) -> dict[str, list[domain.TerritoryAmount]]:
    codes = list(codes)
    found: dict[str, list[domain.TerritoryAmount]] = {c: [] for c in codes}
    if not codes:
        return found
    rows = await session.execute(
        sa.select(CafTerritoryAmount)
        .where(CafTerritoryAmount.caf_code == caf, CafTerritoryAmount.territory_code.in_(codes))
        .order_by(CafTerritoryAmount.territory_code, CafTerritoryAmount.applies_from)
    )
    for r in rows.scalars():
        _, source = stored_provenance(r.provenance)
        if source is None:  # pragma: no cover - every amount is stored with a structured provenance
            continue
        found[r.territory_code].append(domain.TerritoryAmount(r.applies_from, Decimal(r.value), source))
    return found


async def territories_of(session: AsyncSession, caf: str) -> list[domain.Territory]:
    rows = list(
        (
            await session.execute(
                sa.select(CafTerritory).where(CafTerritory.caf_code == caf).order_by(CafTerritory.name)
            )
        ).scalars()
    )
    amounts = await _amounts(session, caf, [r.code for r in rows])
    return [domain.Territory(caf, r.code, r.name, tuple(amounts[r.code])) for r in rows]


async def territories_for(
    session: AsyncSession, caf: str | None, activity_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, domain.Territory]:
    """The territory of each of these activities of ``caf`` that has one (an assignment of another Caf: none)."""
    ids = [a for a in set(activity_ids) if a is not None]
    if _caf(caf) is None or not ids:
        return {}
    assigned = (
        await session.execute(
            sa.select(ActivityTerritory).where(
                ActivityTerritory.activity_id.in_(ids), ActivityTerritory.caf_code == caf
            )
        )
    ).scalars()
    by_activity = {a.activity_id: a.territory_code for a in assigned}
    if not by_activity:
        return {}
    known = {t.code: t for t in await territories_of(session, caf)}
    return {a: known[code] for a, code in by_activity.items() if code in known}


def read_activity(raw: object) -> uuid.UUID | None:
    if raw is None or raw == "":
        return None
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError:
        return None


# --- views ----------------------------------------------------------------------------------------------------


def _territory_view(t: domain.Territory, activities: list[uuid.UUID]) -> dict[str, Any]:
    return {
        "code": t.code,
        "nom": t.name,
        "montants": [
            {
                "applicable_depuis": a.start.isoformat(),
                "valeur": value_text(a.value),
                "affichage": french(a.value, "€"),
                "provenance": a.source.text(),
                "provenance_structuree": a.source.as_json(),
            }
            for a in t.amounts
        ],
        "activites": sorted(str(a) for a in activities),
    }


async def listing(session: AsyncSession, caller: ForwardedCaller, raw_caf: Any) -> dict[str, Any]:
    caf = _caf(raw_caf)
    if caf is None:
        raise RpcFailure("invalid", "Indiquez le code de la Caf sur trois chiffres.", "caf")
    if caller.kind != "operator" and not caller.is_caf_agent_of(caf):
        raise RpcFailure("forbidden", "Les territoires d'une Caf se consultent par les agents de cette Caf.")
    territories = await territories_of(session, caf)
    assigned = (await session.execute(sa.select(ActivityTerritory).where(ActivityTerritory.caf_code == caf))).scalars()
    by_territory: dict[str, list[uuid.UUID]] = {}
    assignment: dict[uuid.UUID, str] = {}
    for a in assigned:
        by_territory.setdefault(a.territory_code, []).append(a.activity_id)
        assignment[a.activity_id] = a.territory_code
    activities = (
        await session.execute(
            sa.select(DeclarationFigures.activity_id)
            .where(DeclarationFigures.caf_code == caf, DeclarationFigures.family == domain.FAMILY)
            .distinct()
        )
    ).scalars()
    return {
        "caf": caf,
        "caf_nom": name_of(caf),
        "territoires": [_territory_view(t, by_territory.get(t.code, [])) for t in territories],
        "activites": [
            {"activite_id": str(a), "territoire": assignment.get(a)} for a in sorted(set(activities), key=str)
        ],
    }


# --- changes --------------------------------------------------------------------------------------------------


def _job(caf: str, audit: CafTerritoryChange, start: date, now: datetime) -> ReestimationJob:
    return ReestimationJob(
        id=uuid.uuid4(), change_id=audit.id, family=domain.FAMILY, applies_from=start, caf_code=caf, created_at=now
    )


async def define(
    uow: UnitOfWork, caller: ForwardedCaller, request: SetTerritoryRequestV1, now: datetime
) -> tuple[dict[str, Any], ReestimationJob | None]:
    caf = _caf(request.caf)
    if caf is None:
        raise RpcFailure("invalid", "Indiquez le code de la Caf sur trois chiffres.", "caf")
    if not caller.is_caf_agent_of(caf, "parametrage"):
        raise RpcFailure("forbidden", FORBIDDEN)
    session = uow.session
    national = await resolve(session, domain.FAMILY)
    try:
        code = domain.read_code(request.code)
        name = domain.read_name(request.name)
    except domain.InvalidTerritory as exc:
        raise RpcFailure("invalid", exc.message, exc.field) from None
    try:
        start = check_start(_date(request.applies_from))
        value = read_value(national.bareme.parameters[domain.SPEC.minimum], request.value)
    except InvalidParameter as exc:
        raise RpcFailure("invalid", exc.message, exc.field) from None
    assert isinstance(value, Decimal)
    try:
        domain.check_amount(national.bareme, value, start)
    except domain.InvalidTerritory as exc:
        raise RpcFailure("invalid", exc.message, exc.field) from None
    source = read_provenance(request.provenance)
    provenance = _stored(source)
    reason = _text(request.reason, "motif", required=False, message="Le motif doit être un texte.")
    existing = await _amounts(session, caf, [code])
    try:
        check_dates(f"Montant par place nouvelle du territoire « {name} »", [a.start for a in existing[code]], start)
    except InvalidParameter as exc:
        raise RpcFailure("invalid", exc.message, exc.field) from None

    territory = await session.get(CafTerritory, (caf, code), with_for_update=True)
    row = await session.get(CafTerritoryAmount, (caf, code, start), with_for_update=True)
    in_force = [a for a in existing[code] if a.start <= start]
    old_value = value_text(in_force[-1].value) if in_force else None
    renamed = territory is not None and territory.name != name
    if territory is not None and not renamed and row is not None:
        if Decimal(row.value) == value and row.provenance == provenance:
            t = domain.Territory(caf, code, name, tuple(existing[code]))
            return {"modifie": False, "territoire": _territory_view(t, [])}, None
    audits = []
    if territory is None or renamed:
        audits.append(
            _territory_change(
                caf,
                caller,
                now,
                territory_code=code,
                kind="nom",
                old_value=territory.name if territory is not None else None,
                new_value=name,
                reason=reason,
            )
        )
    territory = territory or CafTerritory(caf_code=caf, code=code)
    territory.name, territory.changed_by, territory.changed_at = name, caller.user_id, now
    session.add(territory)
    row = row or CafTerritoryAmount(caf_code=caf, territory_code=code, applies_from=start)
    row.value, row.provenance, row.changed_by, row.changed_at = value_text(value), provenance, caller.user_id, now
    session.add(row)
    audit = _territory_change(
        caf,
        caller,
        now,
        territory_code=code,
        kind="montant",
        applies_from=start,
        old_value=old_value,
        new_value=value_text(value),
        provenance=provenance,
        reason=reason,
    )
    audits.append(audit)
    session.add_all(audits)
    job = _job(caf, audit, start, now)
    session.add(job)
    await bump(session, caf, now)  # the Caf's estimates, on any replica, read its territories again
    await session.flush()
    [territory_now] = [t for t in await territories_of(session, caf) if t.code == code]
    return {
        "modifie": True,
        "territoire": _territory_view(territory_now, []),
        "changement": dated_change_view(audit, start, source, reason, caller, now),
        "reestimation": str(job.id),
    }, job


def _territory_change(caf: str, caller: ForwardedCaller, now: datetime, **change: Any) -> CafTerritoryChange:
    """One line of a Caf's territory audit, by the caller, now."""
    return CafTerritoryChange(
        id=uuid.uuid4(),
        caf_code=caf,
        **change,
        changed_by=caller.user_id,
        changed_by_kind=caller.kind,
        changed_at=now,
    )


def dated_change_view(
    audit: CafTerritoryChange | CafLocalParameterChange,
    start: date,
    source: Provenance,
    reason: str | None,
    caller: ForwardedCaller,
    now: datetime,
) -> dict[str, Any]:
    """A Caf's dated value change as answered: old → new, from when, whence, why, by whom, when."""
    return {
        "id": str(audit.id),
        "ancienne_valeur": audit.old_value,
        "nouvelle_valeur": audit.new_value,
        "applicable_depuis": start.isoformat(),
        "provenance": source.text(),
        "motif": reason,
        "par": str(caller.user_id) if caller.user_id else None,
        "le": now.isoformat(),
    }


async def assign(
    uow: UnitOfWork, caller: ForwardedCaller, request: AssignTerritoryRequestV1, now: datetime
) -> tuple[dict[str, Any], ReestimationJob | None]:
    activity_id = read_activity(request.activity_id)
    if activity_id is None:
        raise RpcFailure("invalid", "Indiquez l'activité (identifiant) à affecter à un territoire.", "activity_id")
    session = uow.session
    known = (
        await session.execute(
            sa.select(DeclarationFigures.caf_code, DeclarationFigures.family)
            .where(DeclarationFigures.activity_id == activity_id)
            .limit(1)
        )
    ).first()
    if known is None:
        raise RpcFailure(
            "not_found", "Activité inconnue : aucune déclaration reçue pour cette activité.", "activity_id"
        )
    caf, family = known
    if not caller.is_caf_agent_of(caf, "parametrage"):
        raise RpcFailure("forbidden", FORBIDDEN, "activity_id")
    if family != domain.FAMILY:
        raise RpcFailure(
            "invalid", "Seules les activités EAJE (prestation de service unique) ont un territoire.", "activity_id"
        )
    raw = str(request.territory or "").strip()
    code = None
    if raw:
        territory = await session.get(CafTerritory, (caf, raw))
        if territory is None:
            raise RpcFailure("invalid", "Territoire inconnu : définissez-le d'abord pour votre Caf.", "territoire")
        code = territory.code
    row = await session.get(ActivityTerritory, activity_id, with_for_update=True)
    old = row.territory_code if row is not None else None
    if old == code:
        return {"modifie": False, "activite_id": str(activity_id), "territoire": code}, None
    if code is None:
        await session.delete(row)
    else:
        row = row or ActivityTerritory(activity_id=activity_id, caf_code=caf)
        row.territory_code, row.changed_by, row.changed_at = code, caller.user_id, now
        session.add(row)
    audit = _territory_change(
        caf,
        caller,
        now,
        territory_code=code,
        kind="affectation",
        activity_id=activity_id,
        old_value=old,
        new_value=code,
        reason=_text(request.reason, "motif", required=False, message="Le motif doit être un texte."),
    )
    session.add(audit)
    job = _job(caf, audit, FIRST_DATE, now)  # every open exercice of the activity may move
    session.add(job)
    await bump(session, caf, now)
    await session.flush()
    return {
        "modifie": True,
        "activite_id": str(activity_id),
        "territoire": code,
        "ancien_territoire": old,
        "reestimation": str(job.id),
    }, job
