"""The approbateur's answers to the coherence controls before transmission: the justification of a flagged
control (text and figure), the complementary information, and a form sent back to its provider with a comment."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from afas_declaration.adapters import declaration_store
from afas_declaration.adapters.tables import DeclarationForm
from afas_declaration.application import thread
from afas_declaration.application.actors import actor_of, full_name
from afas_declaration.application.declaration_scope import Loaded, load
from afas_declaration.application.errors import Invalid, NotFound
from afas_declaration.application.permissions import standing_in
from afas_declaration.domain import declaration as aggregate
from afas_declaration.domain import lifecycle
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime
from afas_shared.text import refuse_forbidden_characters


def _as_read(loaded: Loaded) -> aggregate.Declaration:
    return declaration_store.from_rows(loaded.declaration, loaded.activity, loaded.forms)


async def _locked(uow, declaration_id: uuid.UUID) -> aggregate.Declaration:
    declaration = await declaration_store.load(uow.session, declaration_id, for_update=True)
    if declaration is None:
        raise NotFound("Déclaration inconnue.")
    return declaration


async def justify(
    runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID, key: str, text: str, amount: Any
) -> dict[str, Any]:
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
        author = await session.get(KnownUser, caller.user_id) if caller.user_id else None
        rights = await standing_in(session, runtime, caller, loaded.activity)
    actor = actor_of(caller, rights, author)
    as_read = _as_read(loaded)
    as_read.authorize(actor, lifecycle.Transition.justify)
    as_read.require_state(lifecycle.Transition.justify)
    as_read.flagged(key)
    try:
        figure = None if amount is None or amount == "" else Decimal(str(amount).replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise Invalid("Le montant doit être un nombre (par exemple 1234,50).", "montant") from None
    refuse_forbidden_characters(text, "texte", multiline=True)
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        declaration = await _locked(uow, declaration_id)
        justification = declaration.justify(actor, key, text, figure, now)
        await declaration_store.save(uow, declaration)
    return justification


async def set_complement(
    runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID, text: str | None
) -> dict[str, Any]:
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
        rights = await standing_in(session, runtime, caller, loaded.activity)
    actor = actor_of(caller, rights)
    _as_read(loaded).authorize(actor, lifecycle.Transition.complement)
    refuse_forbidden_characters(text, "informations_complementaires", multiline=True)
    async with runtime.unit_of_work() as uow:
        declaration = await _locked(uow, declaration_id)
        complement = declaration.set_complement(actor, text)
        await declaration_store.save(uow, declaration)
    return {"informations_complementaires": complement}


async def send_back(
    runtime: ServiceRuntime, caller: ForwardedCaller, form_id: uuid.UUID, comment: str
) -> dict[str, Any]:
    """The approbateur returns a form to its provider with a comment; the provider's next save clears it."""
    async with runtime.db.sessions() as session:
        form = await session.get(DeclarationForm, form_id)
        if form is None:
            raise NotFound("Formulaire inconnu.")
        loaded = await load(session, form.declaration_id)
        author = await session.get(KnownUser, caller.user_id) if caller.user_id else None
        rights = await standing_in(session, runtime, caller, loaded.activity)
    actor = actor_of(caller, rights, author)
    _as_read(loaded).authorize(actor, lifecycle.Transition.send_back, form_id)
    comment = (comment or "").strip()
    refuse_forbidden_characters(comment, "commentaire", multiline=True)
    async with runtime.unit_of_work() as uow:
        declaration = await _locked(uow, loaded.declaration.id)
        declaration.send_back(actor, form_id, comment)
        await declaration_store.save(uow, declaration)
        # the comment in the thread, with the send-back: for those who see the form's site
        what = "Données d'activité" if form.kind == "activite" else "Données financières"
        text = f"« {what}{' – ' + form.site_name if form.site_name else ''} » renvoyé à son fournisseur : {comment}"
        now = runtime.clock.now()
        thread.system_message(
            uow, form.declaration_id, "renvoi", text, caller.user_id, full_name(author), now, site_id=form.site_id
        )
    return {"id": str(form_id), "etat": DeclarationState.a_corriger.label, "commentaire": comment}
