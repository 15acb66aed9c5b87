"""The step before an action that cannot be undone: ending a grant (« Mettre fin »), cancelling a declaration,
suspending a user's account, closing a campaign.

The action's own form posts without ``confirmation``: the page answers with what is about to happen and a second
form carrying the same values with ``confirmation=oui`` (and the CSRF token), which makes the change. Plain HTML
forms, so it works without JavaScript; nothing changes until the second post.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from afas_declaration.application import drafts
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.web.declaration_pages import failure_page
from afas_declaration.gateway.web.pages import Viewer, french_date, render
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime

CONFIRMED = "oui"


@dataclass(frozen=True)
class Confirmation:
    """What the page asks: the title, what will happen, the facts it acts on, the form that does it."""

    title: str
    consequence: str
    facts: list[tuple[str, str]]
    action: str  # where the confirming form posts
    button: str
    back: str  # the page left when the user changes their mind
    carried: dict[str, str] = field(default_factory=dict)  # the first form's values, posted again


def confirmed(values: dict[str, str]) -> bool:
    return values.get("confirmation") == CONFIRMED


def ask(request: Request, me: Viewer, confirmation: Confirmation, rubrique: str) -> HTMLResponse:
    context = {"titre": confirmation.title, "rubrique": rubrique, "c": confirmation}
    return render(request, "confirmation.html", context, viewer=me)


async def cancel_declaration(
    runtime: ServiceRuntime, request: Request, me: Viewer, declaration_id: uuid.UUID, values: dict[str, str]
) -> HTMLResponse:
    """« Annuler la déclaration »: what is cancelled and why, before it is (refused at once where it cannot be)."""
    try:
        detail = await call_local(drafts.detail(runtime, forwarded_caller(me.caller.rpc()), declaration_id))
    except HTTPException as refusal:
        return failure_page(request, me, refusal)
    if not detail["actions"]["annuler"]:
        return failure_page(request, me, HTTPException(409, detail["actions_impossibles"]["annuler"]))
    reason = values.get("motif_annuler", "")
    confirmation = Confirmation(
        title="Annuler la déclaration ?",
        consequence="L'annulation est définitive : la déclaration ne pourra plus être saisie, transmise ni instruite.",
        facts=[
            ("Activité", detail["activite"]),
            ("Déclaration", f"{detail['type_declaration_libelle']} {detail['exercice']}, version {detail['version']}"),
            ("État", detail["etat"]),
            ("Motif de l'annulation", reason or "—"),
        ],
        action=f"/caf/instruction/{declaration_id}/annuler",
        button="Confirmer l'annulation",
        back=f"/caf/instruction/{declaration_id}",
        carried={"motif_annuler": reason},
    )
    return ask(request, me, confirmation, "instruction")


def suspension(partner_id: uuid.UUID, user_id: uuid.UUID, partner: str, user: dict, reason: str) -> Confirmation:
    """« Suspendre » a partner user's account: its sessions close at once, it logs in no more until reactivated."""
    return Confirmation(
        title="Suspendre le compte ?",
        consequence="Ses sessions sont fermées tout de suite et il ne pourra plus se connecter tant que le compte "
        "n'est pas réactivé.",
        facts=[
            ("Utilisateur", f"{user['prenom']} {user['nom']}"),
            ("Identifiant", user["identifiant"]),
            ("Partenaire", partner),
            ("Motif de la suspension", reason),
        ],
        action=f"/caf/partenaires/{partner_id}/utilisateurs/{user_id}/suspendre",
        button="Confirmer la suspension",
        back=f"/caf/partenaires/{partner_id}#utilisateurs",
        carried={"motif": reason},
    )


def campaign_closing(campaign: dict, label: str) -> Confirmation:
    """« Clôturer la campagne »: no declaration is expected in it any more (those it holds keep their course)."""
    return Confirmation(
        title="Clôturer la campagne ?",
        consequence="Plus aucune déclaration n'y sera attendue : une activité ouverte plus tard n'y aura pas de "
        "déclaration. Les déclarations déjà créées suivent leur cours. La clôture est définitive.",
        facts=[
            ("Campagne", label),
            ("Ouverture", french_date(campaign["date_ouverture"])),
            ("Date limite", french_date(campaign["date_limite"])),
        ],
        action=f"/caf/campagnes/{campaign['id']}/cloture",
        button="Confirmer la clôture",
        back=f"/caf/campagnes/{campaign['id']}",
    )
