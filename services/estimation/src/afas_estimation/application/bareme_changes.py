"""Changing a value of a national barème, and reading the provenance, texts and dates a change carries.

A change is one transaction: the override, its audit row, the family's new version, the
``estimation.bareme_changed.v1`` event and the re-estimation job of the open declarations it may affect.
Only the Cnaf's national paramétrage agents change a barème; a Caf's local rules are ``local_parameters``.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_estimation.adapters.tables import BaremeVersion, ParameterChange, ParameterOverride, ReestimationJob
from afas_estimation.application.baremes import Effective, change_json, overrides_of, resolve, value_json
from afas_estimation.domain.errors import EstimationError
from afas_estimation.domain.parameters.loader import load_family
from afas_estimation.domain.parameters.model import Provenance
from afas_estimation.domain.parameters.overrides import (
    InvalidParameter,
    Override,
    apply_overrides,
    check_order,
    check_overlap,
    check_start,
    check_target,
    read_value,
    value_text,
)
from afas_estimation.domain.rules.registry import rule_for
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.events.estimation import BaremeChangedV1
from afas_shared.contracts.rpc.estimation import SetParameterRequestV1
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork

PROVENANCE_MIN, TEXT_MAX = 5, 500
# The Cnaf is represented as the national "Caf" 000: its agents holding the ``parametrage_national`` role set the
# national barèmes (rates, ceilings, bonuses). A Caf's paramétrage agents change only their Caf's local rules.
CNAF_CODE, NATIONAL_ROLE = "000", "parametrage_national"
PROVENANCE_HELP = (
    "Indiquez la provenance de la valeur : le titre du document, son émetteur (par exemple « Cnaf »), sa date "
    "(AAAA-MM-JJ) et sa référence ou son adresse (par exemple « Lettre circulaire n° 2026-001 »)."
)


# --- changing a value ------------------------------------------------------------------------------------


def may_change(caller: ForwardedCaller) -> bool:
    """Barèmes are national: only the Cnaf's national paramétrage agents change them (not a Caf, not the operator)."""
    return caller.is_caf_agent_of(CNAF_CODE, NATIONAL_ROLE)


def read_provenance(raw: Any) -> Provenance:
    """The structured provenance of a change; free text is refused (it cannot be checked nor cited)."""
    if not isinstance(raw, dict):
        raise RpcFailure("invalid", PROVENANCE_HELP, "provenance")
    parts = {}
    for key in ("titre", "emetteur", "reference", "note"):
        value = raw.get(key)
        if key == "reference" and not value:
            value = raw.get("adresse")
        if value is not None and not isinstance(value, str):
            raise RpcFailure("invalid", PROVENANCE_HELP, "provenance")
        text = (value or "").strip()
        if len(text) > TEXT_MAX:
            raise RpcFailure("invalid", f"Texte trop long ({TEXT_MAX} caractères au plus).", "provenance")
        parts[key] = text
    missing = [
        label
        for key, label in (
            ("titre", "le titre"),
            ("emetteur", "l'émetteur"),
            ("reference", "la référence ou l'adresse"),
        )
        if not parts[key]
    ]
    try:
        published = date.fromisoformat(str(raw.get("date") or ""))
    except ValueError:
        missing.append("la date (AAAA-MM-JJ)")
        published = None
    if missing:
        raise RpcFailure("invalid", "Provenance incomplète : indiquez " + ", ".join(missing) + ".", "provenance")
    if len(parts["titre"]) < PROVENANCE_MIN:
        raise RpcFailure("invalid", "Provenance trop courte : citez le titre du document.", "provenance")
    return Provenance(parts["titre"], parts["emetteur"], published, parts["reference"], parts["note"])


def _stored(source: Provenance) -> str:
    return json.dumps(source.as_json(), ensure_ascii=False, sort_keys=True)


def _text(raw: Any, key: str, *, required: bool, message: str) -> str | None:
    """A text of the request, refused naming its field ``key`` (the API's name)."""
    text = raw.strip() if isinstance(raw, str) else None
    if raw is not None and not isinstance(raw, str):
        raise RpcFailure("invalid", message, key)
    if not text:
        if required:
            raise RpcFailure("invalid", message, key)
        return None
    if len(text) > TEXT_MAX:
        raise RpcFailure("invalid", f"Texte trop long ({TEXT_MAX} caractères au plus).", key)
    return text


def _date(raw: Any) -> date:
    try:
        return date.fromisoformat(str(raw)) if not isinstance(raw, date) else raw
    except ValueError:
        raise RpcFailure(
            "invalid", "Date d'application invalide : utilisez le format AAAA-MM-JJ.", "applicable_depuis"
        ) from None


async def change(
    uow: UnitOfWork, caller: ForwardedCaller, request: SetParameterRequestV1, now: datetime
) -> tuple[dict[str, Any], ReestimationJob | None]:
    """Apply one barème change for ``caller`` (checked), in ``uow``; the answer and the re-estimation job."""
    if not may_change(caller):
        raise RpcFailure(
            "forbidden",
            "Les barèmes nationaux (taux, prix plafonds, bonus) sont fixés par la Cnaf (paramétrage national). "
            "Une Caf ne modifie que ses règles locales : sa politique de versement, ses calendriers et ses "
            "compléments locaux.",
        )
    family = request.family
    if not isinstance(family, str) or not family:
        raise RpcFailure("invalid", "Indiquez le type d'activité (famille de prestation).", "famille")
    nature = request.nature or None
    try:
        rule_for(family)
        base = load_family(family)
    except EstimationError as exc:  # an unknown family: the request's ``famille``
        raise RpcFailure("invalid", exc.message, "famille") from None
    try:
        parameter = check_target(base, request.parameter, nature)
        start = check_start(_date(request.applies_from))
        value = read_value(parameter, request.value)
    except InvalidParameter as exc:
        raise RpcFailure("invalid", exc.message, exc.field) from None
    source = read_provenance(request.provenance)
    provenance = _stored(source)
    reason = _text(request.reason, "motif", required=False, message="Le motif doit être un texte.")

    session = uow.session
    # The family's version row is the lock: concurrent changes of one family are serialised here.
    row = await session.get(BaremeVersion, family, with_for_update=True)
    if row is None:
        row = BaremeVersion(family=family, version=0, changed_at=now)
        session.add(row)
        await session.flush()
    before = await resolve(session, family)
    current = before.bareme.parameters[parameter.name]
    try:
        check_overlap(current, nature, start)
        trial = apply_overrides(before.bareme, [Override(parameter.name, nature, start, value, "")])
        check_order(trial, parameter.name, nature)
    except InvalidParameter as exc:
        raise RpcFailure("invalid", exc.message, exc.field) from None
    in_force = current.at(start, nature or "")
    same_date = next((v for v in current.series(nature) if v.start == start), None)
    if same_date is not None and same_date.value == value and same_date.source == source:
        return {"modifie": False, **await _parameter_view(session, before, parameter.name)}, None

    row.version += 1
    row.changed_at = now
    existing = (
        await session.execute(
            sa.select(ParameterOverride).where(
                ParameterOverride.family == family,
                ParameterOverride.parameter == parameter.name,
                ParameterOverride.nature.is_(None) if nature is None else ParameterOverride.nature == nature,
                ParameterOverride.applies_from == start,
            )
        )
    ).scalar_one_or_none()
    override = existing or ParameterOverride(
        id=uuid.uuid4(), family=family, parameter=parameter.name, nature=nature, applies_from=start
    )
    override.value, override.provenance, override.version = value_text(value), provenance, row.version
    override.changed_by, override.changed_at = caller.user_id, now
    session.add(override)
    audit = ParameterChange(
        id=uuid.uuid4(),
        family=family,
        parameter=parameter.name,
        nature=nature,
        applies_from=start,
        old_value=value_text(in_force.value) if in_force is not None else None,
        old_since=in_force.since if in_force is not None else None,
        old_provenance=(
            (_stored(in_force.source) if in_force.source is not None else in_force.reference)
            if in_force is not None
            else None
        ),
        new_value=value_text(value),
        provenance=provenance,
        reason=reason,
        version=row.version,
        changed_by=caller.user_id,
        changed_by_kind=caller.kind,
        changed_by_caf=caller.caf_code,
        changed_at=now,
    )
    session.add(audit)
    job = ReestimationJob(
        id=uuid.uuid4(), change_id=audit.id, family=family, nature=nature, applies_from=start, created_at=now
    )
    session.add(job)
    uow.publish(
        BaremeChangedV1(
            change_id=audit.id,
            family=family,
            parameter=parameter.name,
            nature=nature,
            applies_from=start,
            old_value=audit.old_value,
            new_value=audit.new_value,
            provenance=source.text(),
            reason=reason,
            bareme_version=row.version,
            changed_by=caller.user_id,
            changed_at=now,
        ),
        subject=family,
        aggregate_version=row.version,
    )
    await session.flush()
    after = await resolve(session, family)
    view = await _parameter_view(session, after, parameter.name)
    return {"modifie": True, "changement": change_json(audit), "reestimation": str(job.id), **view}, job


async def _parameter_view(session: AsyncSession, found: Effective, name: str) -> dict[str, Any]:
    rows = await overrides_of(session, found.family)
    mine = {(r.nature, r.applies_from): r for r in rows if r.parameter == name}
    p = found.bareme.parameters[name]
    return {
        "famille": found.family,
        "version": found.version,
        "empreinte": found.fingerprint,
        "parametre": {
            "nom": name,
            "libelle": p.label,
            "unite": p.unit,
            "annuel": p.annual,
            "valeurs": [value_json(v, p.unit, None, mine) for v in reversed(p.values)],
            "valeurs_par_nature": {
                nature: [value_json(v, p.unit, nature, mine) for v in reversed(series)]
                for nature, series in sorted(p.by_nature.items())
            },
        },
    }
