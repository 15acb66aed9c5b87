"""Barèmes and payment policies for Caf agents: each parameter's dated values with their provenance, a new value
for paramétrage agents (versioned and audited by estimation, which re-estimates the open declarations), the
history of changes, and the Caf's payment policy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from afas_declaration.application.campaigns import FAMILIES
from afas_declaration.entrypoints.service_calls import call_service
from afas_declaration.entrypoints.web.declaration_pages import errors_of, failure_page
from afas_declaration.entrypoints.web.pages import Viewer, check_csrf, redirect, render
from afas_shared.runtime import ServiceRuntime

FORM_FIELDS = ("parametre", "nature", "applicable_depuis", "valeur", "provenance", "motif")


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    async def ask(verb: str, me: Viewer, **payload: Any) -> Any:
        return await call_service(runtime, "estimation", verb, me.caller.rpc(**payload))

    async def page(request: Request, me: Viewer, family: str, errors=None, submitted=None, status=200):
        if not me.is_caf and me.kind != "operator":
            return failure_page(request, me, HTTPException(403, "Les barèmes se consultent dans l'espace Caf."))
        if family not in FAMILIES:
            return failure_page(request, me, HTTPException(404, "Type d'activité inconnu."))
        try:
            bareme = await ask("parameters", me, family=family)
            caf = me.caller.claims.get("caf_code") or "080"
            policy = await ask("payment_policy", me, caf=caf)
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        context = {
            "titre": f"Barème {bareme['libelle']}",
            "rubrique": "baremes",
            "familles": FAMILIES,
            "famille": family,
            "b": bareme,
            "politique": policy,
            "peut_modifier": me.kind == "operator" or "parametrage" in me.caf_roles,
            "erreurs": errors or [],
            "saisie": submitted or {},
            "message": request.query_params.get("info"),
        }
        return render(request, "baremes.html", context, status, viewer=me)

    @web.get("/caf/baremes", response_class=HTMLResponse)
    async def baremes(request: Request, famille: str = "eaje_psu", me: Viewer = Depends(viewer)) -> HTMLResponse:
        return await page(request, me, famille)

    @web.post("/caf/baremes/{famille}", response_class=HTMLResponse)
    async def change(request: Request, famille: str, me: Viewer = Depends(viewer)):
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        check_csrf(me, form.get("csrf"))
        submitted = {k: form.get(k, "").strip() for k in FORM_FIELDS}
        try:
            changed = await ask(
                "set_parameter",
                me,
                family=famille,
                parameter=submitted["parametre"],
                nature=submitted["nature"] or None,
                applies_from=submitted["applicable_depuis"],
                value=submitted["valeur"].replace(",", "."),
                provenance=submitted["provenance"],
                reason=submitted["motif"] or None,
            )
        except HTTPException as refusal:
            return await page(request, me, famille, errors_of(refusal), submitted, refusal.status_code)
        info = (
            "Valeur enregistrée : les déclarations en cours sont ré-estimées."
            if changed.get("modifie")
            else "Cette valeur était déjà en vigueur : rien n'a changé."
        )
        return redirect(request, f"/caf/baremes?famille={famille}&info={info}")

    return web
