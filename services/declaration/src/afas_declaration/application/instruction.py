"""Caf instruction: the agents of a Caf list the declarations transmitted to it (oldest first), validate them,
refuse them with a reason (the partner then revises a new version), or cancel them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from afas_declaration.adapters import declaration_store
from afas_declaration.adapters.tables import ActivityCopy, Declaration, PartnerCopy, Transmission
from afas_declaration.application import thread
from afas_declaration.application.actors import actor_of, full_name
from afas_declaration.application.campaigns import DECLARATION_TYPES, check_exercice
from afas_declaration.application.declaration_scope import load
from afas_declaration.application.errors import Invalid, NotFound
from afas_declaration.application.keyset import (
    PageRequest,
    SortKey,
    as_datetime,
    as_uuid,
    counts,
    decode,
    page_size,
    paged,
    reply,
    window,
)
from afas_declaration.application.permissions import require, standing_in
from afas_declaration.domain import lifecycle
from afas_declaration.domain.access_policy import Access
from afas_declaration.domain.estimate_wording import is_partial
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import PARIS
from afas_shared.contracts.declaration_states import STATE_CODES, DeclarationState, label_of
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime
from afas_shared.text import refuse_forbidden_characters

FINAL_STATES = lifecycle.FINAL
DECISIONS = {
    DeclarationState.validee: lifecycle.Transition.validate,
    DeclarationState.refusee: lifecycle.Transition.refuse,
    DeclarationState.annulee: lifecycle.Transition.cancel,
}


LIST_NAME = "instruction"
# The longest waiting first: by the latest transmission's time; the declaration's id makes the key unique.
LATEST = aliased(Transmission, name="later")
KEYS = (
    SortKey(Transmission.transmitted_at, "transmise_le", as_datetime),
    SortKey(Declaration.id, "id", as_uuid),
)


async def queue(
    runtime: ServiceRuntime,
    caller: ForwardedCaller,
    *,
    etat: str = DeclarationState.transmise.value,
    famille: str | None = None,
    exercice: int | None = None,
    type_declaration: str | None = None,
    partenaire: uuid.UUID | None = None,
    request: PageRequest | None = None,
) -> dict[str, Any]:
    """One page of the declarations of the caller's Caf in ``etat``, the longest waiting first, in one SQL query."""
    require(Access(caller).on_caf(caller.caf_code).caf_reader, "Liste réservée aux agents de la Caf.")
    if etat not in STATE_CODES:
        raise Invalid(f"État inconnu : {etat}.", "etat")
    check_exercice(exercice)
    request = request or PageRequest()
    size = page_size(request, runtime.settings.list_page_size, runtime.settings.list_page_max)
    at = decode(LIST_NAME, request.curseur, KEYS)
    # a declaration's latest transmission: no later version of it exists
    latest = ~sa.exists().where(LATEST.declaration_id == Declaration.id, LATEST.version > Transmission.version)
    where = [Declaration.state == etat, latest]
    if caller.kind == "caf":
        where.append(Declaration.caf_code == caller.caf_code)
    for column, value in (
        (ActivityCopy.family, famille or None),
        (Declaration.exercice, exercice or None),
        (Declaration.declaration_type, type_declaration or None),
        (Declaration.partner_id, partenaire),
    ):
        if value is not None:
            where.append(column == value)
    source = sa.join(Declaration, Transmission, Transmission.declaration_id == Declaration.id).join(
        ActivityCopy, ActivityCopy.activity_id == Declaration.activity_id
    )
    counted = sa.select(sa.func.count()).select_from(source).where(*where)
    total, preceding = counts(counted, KEYS, at)
    columns = sa.select(
        Declaration.id.label("id"),
        Declaration.exercice,
        Declaration.declaration_type,
        Declaration.state,
        ActivityCopy.name,
        ActivityCopy.family,
        ActivityCopy.nature,
        Transmission.version,
        Transmission.transmitted_at.label("transmise_le"),
        Transmission.signer_name,
        Transmission.snapshot,
        PartnerCopy.name.label("partner_name"),
        total.label("total"),
        preceding.label("precedent"),
    ).select_from(source.outerjoin(PartnerCopy, PartnerCopy.partner_id == Declaration.partner_id))
    async with runtime.db.sessions() as session:
        rows = (await session.execute(paged(columns.where(*where), KEYS, at, size))).all()
        if rows:
            total_count, preceding_count = rows[0].total, rows[0].precedent
        else:  # nothing on this page: the queue's total still answers
            total_count, preceding_count = (await session.execute(counted)).scalar_one(), 0
    page = window(rows, KEYS, at, size, preceding_count)
    return reply(LIST_NAME, page, [_queued(row) for row in page.rows], total_count)


def _queued(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "version": row.version,
        "partenaire": row.partner_name,
        "activite": row.name,
        "type_activite": row.family,
        "nature": row.nature,
        "exercice": row.exercice,
        "type_declaration": DECLARATION_TYPES[row.declaration_type],
        "etat": label_of(row.state),
        "transmise_le": row.transmise_le.astimezone(PARIS).isoformat(timespec="seconds"),
        "signataire": row.signer_name,
        **_estimate_shown(json.loads(row.snapshot).get("estimation")),
    }


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
        rights = await standing_in(session, runtime, caller, loaded.activity)
    transition = DECISIONS.get(decision)
    if transition is None:
        raise Invalid(f"Décision inconnue : {decision}.", "decision")
    actor = actor_of(caller, rights, agent)
    declaration_store.from_rows(loaded.declaration, loaded.activity, loaded.forms).authorize(actor, transition)
    reason = (reason or "").strip() or None
    refuse_forbidden_characters(reason, "motif", multiline=True)
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        declaration = await declaration_store.load(uow.session, declaration_id, for_update=True)
        if declaration is None:
            raise NotFound("Déclaration inconnue.")
        if transition is lifecycle.Transition.validate:
            declaration.validate(actor, now, gap_justification_accepted)
        elif transition is lifecycle.Transition.refuse:
            declaration.refuse(actor, reason, now)
        else:
            declaration.cancel(actor, reason, now)
        await declaration_store.save(uow, declaration)
        if transition is not lifecycle.Transition.validate:  # the reason in the thread, with the decision
            kind = "refus" if transition is lifecycle.Transition.refuse else "annulation"
            thread.system_message(uow, declaration_id, kind, reason or "", caller.user_id, full_name(agent), now)
    return {"id": str(declaration_id), "etat": declaration.state.label, "version": declaration.version}
