"""The Caf's campaign pages: campaigns, opening one, the progress dashboard (server-side SVG chart); its CSV /
XLSX exports are in ``caf_campaign_exports``."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from afas_declaration.application import campaign_admin, campaign_progress, campaigns
from afas_declaration.application.campaigns import DECLARATION_TYPES
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.web import confirmations
from afas_declaration.gateway.web.caf_common import FAMILY_LABELS, caller, done, posted, refused, services
from afas_declaration.gateway.web.declaration_pages import errors_of, failure_page
from afas_declaration.gateway.web.pages import Viewer, redirect, render
from afas_shared.runtime import ServiceRuntime

# The campaign form's fields, named as the API and the use case's input name them, and what each asks for
CAMPAIGN_MESSAGES = {
    "type_activite": "Choisissez le type d'activité.",
    "type_declaration": "Choisissez le type de déclaration.",
    "exercice": "Indiquez l'exercice sur quatre chiffres (2000 à 2100).",
    "date_ouverture": "Indiquez la date d'ouverture (jj/mm/aaaa).",
    "date_limite": "Indiquez la date limite (jj/mm/aaaa).",
    "caf": "Choisissez la Caf.",
}


CLOSERS_ONLY = "Seuls les agents de paramétrage de la Caf gèrent les campagnes."


def chart(rows: list[dict[str, Any]], width: int = 640) -> dict[str, Any]:
    """A horizontal bar per state, laid out here so the template only draws it."""
    label_width, value_width, row_height, bar_height, top = 190, 40, 30, 20, 10
    area = width - label_width - value_width - 20
    biggest = max((r["nombre"] for r in rows), default=0) or 1
    bars = []
    for i, row in enumerate(rows):
        y = top + i * row_height
        length = round(area * row["nombre"] / biggest, 1)
        bars.append(
            {
                **row,
                "y": y,
                "y_texte": y + bar_height - 5,
                "largeur": length,
                "x_valeur": label_width + 10 + length + 6,
            }
        )
    return {
        "largeur": width,
        "hauteur": top * 2 + len(rows) * row_height,
        "x_barre": label_width + 10,
        "x_libelle": label_width,
        "hauteur_barre": bar_height,
        "barres": bars,
    }


def _campaign_label(c: dict[str, Any]) -> str:
    family = FAMILY_LABELS.get(c["type_activite"], c["type_activite"])
    return f"{family} — {c['type_declaration_libelle']} {c['exercice']}"


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    habilitation, identity = services(runtime)

    @web.get("/caf/campagnes", response_class=HTMLResponse)
    async def campaigns_page(request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        return await _campaigns(request, me)

    async def _campaigns(request, me, errors=None, submitted=None, status=200) -> HTMLResponse:
        if (refusal := refused(request, me)) is not None:
            return refusal
        try:
            found = await call_local(campaign_progress.overview(runtime, caller(me)))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        for p in found:
            p["libelle"] = _campaign_label(p["campagne"])
        context = {
            "titre": "Campagnes de déclaration",
            "rubrique": "campagnes",
            "campagnes": found,
            "familles": FAMILY_LABELS,
            "types": DECLARATION_TYPES,
            "peut_ouvrir": me.caf_standing.opens_campaigns,
            "operateur": me.kind == "operator",
            "saisie": submitted or {},
            "erreurs": errors or [],
            "message": done(request),
        }
        return render(request, "caf_campagnes.html", context, status, viewer=me)

    @web.post("/caf/campagnes", response_class=HTMLResponse)
    async def open_campaign(request: Request, me: Viewer = Depends(viewer)) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        values = await posted(request, me)
        try:
            data = campaigns.CampaignInput.model_validate(
                {name: values.get(name) or None for name in CAMPAIGN_MESSAGES}
            )
        except ValidationError as exc:
            errors, seen = [], set()
            for error in exc.errors(include_url=False):
                name = str(error["loc"][0])
                if name not in seen:
                    seen.add(name)
                    errors.append({"champ": name, "message": CAMPAIGN_MESSAGES.get(name, "Valeur non autorisée.")})
            return await _campaigns(request, me, errors, values, 422)
        try:
            created = await call_local(campaigns.create(runtime, caller(me), data))
        except HTTPException as refusal:
            return await _campaigns(request, me, errors_of(refusal), values, refusal.status_code)
        return redirect(request, f"/caf/campagnes/{created['id']}?fait=campagne")

    async def _progress(me: Viewer, campaign_id: uuid.UUID) -> dict[str, Any]:
        return await call_local(campaign_progress.progress(runtime, caller(me), campaign_id))

    @web.get("/caf/campagnes/{campaign_id}", response_class=HTMLResponse)
    async def campaign_dashboard(request: Request, campaign_id: uuid.UUID, me: Viewer = Depends(viewer)):
        if (refusal := refused(request, me)) is not None:
            return refusal
        try:
            p = await _progress(me, campaign_id)
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        context = {
            "titre": f"Suivi de la campagne {_campaign_label(p['campagne'])}",
            "rubrique": "campagnes",
            "p": p,
            "libelle": _campaign_label(p["campagne"]),
            "famille": FAMILY_LABELS.get(p["campagne"]["type_activite"], p["campagne"]["type_activite"]),
            "graphique": chart(p["par_etat"]),
            "message": done(request),
            "peut_cloturer": _closable(me, p["campagne"]),
        }
        return render(request, "caf_campagne.html", context, viewer=me)

    def _closable(me: Viewer, campaign: dict[str, Any]) -> bool:
        """« Clôturer la campagne » by the rule the closing is checked with, while it is not closed yet."""
        return campaign_admin.manages(caller(me), campaign["caf"]) and not campaign["cloturee_le"]

    @web.post("/caf/campagnes/{campaign_id}/cloture", response_class=HTMLResponse)
    async def close_campaign(request: Request, campaign_id: uuid.UUID, me: Viewer = Depends(viewer)) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        values = await posted(request, me)
        try:
            campaign = (await _progress(me, campaign_id))["campagne"]
            if not confirmations.confirmed(values):  # what closing means, asked first (refused at once if it cannot)
                if not _closable(me, campaign):
                    why = "Cette campagne est déjà clôturée." if campaign["cloturee_le"] else CLOSERS_ONLY
                    raise HTTPException(409 if campaign["cloturee_le"] else 403, why)
                asked = confirmations.campaign_closing(campaign, _campaign_label(campaign))
                return confirmations.ask(request, me, asked, "campagnes")
            await call_local(campaign_admin.close(runtime, caller(me), campaign_id))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        return redirect(request, f"/caf/campagnes/{campaign_id}?fait=cloturee")

    return web
