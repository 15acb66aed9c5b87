""" "Mes déclarations": the declarations a user takes part in, with each form's state, the next actions its
roles allow, the filters of the seed screen, the home page's count and each activity's history."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Declaration, DeclarationForm, Transmission
from afas_declaration.application.campaigns import DECLARATION_TYPES, check_exercice
from afas_declaration.application.errors import Forbidden, Invalid, NotFound
from afas_declaration.application.permissions import access_of
from afas_declaration.domain import declaration as lifecycle
from afas_declaration.domain.access_policy import Access, Action, Standing
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.declaration_states import STATE_CODES, DeclarationState, label_of
from afas_shared.runtime import ServiceRuntime

# code → French label, in the order the screens list them (the filter of « Mes déclarations »)
STATES = {state.value: state.label for state in DeclarationState}
ACTION_LABELS = {
    "consulter": "Consulter",
    "saisir_activite": "Saisir les données d'activité",
    "saisir_financier": "Saisir les données financières",
    "controler": "Contrôler ses données avant envoi",
    "transmettre": "Transmettre ses données",
    "reviser": "Réviser les données suite refus Caf",
    "telecharger_accuse": "Télécharger l'accusé de réception",
    "valider": "Valider la déclaration",
    "refuser": "Refuser la déclaration",
    "annuler": "Annuler la déclaration",
}


@dataclass(frozen=True)
class Filters:
    type_declaration: str | None = None
    exercice: int | None = None
    etat: str | None = None
    activite: uuid.UUID | None = None
    type_activite: str | None = None
    nature: str | None = None


async def visible_to(
    runtime: ServiceRuntime, caller: ForwardedCaller, filters: Filters | None = None
) -> list[dict[str, Any]]:
    filters = filters or Filters()
    if filters.etat is not None and filters.etat not in STATE_CODES:
        raise Invalid(f"État inconnu : {filters.etat}.", "etat")
    if filters.type_declaration is not None and filters.type_declaration not in DECLARATION_TYPES:
        raise Invalid(f"Type de déclaration inconnu : {filters.type_declaration}.", "type_declaration")
    check_exercice(filters.exercice)
    query, access = await _scope(runtime, caller)
    for column, value in (
        (Declaration.declaration_type, filters.type_declaration),
        (Declaration.exercice, filters.exercice),
        (Declaration.state, filters.etat),
        (Declaration.activity_id, filters.activite),
        (ActivityCopy.family, filters.type_activite),
        (ActivityCopy.nature, filters.nature),
    ):
        if value is not None:
            query = query.where(column == value)
    async with runtime.db.sessions() as session:
        rows = (await session.execute(query.order_by(Declaration.exercice.desc(), ActivityCopy.name))).all()
        ids = [d.id for d, _ in rows]
        forms = (
            (await session.execute(sa.select(DeclarationForm).where(DeclarationForm.declaration_id.in_(ids))))
            .scalars()
            .all()
        )
        transmitted = set(
            (
                await session.execute(
                    sa.select(Transmission.declaration_id).where(Transmission.declaration_id.in_(ids)).distinct()
                )
            )
            .scalars()
            .all()
        )
    by_declaration: dict[uuid.UUID, list[DeclarationForm]] = defaultdict(list)
    for form in forms:
        by_declaration[form.declaration_id].append(form)
    return [
        _row(
            d,
            a,
            by_declaration[d.id],
            _actions(caller, access.on(d), d, by_declaration[d.id], d.id in transmitted),
        )
        for d, a in rows
    ]


async def _scope(runtime: ServiceRuntime, caller: ForwardedCaller) -> tuple[sa.Select, Access]:
    """The declarations the caller may see, and what it may do — a partner's user only its activities' ones."""
    query = sa.select(Declaration, ActivityCopy).join(ActivityCopy, ActivityCopy.activity_id == Declaration.activity_id)
    access = Access(caller)
    if caller.kind == "caf":
        query = query.where(Declaration.caf_code == caller.caf_code)
    elif caller.kind == "partner" and caller.user_id:
        async with runtime.db.sessions() as session:
            access = await access_of(session, caller, paris_today(runtime.clock.now()))
        query = query.where(Declaration.activity_id.in_(set(access.roles_by_activity())))
    elif caller.kind != "operator":
        raise Forbidden("Liste réservée aux utilisateurs habilités.")
    return query, access


def _actions(
    caller: ForwardedCaller,
    who: Standing,
    d: Declaration,
    forms: list[DeclarationForm],
    transmitted: bool,
) -> list[dict[str, str]]:
    names = ["consulter"]
    if caller.kind == "partner" and d.state in lifecycle.OPEN:
        kinds = {f.kind for f in forms if f.requested}
        if d.state in lifecycle.REVISING:
            names.append("reviser")
        if "activite" in kinds and who.offers(Action.saisir_activite):
            names.append("saisir_activite")
        if "financier" in kinds and who.offers(Action.saisir_financier):
            names.append("saisir_financier")
        names.append("controler")
        if who.offers(Action.transmettre) and d.state == DeclarationState.controlee:
            names.append("transmettre")
    # The receipt holds the whole declaration: not offered to a provider granted some sites only
    if transmitted and (caller.kind != "partner" or who.full_view):
        names.append("telecharger_accuse")
    instructor = who.instructor
    if instructor and d.state == DeclarationState.transmise:
        names += ["valider", "refuser"]
    if instructor and d.state not in lifecycle.FINAL:
        names.append("annuler")
    return [{"action": name, "libelle": ACTION_LABELS[name]} for name in names]


def _row(
    d: Declaration, a: ActivityCopy, forms: list[DeclarationForm], actions: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "exercice": d.exercice,
        "type_declaration": DECLARATION_TYPES[d.declaration_type],
        "type_declaration_code": d.declaration_type,
        "activite_id": str(a.activity_id),
        "activite": a.name,
        "type_activite": a.family,
        "nature": a.nature,
        "etat": label_of(d.state),
        "etat_code": d.state,
        "version": d.version,
        "motif_refus": d.refusal_reason if d.state in lifecycle.REVISING else None,
        "formulaires": [
            {
                "id": str(f.id),
                "type": "Données d'activité" if f.kind == "activite" else "Données financières",
                "lieu": f.site_name,
                "etat": label_of(f.state) if f.requested else "Non demandé",
            }
            for f in sorted(forms, key=lambda f: (f.kind, f.site_name or ""))
        ],
        "lieux": [s["name"] for s in json.loads(a.sites)],
        "actions": actions,
    }


async def awaiting_input(runtime: ServiceRuntime, caller: ForwardedCaller) -> dict[str, Any]:
    """The home page's alert: how many of the caller's declarations still await its input."""
    rows = await visible_to(runtime, caller)
    count = sum(
        1
        for row in rows
        if row["etat_code"] in lifecycle.AWAITING_INPUT
        and any(a["action"] in ("saisir_activite", "saisir_financier", "reviser") for a in row["actions"])
    )
    plural = "s" if count > 1 else ""
    message = f"Vous avez {count} déclaration{plural} à saisir" if count else "Vous n'avez aucune déclaration à saisir"
    return {"nombre": count, "message": message}


async def activity_history(
    runtime: ServiceRuntime, caller: ForwardedCaller, activity_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Every declaration of one activity, oldest exercice first, with its transmitted versions."""
    rows = await visible_to(runtime, caller, Filters(activite=activity_id))
    if not rows:
        raise NotFound("Aucune déclaration de cette activité dans votre périmètre.")
    async with runtime.db.sessions() as session:
        transmissions = (
            (
                await session.execute(
                    sa.select(Transmission)
                    .where(Transmission.declaration_id.in_([uuid.UUID(r["id"]) for r in rows]))
                    .order_by(Transmission.version)
                )
            )
            .scalars()
            .all()
        )
    order = ("previsionnelle", "actualisee_juin", "actualisee_septembre", "reelle")
    rows.sort(key=lambda r: (r["exercice"], order.index(r["type_declaration_code"])))
    for row in rows:
        row["versions"] = [
            {
                "version": t.version,
                "transmise_le": t.transmitted_at.isoformat(),
                "signataire": t.signer_name,
                "hash": t.hash,
                "decision_caf": t.decision,
                "motif": t.decision_reason,
                "accuse_reception": f"/api/v1/declarations/{row['id']}/versions/{t.version}/accuse.pdf",
            }
            for t in transmissions
            if str(t.declaration_id) == row["id"]
        ]
    return rows
