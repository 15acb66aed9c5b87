"""The Caf's local rules, chosen by that Caf's own agents and shown on its barème page: its payment policy
(paramétrage agents), its territories for the PSU bonus territoire and the activities assigned to them; and, from the
instruction page, what the Caf paid for an activity, or validated as its actual entitlement, before the platform."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from afas_declaration.application import drafts
from afas_declaration.application.campaigns import FAMILIES
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.web.bareme_pages import (
    ask_estimation,
    caf_of,
    checked_form,
    refused_page,
    saved,
)
from afas_declaration.gateway.web.declaration_pages import failure_page
from afas_declaration.gateway.web.pages import Viewer, redirect
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime

POLICY_FIELDS = ("politique", "motif_politique")
POLICY_REFUSED = "Seuls les agents de paramétrage de la Caf choisissent sa politique de versement."
PRIOR_REFUSED = (
    "Seuls les agents d'instruction ou de paramétrage de la Caf de l'activité enregistrent ses versements antérieurs."
)
TERRITORY_FIELDS = (
    "territoire_code",
    "territoire_nom",
    "montant_place_nouvelle",
    "territoire_depuis",
    "territoire_provenance_titre",
    "territoire_provenance_emetteur",
    "territoire_provenance_date",
    "territoire_provenance_reference",
    "territoire_motif",
)
TERRITORY_PAGE_FIELDS = {  # the API's field names (estimation's contract) → the page's inputs
    "code": "territoire_code",
    "nom": "territoire_nom",
    "valeur": "montant_place_nouvelle",
    "applicable_depuis": "territoire_depuis",
    "provenance": "territoire_provenance_titre",
    "motif": "territoire_motif",
    "territoire": "territoire",
    "activity_id": "activite_id",
}
TERRITORY_REFUSED = (
    "Seuls les agents de paramétrage de la Caf définissent ses territoires et y affectent ses activités."
)


async def _territory_submission(request: Request, me: Viewer, fields: tuple[str, ...]):
    """The posted territory form's ``fields`` (stripped) and None, or None and the refusal page when the agent may
    not set the Caf's territories; the CSRF token is checked first."""
    form = await checked_form(request, me)
    if not me.caf_standing.sets_local_rules:
        return None, failure_page(request, me, HTTPException(403, TERRITORY_REFUSED))
    return {k: form.get(k, "").strip() for k in fields}, None


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.post("/caf/politique-paiement", response_class=HTMLResponse)
    async def choose_policy(request: Request, me: Viewer = Depends(viewer)):
        form = await checked_form(request, me)
        family = form.get("famille", "")
        family = family if family in FAMILIES else "eaje_psu"
        if not me.caf_standing.sets_local_rules:
            return failure_page(request, me, HTTPException(403, POLICY_REFUSED))
        submitted = {k: form.get(k, "").strip() for k in POLICY_FIELDS}
        try:
            changed = await ask_estimation(
                runtime,
                "set_payment_policy",
                me,
                caf=caf_of(me),
                politique=submitted["politique"],
                motif=submitted["motif_politique"] or None,
            )
        except HTTPException as refusal:
            return await refused_page(
                runtime, request, me, family, refusal, {"politique": "politique", "motif": "motif_politique"}, submitted
            )
        return saved(
            request,
            family,
            changed,
            "Politique de versement enregistrée : les échéanciers des activités de la Caf sont recalculés.",
            "Cette politique était déjà appliquée : rien n'a changé.",
        )

    @web.post("/caf/territoires", response_class=HTMLResponse)
    async def define_territory(request: Request, me: Viewer = Depends(viewer)):
        """A territory of the agent's own Caf and its dated amount per new place (PSU bonus territoire)."""
        submitted, refusal_page = await _territory_submission(request, me, TERRITORY_FIELDS)
        if submitted is None:
            return refusal_page
        try:
            changed = await ask_estimation(
                runtime,
                "set_territory",
                me,
                caf=caf_of(me),
                code=submitted["territoire_code"],
                nom=submitted["territoire_nom"],
                applicable_depuis=submitted["territoire_depuis"],
                valeur=submitted["montant_place_nouvelle"].replace(" ", "").replace("\u00a0", "").replace(",", "."),
                provenance={
                    "titre": submitted["territoire_provenance_titre"],
                    "emetteur": submitted["territoire_provenance_emetteur"],
                    "date": submitted["territoire_provenance_date"],
                    "reference": submitted["territoire_provenance_reference"],
                },
                motif=submitted["territoire_motif"] or None,
            )
        except HTTPException as refusal:
            return await refused_page(runtime, request, me, "eaje_psu", refusal, TERRITORY_PAGE_FIELDS, submitted)
        return saved(
            request,
            "eaje_psu",
            changed,
            "Territoire enregistré : les déclarations en cours de la Caf sont ré-estimées.",
            "Ce montant était déjà en vigueur : rien n'a changé.",
        )

    @web.post("/caf/territoires/affectation", response_class=HTMLResponse)
    async def assign_territory(request: Request, me: Viewer = Depends(viewer)):
        """An EAJE-PSU activity of the agent's Caf assigned to one of its territories (or back to the default)."""
        submitted, refusal_page = await _territory_submission(request, me, ("activite_id", "territoire"))
        if submitted is None:
            return refusal_page
        try:
            changed = await ask_estimation(
                runtime,
                "assign_territory",
                me,
                activity_id=submitted["activite_id"],
                territoire=submitted["territoire"] or None,
            )
        except HTTPException as refusal:
            if refusal.status_code in (403, 404):
                return failure_page(request, me, refusal)
            return await refused_page(runtime, request, me, "eaje_psu", refusal, TERRITORY_PAGE_FIELDS, submitted)
        return saved(
            request,
            "eaje_psu",
            changed,
            "Activité affectée : ses déclarations en cours sont ré-estimées.",
            "L'activité était déjà affectée à ce territoire : rien n'a changé.",
        )

    @web.post("/caf/declarations/{declaration_id}/versements-anterieurs", response_class=HTMLResponse)
    async def prior_payments(request: Request, declaration_id: uuid.UUID, me: Viewer = Depends(viewer)):
        """From the instruction page: what the Caf paid for the activity before the platform, for one exercice."""
        form = await checked_form(request, me)
        if not me.caf_standing.records_prior_payments:
            return failure_page(request, me, HTTPException(403, PRIOR_REFUSED))
        try:
            # the declaration's use case says whether it is the caller's Caf's, and which activity it is about
            detail = await call_local(drafts.detail(runtime, forwarded_caller(me.caller.rpc()), declaration_id))
            await ask_estimation(
                runtime,
                "record_prior_payments",
                me,
                activity_id=detail["activite_id"],
                exercice=(form.get("exercice_anterieur") or "").strip() or detail["exercice"],
                acomptes=(form.get("acomptes_anterieurs") or "").strip(),
                solde=(form.get("solde_anterieur") or "").strip() or None,
            )
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        return redirect(request, f"/caf/instruction/{declaration_id}?fait=versements")

    @web.post("/caf/declarations/{declaration_id}/reels-anterieurs", response_class=HTMLResponse)
    async def prior_actual(request: Request, declaration_id: uuid.UUID, me: Viewer = Depends(viewer)):
        """From the instruction page: the actual entitlement of an exercice of the activity validated before the
        platform (the Caf du Nord's first advance rests on the actual N-2, its cap compares with the actual N-1)."""
        form = await checked_form(request, me)
        if not me.caf_standing.records_prior_payments:
            return failure_page(request, me, HTTPException(403, PRIOR_REFUSED))
        try:
            detail = await call_local(drafts.detail(runtime, forwarded_caller(me.caller.rpc()), declaration_id))
            await ask_estimation(
                runtime,
                "record_prior_actual",
                me,
                activity_id=detail["activite_id"],
                exercice=(form.get("exercice_reel_anterieur") or "").strip(),
                droit_reel=(form.get("droit_reel_anterieur") or "").strip(),
                droit_previsionnel=(form.get("droit_previsionnel_anterieur") or "").strip() or None,
            )
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        return redirect(request, f"/caf/instruction/{declaration_id}?fait=reels")

    return web
