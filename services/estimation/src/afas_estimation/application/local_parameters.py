"""A Caf's local parameters: set by that Caf's paramétrage agents, stored and audited apart from the national
barèmes, applied to that Caf's estimates only (``localised``).

``change`` (``estimation.rpc.set_parameter.v1`` with a local parameter and ``caf``): the caller must be a
paramétrage agent of that Caf (never another Caf's, never the Cnaf's national paramétrage); the value must lie in
the national range (``domain.parameters.local``) in force at its date, and carry a structured provenance (the
Caf's decision: title, issuer, date, reference). One transaction: the value, its audit row, the Caf's local version
(``local_versions``) and a re-estimation job limited to that Caf's open declarations.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_estimation.adapters.tables import CafLocalParameter, CafLocalParameterChange, ReestimationJob
from afas_estimation.application.bareme_changes import _date, _stored, _text, read_provenance
from afas_estimation.application.baremes import Effective, resolve, stored_provenance
from afas_estimation.application.local_versions import bump
from afas_estimation.application.territories import dated_change_view, name_of, territories_for
from afas_estimation.domain.explanation import french
from afas_estimation.domain.parameters.local import LocalValue, local_spec, national_range, with_local
from afas_estimation.domain.parameters.model import Provenance
from afas_estimation.domain.parameters.overrides import (
    InvalidParameter,
    check_dates,
    check_start,
    fingerprint,
    read_value,
    value_text,
)
from afas_estimation.domain.parameters.territories import FAMILY as TERRITORY_FAMILY
from afas_estimation.domain.parameters.territories import Territory, with_territory
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.rpc.estimation import SetParameterRequestV1
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork


def _caf(raw: object) -> str | None:
    text = str(raw or "").strip()
    return text if len(text) == 3 and text.isdigit() else None


async def values_of(session: AsyncSession, caf_code: str | None, family: str) -> list[LocalValue]:
    if _caf(caf_code) is None:
        return []
    rows = await session.execute(
        sa.select(CafLocalParameter)
        .where(CafLocalParameter.caf_code == caf_code, CafLocalParameter.family == family)
        .order_by(CafLocalParameter.parameter, CafLocalParameter.applies_from)
    )
    found = []
    for r in rows.scalars():
        _, source = stored_provenance(r.provenance)
        if source is None:  # pragma: no cover - every local value is stored with a structured provenance
            continue
        found.append(LocalValue(r.caf_code, r.family, r.parameter, r.applies_from, Decimal(r.value), source))
    return found


def localise(
    effective: Effective, values: list[LocalValue], territory: Territory | None = None, caf_name: str = ""
) -> Effective:
    """The national barème with one Caf's local values (and, for an activity the Caf assigned to a territory, that
    territory's amounts per new place): its fingerprint differs, its (national) version not."""
    bareme = with_territory(with_local(effective.bareme, values), territory, caf_name)
    if bareme is effective.bareme:
        return effective
    return Effective(effective.family, bareme, effective.version, fingerprint(bareme))


async def localised(
    session: AsyncSession, effective: Effective, caf_code: str | None, activity_id: uuid.UUID | None = None
) -> Effective:
    """``effective`` as it applies to the declarations of ``caf_code`` (its local parameters added), and to those of
    ``activity_id`` when given (its territory's amount per new place, if the Caf assigned it one)."""
    values = await values_of(session, caf_code, effective.family)
    territory = None
    if activity_id is not None and effective.family == TERRITORY_FAMILY and caf_code:
        territory = (await territories_for(session, caf_code, [activity_id])).get(activity_id)
    return localise(effective, values, territory, name_of(caf_code) if territory is not None else "")


def _view(row: CafLocalParameter, label: str, unit: str) -> dict[str, Any]:
    text, source = stored_provenance(row.provenance)
    return {
        "caf": row.caf_code,
        "type_activite": row.family,
        "parametre": row.parameter,
        "libelle": label,
        "valeur": row.value,
        "affichage": french(Decimal(row.value), unit),
        "applicable_depuis": row.applies_from.isoformat(),
        "provenance": text,
        "provenance_structuree": source.as_json() if source is not None else None,
    }


async def change(
    uow: UnitOfWork, caller: ForwardedCaller, request: SetParameterRequestV1, now: datetime
) -> tuple[dict[str, Any], ReestimationJob | None]:
    family = str(request.family or "")
    spec = local_spec(family, request.parameter)
    if spec is None:  # pragma: no cover - routed here for local parameters only
        raise RpcFailure("invalid", "Ce paramètre n'est pas un paramètre local d'une Caf.", "parametre")
    caf = _caf(request.caf)
    if caf is None:
        raise RpcFailure(
            "invalid",
            f"« {spec.label} » est fixé par chaque Caf : indiquez le code de la Caf sur trois chiffres.",
            "caf",
        )
    if not caller.is_caf_agent_of(caf, "parametrage"):
        raise RpcFailure(
            "forbidden",
            f"« {spec.label} » est un paramètre local : seuls les agents de paramétrage de cette Caf le fixent, "
            "dans la fourchette nationale ; une Caf ne modifie jamais les paramètres d'une autre Caf.",
        )
    if request.nature:
        raise RpcFailure("invalid", f"« {spec.label} » vaut pour toutes les natures d'activité.", "nature")
    session = uow.session
    national = await resolve(session, family)
    parameter = national.bareme.parameters[spec.minimum]
    try:
        start = check_start(_date(request.applies_from))
        value = read_value(parameter, request.value)
    except InvalidParameter as exc:
        raise RpcFailure("invalid", exc.message, exc.field) from None
    assert isinstance(value, Decimal)
    low, high = national_range(national.bareme, spec, start)
    if not low <= value <= high:
        raise RpcFailure(
            "invalid",
            f"« {spec.label} » : {french(value, spec.unit)} est hors de la fourchette nationale, de "
            f"{french(low, spec.unit)} à {french(high, spec.unit)} par place.",
            "valeur",
        )
    source: Provenance = read_provenance(request.provenance)
    provenance = _stored(source)
    reason = _text(request.reason, "motif", required=False, message="Le motif doit être un texte.")

    mine = [v.start for v in await values_of(session, caf, family) if v.parameter == spec.name]
    try:
        check_dates(spec.label, mine, start)
    except InvalidParameter as exc:
        raise RpcFailure("invalid", exc.message, exc.field) from None
    key = (caf, family, spec.name, start)
    row = await session.get(CafLocalParameter, key, with_for_update=True)
    in_force = await _in_force(session, caf, family, spec.name, start)
    old_value = in_force.value if in_force is not None else None  # read before the row (maybe the same) changes
    if row is not None and Decimal(row.value) == value and row.provenance == provenance:
        return {"modifie": False, "parametre_local": _view(row, spec.label, spec.unit)}, None
    row = row or CafLocalParameter(caf_code=caf, family=family, parameter=spec.name, applies_from=start)
    row.value, row.provenance = value_text(value), provenance
    row.changed_by, row.changed_at = caller.user_id, now
    session.add(row)
    audit = CafLocalParameterChange(
        id=uuid.uuid4(),
        caf_code=caf,
        family=family,
        parameter=spec.name,
        applies_from=start,
        old_value=old_value,
        new_value=value_text(value),
        provenance=provenance,
        reason=reason,
        changed_by=caller.user_id,
        changed_by_kind=caller.kind,
        changed_at=now,
    )
    session.add(audit)
    job = ReestimationJob(
        id=uuid.uuid4(), change_id=audit.id, family=family, applies_from=start, caf_code=caf, created_at=now
    )
    session.add(job)
    await bump(session, caf, now)  # with the value: the next estimate, on any replica, reads it
    await session.flush()
    return {
        "modifie": True,
        "parametre_local": _view(row, spec.label, spec.unit),
        "changement": dated_change_view(audit, start, source, reason, caller, now),
        "reestimation": str(job.id),
    }, job


async def _in_force(session: AsyncSession, caf: str, family: str, name: str, on: date) -> CafLocalParameter | None:
    rows = await session.execute(
        sa.select(CafLocalParameter)
        .where(
            CafLocalParameter.caf_code == caf,
            CafLocalParameter.family == family,
            CafLocalParameter.parameter == name,
            CafLocalParameter.applies_from <= on,
        )
        .order_by(CafLocalParameter.applies_from.desc())
        .limit(1)
    )
    return rows.scalar_one_or_none()
