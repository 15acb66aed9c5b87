"""Forms being filled: read with their definition, saved as drafts under optimistic versions (a second
save on a stale version is refused naming who saved first), prefilled from the previous declaration."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters import declaration_store
from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, DeclarationForm
from afas_declaration.application import declaration_scope, review
from afas_declaration.application.actors import actor_of
from afas_declaration.application.campaigns import DECLARATION_TYPES
from afas_declaration.application.errors import Forbidden, Invalid, NotFound
from afas_declaration.application.estimates import figures_as_strings
from afas_declaration.application.permissions import access_from_lines, remember, standing_in
from afas_declaration.domain import declaration as aggregate
from afas_declaration.domain import declaration_parts as parts
from afas_declaration.domain import lifecycle
from afas_declaration.domain.forms import FormDefinition, load_definition, sections_for, validate_values
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import PARIS, paris_today
from afas_shared.contracts.declaration_states import label_of
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime


async def _context(session, declaration_id: uuid.UUID):
    declaration = await session.get(Declaration, declaration_id)
    if declaration is None:
        raise NotFound("Déclaration inconnue.")
    activity = await session.get(ActivityCopy, declaration.activity_id)
    campaign = await session.get(Campaign, declaration.campaign_id)
    return declaration, activity, campaign


def _form_definition(activity: ActivityCopy, campaign: Campaign, kind: str) -> FormDefinition:
    return load_definition(activity.family, campaign.form_version).forms[kind]


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def form_view(
    form: DeclarationForm | parts.Form,
    activity: ActivityCopy,
    campaign: Campaign,
    declaration: Declaration | aggregate.Declaration,
    editable: bool,
    read_only_because: str | None = None,
    send_back_refused: str | None = "",  # what sending it back would be answered; "": not asked (a save's reply)
) -> dict[str, Any]:
    definition = _form_definition(activity, campaign, form.kind)
    saved_at = form.saved_at.astimezone(PARIS) if form.saved_at else None
    return {
        "id": str(form.id),
        "declaration_id": str(declaration.id),
        "type": form.kind,
        "titre": definition.title_for(declaration.declaration_type),
        "lieu": form.site_name,
        "etat": label_of(form.state) if form.requested else "Non demandé",
        "version": form.version,
        "modifiable": editable,
        "motif_lecture_seule": None if editable else read_only_because,
        "enregistre_par": form.saved_by_name,
        "renvoye_par": form.sent_back_by_name,
        "commentaire_renvoi": form.sent_back_comment,
        "renvoyable": send_back_refused is None,
        "motif_non_renvoyable": send_back_refused or None,
        "enregistre_a": saved_at.strftime("%H:%M") if saved_at else None,
        "enregistre_le": saved_at.date().isoformat() if saved_at else None,
        "valeurs": review.values_of(form),
        "sections": [
            {
                "id": section.id,
                "libelle": section.label,
                "champs": [
                    {
                        "id": f.id,
                        "libelle": f.label,
                        "type": f.type,
                        "unite": f.unit,
                        "min": _plain(f.min),
                        "max": _plain(f.max),
                        "obligatoire": f.required,
                        "calcule": f.computed is not None,
                        "aide": f.help,
                    }
                    for f in section.fields
                ],
            }
            for section in sections_for(definition, activity.nature)
        ],
    }


async def detail(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID) -> dict[str, Any]:
    today = paris_today(runtime.clock.now())
    partner = caller.kind == "partner" and caller.user_id is not None
    async with declaration_scope.read_connection(runtime.db) as connection:
        # one statement of plain rows (declaration_scope.shown), a partner's lines on the activity carried with them
        read = await declaration_scope.shown(connection, declaration_id, (caller.user_id, today) if partner else None)
    declaration, activity, campaign, forms = read.declaration, read.activity, read.campaign, read.forms
    access = access_from_lines(caller, {declaration.activity_id: read.lines})
    remember(caller, today, declaration.activity_id, access)  # the request's other use cases read it no more
    rights = access.on(declaration)
    # Every form to the declaration's Caf (whatever the agent's roles) and the operator; to a provider, its own
    caf_reader = rights.operator or rights.caf_agent
    fills = frozenset(form.id for form in forms if form.requested and rights.may_edit(form))
    actor = actor_of(caller, rights, fills=fills)
    state = lifecycle.State(declaration.state)
    shown = []
    for form in forms:
        if rights.may_edit(form) or caf_reader:
            # editable now: asked for, the caller's role on it, a declaration still open (what a save is refused by)
            why = lifecycle.refusal(actor, lifecycle.Transition.save, state, form.id)
            why = why if form.requested else lifecycle.NOT_REQUESTED
            # « Renvoyer au fournisseur » offered by the rule the send-back is checked with
            back = lifecycle.send_back_refusal(actor, state, form.id, form.requested, form.version > 0)
            shown.append(form_view(form, activity, campaign, declaration, why is None, why, back))
    if not shown:
        raise Forbidden("Cette déclaration n'est pas dans votre périmètre.")
    actions, impossible = offered(actor, state)
    return {
        "id": str(declaration.id),
        "exercice": declaration.exercice,
        "type_declaration": declaration.declaration_type,
        "type_declaration_libelle": DECLARATION_TYPES[declaration.declaration_type],
        "activite": activity.name,
        "activite_id": str(declaration.activity_id),
        "nature": activity.nature,
        "date_limite": campaign.deadline.isoformat(),
        "etat": label_of(declaration.state),
        "etat_code": declaration.state,
        "version": declaration.version,
        "motif_refus": declaration.refusal_reason if declaration.state in lifecycle.REVISING else None,
        "informations_complementaires": declaration.complement,
        "formulaires": shown,
        "actions": actions,
        "actions_impossibles": impossible,
    }


# What a declaration's page offers, by the transitions behind them (the pages show an action only when true)
OFFERED = {
    "controler": lifecycle.Transition.control,
    "justifier": lifecycle.Transition.justify,
    "transmettre": lifecycle.Transition.transmit,
    "valider": lifecycle.Transition.validate,
    "refuser": lifecycle.Transition.refuse,
    "annuler": lifecycle.Transition.cancel,
}


def offered(actor: lifecycle.Actor, state: lifecycle.State) -> tuple[dict[str, bool], dict[str, str]]:
    """Which of the declaration's actions the caller may make now, and for the others what it would be answered:
    the rule its transitions are checked with."""
    refused = {name: lifecycle.refusal(actor, transition, state) for name, transition in OFFERED.items()}
    return {name: why is None for name, why in refused.items()}, {name: why for name, why in refused.items() if why}


async def save(
    runtime: ServiceRuntime,
    caller: ForwardedCaller,
    form_id: uuid.UUID,
    expected_version: int,
    values: dict[str, Any],
    *,
    with_estimate: bool = False,
) -> dict[str, Any]:
    """The saved form; ``with_estimate``: with the estimate it leads to (``estimation``), asked after the commit
    from the forms the save wrote — the API's save shows it, without reading the declaration a second time."""
    now = runtime.clock.now()
    # One unit of work from the first read (issue 16): the declaration the form belongs to is read locked with its
    # activity, campaign and the caller's lines in one statement, then its forms (this one among them) — what the
    # checks read is what the save changes, read once.
    async with runtime.unit_of_work() as uow:
        session = uow.session
        today = paris_today(now)
        loaded = await declaration_scope.load(session, form_id=form_id, for_update=True, rights_of=(caller, today))
        form = next(f for f in loaded.forms if f.id == form_id)
        activity, campaign = loaded.activity, loaded.campaign
        who = await session.get(KnownUser, caller.user_id) if caller.user_id else None
        rights = loaded.standing()
        editable = rights.may_edit(form)
        actor = actor_of(caller, user=who, fills=frozenset({form.id}) if editable else frozenset())
        aggregate = await declaration_store.assembled(session, loaded.declaration, activity, loaded.forms)
        # Refused before the values are looked at: who may fill the form, and whether it is asked for
        aggregate.authorize(actor, lifecycle.Transition.save, form.id)
        aggregate.require_requested(form.id)
        cleaned, problems = validate_values(_form_definition(activity, campaign, form.kind), activity.nature, values)
        if problems:
            raise Invalid(problems[0].message, f"valeurs.{problems[0].field_id}")
        saved = aggregate.save_form(
            actor,
            form_id,
            expected_version=expected_version,
            values={k: _plain(v) for k, v in cleaned.items()},
            now=now,
            figures=lambda forms: figures_as_strings(review.figures_from(activity, campaign, forms)),
        )
        await declaration_store.save(uow, aggregate)
    view = form_view(saved, activity, campaign, aggregate, True)
    if with_estimate:  # committed: the estimate never holds the save's transaction
        view["estimation"] = await review.estimate_beside(runtime, rights, aggregate, activity, campaign)
    return view


TYPE_ORDER = ("previsionnelle", "actualisee_juin", "actualisee_septembre", "reelle")


def _rank(declaration: Declaration) -> tuple[int, int]:
    """Declarations of an activity in the order they are made: by exercice, then forecast to actual."""
    return declaration.exercice, TYPE_ORDER.index(declaration.declaration_type)


async def prefill(
    runtime: ServiceRuntime, caller: ForwardedCaller, form_id: uuid.UUID, expected_version: int
) -> dict[str, Any]:
    """Start from the same form of the activity's latest earlier declaration (typed values only)."""
    async with runtime.db.sessions() as session:
        form = await session.get(DeclarationForm, form_id)
        if form is None:
            raise NotFound("Formulaire inconnu.")
        declaration, activity, campaign = await _context(session, form.declaration_id)
        site_filter = (
            DeclarationForm.site_id.is_(None) if form.site_id is None else DeclarationForm.site_id == form.site_id
        )
        candidates = (
            await session.execute(
                sa.select(DeclarationForm, Declaration)
                .join(Declaration, Declaration.id == DeclarationForm.declaration_id)
                .where(
                    Declaration.activity_id == declaration.activity_id,
                    DeclarationForm.kind == form.kind,
                    site_filter,
                    DeclarationForm.version > 0,
                )
            )
        ).all()
        rights = await standing_in(session, runtime, caller, activity)
    # Refused before saying whether there is anything to take up: no one outside the form learns of its history
    if not rights.may_edit(form):
        raise Forbidden("Vous n'avez pas de rôle de saisie sur ce formulaire.")
    earlier = [(f, d) for f, d in candidates if _rank(d) < _rank(declaration)]
    previous = max(earlier, key=lambda pair: _rank(pair[1]))[0] if earlier else None
    if previous is None:
        raise NotFound("Aucune déclaration précédente de cette activité à reprendre.")
    definition = _form_definition(activity, campaign, form.kind)
    typed = {
        k: v
        for k, v in json.loads(previous.values).items()
        if k in definition.fields and definition.fields[k].computed is None
    }
    return await save(runtime, caller, form_id, expected_version, typed)


async def declaration_of_form(runtime: ServiceRuntime, form_id: uuid.UUID) -> uuid.UUID:
    async with runtime.db.sessions() as session:
        form = await session.get(DeclarationForm, form_id)
    if form is None:
        raise NotFound("Formulaire inconnu.")
    return form.declaration_id
