"""Caf instruction: the agents of a Caf list the declarations transmitted to it (oldest first), validate them,
refuse them with a reason (the partner then revises a new version), or cancel them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Declaration, DeclarationForm, PartnerCopy, Transmission
from afas_declaration.application import review
from afas_declaration.application.campaigns import DECLARATION_TYPES, check_exercice
from afas_declaration.application.declaration_list import STATES
from afas_declaration.application.declaration_scope import load, require, standing
from afas_declaration.application.errors import Conflict, Forbidden, Invalid
from afas_declaration.domain.estimate_wording import is_partial
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import PARIS
from afas_shared.contracts.events.declaration import (
    DeclarationCancelledV1,
    DeclarationRefusedV1,
    DeclarationValidatedV1,
)
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime
from afas_shared.text import refuse_forbidden_characters

FINAL_STATES = ("validee", "annulee")
REASON_MIN_LENGTH = 10


async def queue(
    runtime: ServiceRuntime,
    caller: ForwardedCaller,
    *,
    etat: str = "transmise",
    famille: str | None = None,
    exercice: int | None = None,
    type_declaration: str | None = None,
    partenaire: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Declarations of the caller's Caf in ``etat``, the longest waiting first."""
    if caller.kind == "caf":
        require(bool(caller.caf_roles), "Liste réservée aux agents de la Caf.")
    elif caller.kind != "operator":
        raise Forbidden("Liste réservée aux agents de la Caf.")
    if etat not in STATES:
        raise Invalid(f"État inconnu : {etat}.", "etat")
    check_exercice(exercice)
    latest = (
        sa.select(Transmission.declaration_id, sa.func.max(Transmission.version).label("version"))
        .group_by(Transmission.declaration_id)
        .subquery()
    )
    query = (
        sa.select(Declaration, ActivityCopy, Transmission, PartnerCopy)
        .join(ActivityCopy, ActivityCopy.activity_id == Declaration.activity_id)
        .join(latest, latest.c.declaration_id == Declaration.id)
        .join(
            Transmission,
            sa.and_(Transmission.declaration_id == Declaration.id, Transmission.version == latest.c.version),
        )
        .outerjoin(PartnerCopy, PartnerCopy.partner_id == Declaration.partner_id)
        .where(Declaration.state == etat)
        .order_by(Transmission.transmitted_at, Declaration.id)
    )
    if caller.kind == "caf":
        query = query.where(Declaration.caf_code == caller.caf_code)
    if famille:
        query = query.where(ActivityCopy.family == famille)
    if exercice:
        query = query.where(Declaration.exercice == exercice)
    if type_declaration:
        query = query.where(Declaration.declaration_type == type_declaration)
    if partenaire:
        query = query.where(Declaration.partner_id == partenaire)
    async with runtime.db.sessions() as session:
        rows = (await session.execute(query)).all()
    return [
        {
            "id": str(d.id),
            "version": t.version,
            "partenaire": p.name if p else None,
            "activite": a.name,
            "type_activite": a.family,
            "nature": a.nature,
            "exercice": d.exercice,
            "type_declaration": DECLARATION_TYPES[d.declaration_type],
            "etat": STATES[d.state],
            "transmise_le": t.transmitted_at.astimezone(PARIS).isoformat(timespec="seconds"),
            "signataire": t.signer_name,
            **_estimate_shown(json.loads(t.snapshot).get("estimation")),
        }
        for d, a, t, p in rows
    ]


def _estimate_shown(estimate: dict | None) -> dict[str, Any]:
    """The transmitted estimate's amount, and whether it covers only part of the rule (then never shown as the
    prestation)."""
    return {"estimation": (estimate or {}).get("montant"), "estimation_partielle": is_partial(estimate)}


async def decide(
    runtime: ServiceRuntime,
    caller: ForwardedCaller,
    declaration_id: uuid.UUID,
    decision: str,
    reason: str | None,
    gap_justification_accepted: bool = False,
) -> dict[str, Any]:
    """``decision``: validee | refusee | annulee. Refusing and cancelling need a reason the partner will read.

    On validation the agent may explicitly accept the partner's justification of a forecast/actual gap above
    10 %; the event carries that acceptance only. Whether there is such a gap is estimation's to decide: it holds
    the entitlements (forecast N, actual N-1) the Caf's payment policy compares, and caps the next advances when
    the gap is above 10 % and no justification was accepted.
    """
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
        agent = await session.get(KnownUser, caller.user_id) if caller.user_id else None
    who = await standing(runtime, caller, loaded.activity)
    require(who.instructor, "Seuls les agents d'instruction de la Caf de cette déclaration décident.")
    reason = (reason or "").strip() or None
    refuse_forbidden_characters(reason, "motif", multiline=True)
    if decision in ("refusee", "annulee") and (reason is None or len(reason) < REASON_MIN_LENGTH):
        raise Invalid(f"Indiquez le motif ({REASON_MIN_LENGTH} caractères au moins).", "motif")
    now = runtime.clock.now()
    agent_name = f"{agent.first_name} {agent.last_name}" if agent else "Caf"
    async with runtime.unit_of_work() as uow:
        declaration = await uow.session.get(Declaration, declaration_id, with_for_update=True)
        if declaration.state in FINAL_STATES:
            raise Conflict(f"Cette déclaration est déjà {STATES[declaration.state].lower()}.")
        if decision != "annulee" and declaration.state != "transmise":
            raise Conflict("Seule une déclaration transmise à la Caf se valide ou se refuse.")
        transmission = (
            await uow.session.execute(
                sa.select(Transmission).where(
                    Transmission.declaration_id == declaration_id, Transmission.version == declaration.version
                )
            )
        ).scalar_one_or_none()
        if transmission is not None:
            transmission.decision, transmission.decision_reason = decision, reason
            transmission.decided_by, transmission.decided_by_name, transmission.decided_at = (
                caller.user_id,
                agent_name,
                now,
            )
        facts = review.facts(declaration, loaded.activity)
        step = declaration.version * 10 + 2
        if decision == "validee":
            snapshot = json.loads(transmission.snapshot)
            declaration.state = "validee"
            uow.publish(
                DeclarationValidatedV1(
                    **facts,
                    validated_by=caller.user_id,
                    validated_at=now,
                    snapshot_hash=transmission.hash,
                    figures=snapshot.get("chiffres", {}),
                    forecast_gap_justified=gap_justification_accepted,
                    activity_opening_date=loaded.activity.opening_date,
                ),
                subject=str(declaration_id),
                aggregate_version=step,
            )
        elif decision == "refusee":
            declaration.state, declaration.refusal_reason = "refusee", reason
            declaration.version += 1
            declaration.controls, declaration.controlled_at = "[]", None
            await uow.session.execute(
                sa.update(DeclarationForm)
                .where(DeclarationForm.declaration_id == declaration_id, DeclarationForm.requested)
                .values(state="en_cours")
            )
            uow.publish(
                DeclarationRefusedV1(**facts, refused_by=caller.user_id, refused_at=now, reason=reason),
                subject=str(declaration_id),
                aggregate_version=step,
            )
        else:
            declaration.state = "annulee"
            uow.publish(
                DeclarationCancelledV1(**facts, cancelled_by=caller.user_id, cancelled_at=now, reason=reason),
                subject=str(declaration_id),
                aggregate_version=step,
            )
    return {"id": str(declaration_id), "etat": STATES[declaration.state], "version": declaration.version}
