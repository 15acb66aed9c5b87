"""The approbateur's answers to the coherence controls before transmission: the justification of a flagged
control (text and figure), the complementary information, and a form sent back to its provider with a comment."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from afas_declaration.adapters.tables import Declaration, DeclarationForm
from afas_declaration.application.declaration_list import STATES
from afas_declaration.application.declaration_scope import load, require, standing
from afas_declaration.application.errors import Conflict, Invalid, NotFound
from afas_declaration.application.review import CONTROLLABLE_STATES
from afas_declaration.domain import controls as control_rules
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import PARIS
from afas_shared.contracts.events.declaration import FormSentBackV1
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime
from afas_shared.text import refuse_forbidden_characters

COMMENT_MIN_LENGTH = 5


async def justify(
    runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID, key: str, text: str, amount: Any
) -> dict[str, Any]:
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
        author = await session.get(KnownUser, caller.user_id) if caller.user_id else None
    who = await standing(runtime, caller, loaded.activity)
    require(who.approbateur, "Seul l'approbateur justifie les anomalies signalées.")
    if loaded.declaration.state not in CONTROLLABLE_STATES:
        raise Conflict("Cette déclaration a été transmise : elle ne se modifie plus.")
    flagged = {r["cle"]: r for r in json.loads(loaded.declaration.controls) if r["a_justifier"]}
    if key not in flagged:
        raise NotFound("Aucune anomalie signalée sous cette clé : relancez les contrôles.")
    try:
        figure = None if amount is None or amount == "" else Decimal(str(amount).replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise Invalid("Le montant doit être un nombre (par exemple 1234,50).", "montant") from None
    refuse_forbidden_characters(text, "texte", multiline=True)
    problem = control_rules.check_justification(text, figure)
    if problem:
        raise Invalid(problem, "texte" if figure is not None else "montant")
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        declaration = await session.get(Declaration, declaration_id, with_for_update=True)
        justifications = json.loads(declaration.justifications)
        justifications[key] = {
            "texte": text.strip(),
            "montant": format(figure, "f"),
            "par": f"{author.first_name} {author.last_name}" if author else None,
            "le": now.astimezone(PARIS).isoformat(timespec="seconds"),
        }
        declaration.justifications = json.dumps(justifications, ensure_ascii=False)
    return justifications[key]


async def set_complement(
    runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID, text: str | None
) -> dict[str, Any]:
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
    who = await standing(runtime, caller, loaded.activity)
    require(who.approbateur, "Seul l'approbateur ajoute des informations complémentaires.")
    refuse_forbidden_characters(text, "informations_complementaires", multiline=True)
    async with runtime.db.transaction() as session:
        declaration = await session.get(Declaration, declaration_id, with_for_update=True)
        if declaration.state not in CONTROLLABLE_STATES:
            raise Conflict("Cette déclaration a été transmise : elle ne se modifie plus.")
        declaration.complement = (text or "").strip() or None
    return {"informations_complementaires": declaration.complement}


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
    who = await standing(runtime, caller, loaded.activity)
    require(who.approbateur, "Seul l'approbateur renvoie un formulaire à son fournisseur.")
    comment = (comment or "").strip()
    refuse_forbidden_characters(comment, "commentaire", multiline=True)
    if len(comment) < COMMENT_MIN_LENGTH:
        raise Invalid("Expliquez au fournisseur ce qu'il doit corriger.", "commentaire")
    async with runtime.unit_of_work() as uow:
        form = await uow.session.get(DeclarationForm, form_id, with_for_update=True)
        declaration = await uow.session.get(Declaration, form.declaration_id, with_for_update=True)
        if declaration.state not in CONTROLLABLE_STATES or not form.requested:
            raise Conflict("Ce formulaire ne peut plus être renvoyé.")
        if form.version == 0:  # never saved: nothing to correct (and no form version for the event)
            raise Conflict("Ce formulaire n'a pas encore été saisi : il n'y a rien à renvoyer.")
        form.state, form.sent_back_comment = "a_corriger", comment
        form.sent_back_by_name = f"{author.first_name} {author.last_name}" if author else None
        if declaration.state == "controlee":
            declaration.state = "en_revision" if declaration.version > 1 else "en_cours"
        uow.publish(
            FormSentBackV1(
                form_id=form.id,
                declaration_id=declaration.id,
                activity_id=declaration.activity_id,
                kind=form.kind,
                site_id=form.site_id,
                comment=comment,
                sent_back_by=caller.user_id,
            ),
            subject=str(form.id),
            aggregate_version=form.version,
        )
    return {"id": str(form_id), "etat": STATES["a_corriger"], "commentaire": comment}
