"""The Caf's partner pages: partners with their conventions, delegation and users (suspend, reactivate, force a
password change)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from afas_declaration.application import caf_documents, partner_overview
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.web import confirmations
from afas_declaration.gateway.web.caf_common import caller, done, posted, refused, services
from afas_declaration.gateway.web.declaration_pages import errors_of, failure_page
from afas_declaration.gateway.web.pages import Viewer, redirect, render
from afas_shared.runtime import ServiceRuntime

NOT_CAF = "Page réservée aux agents de la Caf."
PARTNER_KINDS = {
    "commune": "Commune",
    "epci": "EPCI (intercommunalité)",
    "association": "Association",
    "entreprise": "Entreprise",
    "autre": "Autre",
}
CONVENTION_KINDS = {
    "convention_acces": "Convention d'accès",
    "contrat_service": "Contrat de service",
    "bulletin_adhesion": "Bulletin d'adhésion AFAS",
}
USER_STATES = {"en_attente": "En attente d'activation", "actif": "Actif", "suspendu": "Suspendu", "clos": "Clos"}


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    habilitation, identity = services(runtime)

    @web.get("/caf/partenaires", response_class=HTMLResponse)
    async def partners(request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        return await _partners(request, me)

    async def _partners(request, me, errors=None, submitted=None, status=200) -> HTMLResponse:
        if (refusal := refused(request, me)) is not None:
            return refusal
        try:
            found = await identity(me, "list_partners")
            conventions = await identity(me, "search_conventions")
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        by_partner: dict[str, list[dict[str, Any]]] = {}
        for c in conventions:
            by_partner.setdefault(c["partenaire_id"], []).append(c)
        context = {
            "titre": "Partenaires",
            "rubrique": "partenaires",
            "partenaires": found,
            "conventions": by_partner,
            "types": PARTNER_KINDS,
            "caf": me.caller.claims.get("caf_code") or "",
            "peut_gerer": caller(me).manages_habilitations_of(caller(me).caf_code),
            "saisie": submitted or {"gestion_deleguee": "oui"},
            "erreurs": errors or [],
            "message": done(request),
        }
        return render(request, "caf_partenaires.html", context, status, viewer=me)

    @web.post("/caf/partenaires", response_class=HTMLResponse)
    async def register_partner(request: Request, me: Viewer = Depends(viewer)) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        values = await posted(request, me)
        partner = {
            "raison_sociale": values.get("raison_sociale", ""),
            "siret": values.get("siret", "").replace(" ", ""),
            "type": values.get("type", ""),
            "caf": values.get("caf", ""),
            "gestion_deleguee": values.get("gestion_deleguee") == "oui",
        }
        try:
            created = await identity(me, "register_partner", **partner)
        except HTTPException as refusal:
            return await _partners(request, me, errors_of(refusal), values, refusal.status_code)
        return redirect(request, f"/caf/partenaires/{created['id']}?fait=partenaire")

    @web.get("/caf/partenaires/{partner_id}", response_class=HTMLResponse)
    async def partner(request: Request, partner_id: uuid.UUID, me: Viewer = Depends(viewer)) -> HTMLResponse:
        return await _partner(request, me, partner_id)

    async def _partner(request, me, partner_id, errors=None, submitted=None, status=200) -> HTMLResponse:
        if (refusal := refused(request, me)) is not None:
            return refusal
        try:
            found = await identity(me, "get_partner", partner_id=partner_id)
            users = await identity(me, "list_users", partner_id=partner_id)
            conventions = await identity(me, "search_conventions", partenaire=partner_id)
            activities = await call_local(partner_overview.activities(runtime, caller(me), partner_id))
            # an operator sees the partner's page, not what its Caf wrote to it
            documents = await call_local(caf_documents.listing(runtime, caller(me), partner_id)) if me.is_caf else []
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        context = {
            "titre": found["raison_sociale"],
            "rubrique": "partenaires",
            "p": found,
            "type_libelle": PARTNER_KINDS.get(found["type"], found["type"]),
            "peut_gerer": caller(me).manages_habilitations_of(found["caf"]),
            "utilisateurs": users,
            "statuts": USER_STATES,
            "conventions": conventions,
            "activites": activities,
            "types_convention": CONVENTION_KINDS,
            "documents": documents,
            "natures_document": caf_documents.NATURES,
            "publier_document": me.is_caf and bool(set(me.caf_roles) & set(caf_documents.PUBLISHERS)),
            "saisie": submitted or {},
            "erreurs": errors or [],
            "message": done(request),
        }
        return render(request, "caf_partenaire.html", context, status, viewer=me)

    @web.post("/caf/partenaires/{partner_id}/delegation", response_class=HTMLResponse)
    async def delegation(request: Request, partner_id: uuid.UUID, me: Viewer = Depends(viewer)) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        values = await posted(request, me)
        try:
            await identity(
                me, "change_delegation", partner_id=partner_id, gestion_deleguee=values.get("gestion_deleguee") == "oui"
            )
        except HTTPException as refusal:
            return await _partner(request, me, partner_id, errors_of(refusal), None, refusal.status_code)
        return redirect(request, f"/caf/partenaires/{partner_id}?fait=delegation")

    @web.post("/caf/partenaires/{partner_id}/conventions", response_class=HTMLResponse)
    async def sign_convention(request: Request, partner_id: uuid.UUID, me: Viewer = Depends(viewer)) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        values = await posted(request, me)
        convention = {
            "type": values.get("type", ""),
            "libelle": values.get("libelle") or None,
            "date_ouverture": values.get("date_ouverture") or None,
            "date_fermeture": values.get("date_fermeture") or None,
        }
        if convention["type"] not in CONVENTION_KINDS or not convention["date_ouverture"]:
            problems = []
            if convention["type"] not in CONVENTION_KINDS:
                problems.append({"champ": "type", "message": "Choisissez le type de convention."})
            if not convention["date_ouverture"]:
                problems.append({"champ": "date_ouverture", "message": "Indiquez la date d'ouverture."})
            return await _partner(request, me, partner_id, problems, values, 422)
        try:
            await identity(me, "sign_convention", partner_id=partner_id, **convention)
        except HTTPException as refusal:
            return await _partner(request, me, partner_id, errors_of(refusal), values, refusal.status_code)
        return redirect(request, f"/caf/partenaires/{partner_id}?fait=convention")

    @web.post("/caf/partenaires/{partner_id}/utilisateurs/{user_id}/{action}", response_class=HTMLResponse)
    async def supervise(
        request: Request, partner_id: uuid.UUID, user_id: uuid.UUID, action: str, me: Viewer = Depends(viewer)
    ) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        verbs = {
            "suspendre": ("suspend_user", "suspendu"),
            "reactiver": ("reactivate_user", "reactive"),
            "mot-de-passe": ("force_password_change", "mot_de_passe"),
        }
        if action not in verbs:
            return failure_page(request, me, HTTPException(404, "Action inconnue."))
        values = await posted(request, me)
        verb, result = verbs[action]
        if action == "suspendre" and not confirmations.confirmed(values):  # what is suspended and why, asked first
            if not values.get("motif"):
                missing = [{"champ": f"motif-{user_id}", "message": "Indiquez le motif de la suspension."}]
                return await _partner(request, me, partner_id, missing, None, 422)
            try:
                found = await identity(me, "get_partner", partner_id=partner_id)
                users = await identity(me, "list_users", partner_id=partner_id)
            except HTTPException as refusal:
                return failure_page(request, me, refusal)
            user = next((u for u in users if u["id"] == str(user_id)), None)
            if user is None:
                return failure_page(request, me, HTTPException(404, "Utilisateur inconnu."))
            asked = confirmations.suspension(partner_id, user_id, found["raison_sociale"], user, values["motif"])
            return confirmations.ask(request, me, asked, "partenaires")
        extra = {"motif": values.get("motif", "")} if action == "suspendre" else {}
        try:
            await identity(me, verb, user_id=user_id, **extra)
        except HTTPException as refusal:
            errors = [{**e, "champ": f"{e['champ']}-{user_id}" if e["champ"] else None} for e in errors_of(refusal)]
            return await _partner(request, me, partner_id, errors, None, refusal.status_code)
        return redirect(request, f"/caf/partenaires/{partner_id}?fait={result}")

    # --- Campagnes ------------------------------------------------------------------------------------------

    return web
