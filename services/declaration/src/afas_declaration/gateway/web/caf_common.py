"""What the Caf's pages share: who may see them, the calls they make, the forms they read."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from afas_declaration.gateway.clients.typed_calls import ask
from afas_declaration.gateway.web import labels
from afas_declaration.gateway.web.declaration_pages import failure_page
from afas_declaration.gateway.web.pages import Viewer, check_csrf
from afas_shared.auth.caller import forwarded_caller
from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.runtime import ServiceRuntime

NOT_CAF = "Page réservée aux agents de la Caf."
DONE = {
    "valide": "L'approbateur est validé : il peut désormais signer et transmettre.",
    "rejete": "L'approbateur est refusé ; le motif est communiqué au partenaire.",
    DeclarationState.validee: "La déclaration est validée.",
    DeclarationState.refusee: "La déclaration est refusée : le partenaire va la réviser.",
    DeclarationState.annulee: "La déclaration est annulée.",
    "partenaire": "Le partenaire est enregistré.",
    "convention": "La convention est enregistrée.",
    "delegation": "La gestion déléguée des utilisateurs est modifiée.",
    "suspendu": "Le compte est suspendu et ses sessions sont fermées.",
    "reactive": "Le compte est réactivé.",
    "mot_de_passe": "L'utilisateur devra changer son mot de passe à sa prochaine connexion.",
    "campagne": "La campagne est enregistrée.",
    "cloturee": "La campagne est clôturée : plus aucune déclaration n'y est attendue.",
    "versements": "Les versements antérieurs à la plateforme sont enregistrés : l'échéancier en tient compte.",
    "reels": "Le droit réel antérieur à la plateforme est enregistré : l'échéancier en tient compte.",
}


def caller(me: Viewer):
    return forwarded_caller(me.caller.rpc())


def services(runtime: ServiceRuntime):
    """The habilitation and identity calls of a page, made as the signed-in agent."""

    async def habilitation(me: Viewer, verb: str, **fields: Any) -> Any:
        return await ask(runtime, "habilitation", verb, me.caller, **fields)

    async def identity(me: Viewer, verb: str, **fields: Any) -> Any:
        return await ask(runtime, "identity", verb, me.caller, **fields)

    return habilitation, identity


def refused(request: Request, me: Viewer) -> HTMLResponse | None:
    if me.caf_standing.caf_member:
        return None
    return failure_page(request, me, HTTPException(403, NOT_CAF))


async def posted(request: Request, me: Viewer) -> dict[str, str]:
    form = await request.form()
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    check_csrf(me, values.get("csrf"))
    return values


def done(request: Request) -> str | None:
    return DONE.get(request.query_params.get("fait", ""))


FAMILY_LABELS = labels.family_labels()  # the one mapping of codes to labels: ``labels``


def as_int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def as_uuid(value: str | None) -> uuid.UUID | None:
    """A filter's id as chosen in a select; anything else filters nothing."""
    try:
        return uuid.UUID((value or "").strip())
    except ValueError:
        return None
