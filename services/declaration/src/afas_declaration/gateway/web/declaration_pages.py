"""Mes déclarations, a declaration, its forms, « Contrôler », « Transmettre » and the versions — for partners."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from afas_declaration.application import (
    approbateur_actions,
    attachments,
    declaration_list,
    drafts,
    receipts,
    review,
    transmission,
)
from afas_declaration.application.campaigns import DECLARATION_TYPES
from afas_declaration.domain import lifecycle
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.web import control_groups, labels
from afas_declaration.gateway.web.page_links import around, asked
from afas_declaration.gateway.web.pages import Viewer, check_csrf, redirect, render
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime

ACTION_PAGES = {
    "consulter": "/declarations/{id}",
    "saisir_activite": "/declarations/{id}#formulaires",
    "saisir_financier": "/declarations/{id}#formulaires",
    "reviser": "/declarations/{id}#formulaires",
    "controler": "/declarations/{id}/controle",
    "transmettre": "/declarations/{id}/transmission",
    "telecharger_accuse": "/declarations/{id}#versions",
    "valider": "/caf/instruction/{id}",
    "refuser": "/caf/instruction/{id}",
    "annuler": "/caf/instruction/{id}",
}


# What the declaration's page says after the action that led back to it
DONE = {"transmise": "Déclaration transmise à la Caf.", "renvoye": "Formulaire renvoyé à son fournisseur."}


def errors_of(refusal: HTTPException) -> list[dict[str, Any]]:
    if isinstance(refusal.detail, list):
        return [{"champ": str(d["loc"][-1]), "message": d["msg"]} for d in refusal.detail]
    return [{"champ": None, "message": str(refusal.detail)}]


def failure_page(request: Request, me: Viewer, refusal: HTTPException) -> HTMLResponse:
    titles = {403: "Accès refusé", 404: "Page introuvable", 503: "Service indisponible"}
    context = {"titre": titles.get(refusal.status_code, "Action impossible"), "erreurs": errors_of(refusal)}
    return render(request, "echec.html", context, refusal.status_code, viewer=me)


async def _form_values(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    def caller(me: Viewer):
        return forwarded_caller(me.caller.rpc())

    @web.get("/declarations", response_class=HTMLResponse)
    async def my_declarations(request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        query = request.query_params
        filters = declaration_list.Filters(
            type_declaration=query.get("type_declaration") or None,
            exercice=int(query["exercice"]) if query.get("exercice", "").isdigit() else None,
            etat=query.get("etat") or None,
            type_activite=query.get("type_activite") or None,
            # a label typed in the address (« périscolaire ») finds its nature as the select's code does
            nature=labels.nature_code(query.get("nature")),
        )
        try:
            page = await call_local(declaration_list.page_of(runtime, caller(me), filters, asked(request)))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        for row in page["elements"]:
            for action in row["actions"]:
                action["lien"] = ACTION_PAGES[action["action"]].format(id=row["id"])
        context = {
            "titre": "Mes déclarations",
            "rubrique": "declarations",
            "lignes": page["elements"],
            "page": page,
            "liens": around(request, page),
            "filtres": dict(query),
            "types": DECLARATION_TYPES,
            "etats": declaration_list.STATES,
            "familles": labels.family_labels(),
            "natures": labels.nature_labels(),
            "nature_choisie": labels.nature_code(query.get("nature")),
        }
        return render(request, "declarations.html", context, viewer=me)

    @web.get("/declarations/{declaration_id}", response_class=HTMLResponse)
    async def declaration(request: Request, declaration_id: uuid.UUID, me: Viewer = Depends(viewer)) -> HTMLResponse:
        try:
            detail = await call_local(drafts.detail(runtime, caller(me), declaration_id))
            versions = await call_local(transmission.versions(runtime, caller(me), declaration_id))
            files = await call_local(attachments.panel(runtime, caller(me), declaration_id))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        context = {"titre": f"Déclaration {detail['activite']}", "rubrique": "declarations", "d": detail, "p": files}
        context["versions"] = versions
        context["message"] = next((text for key, text in DONE.items() if request.query_params.get(key)), None)
        return render(request, "declaration.html", context, viewer=me)

    @web.get("/formulaires/{form_id}", response_class=HTMLResponse)
    async def form_page(request: Request, form_id: uuid.UUID, me: Viewer = Depends(viewer)) -> HTMLResponse:
        return await _form(request, me, form_id)

    async def _form(request, me, form_id, errors=None, submitted=None, status=200, message=None) -> HTMLResponse:
        try:
            declaration_id = await call_local(drafts.declaration_of_form(runtime, form_id))
            detail = await call_local(drafts.detail(runtime, caller(me), declaration_id))
            estimate = await call_local(review.estimate_shown(runtime, caller(me), declaration_id))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        form = next((f for f in detail["formulaires"] if f["id"] == str(form_id)), None)
        if form is None:
            return failure_page(request, me, HTTPException(403, "Ce formulaire n'est pas dans votre périmètre."))
        values = {**form["valeurs"], **(submitted or {})}
        context = {
            "titre": f"{form['titre']}{' — ' + form['lieu'] if form['lieu'] else ''}",
            "rubrique": "declarations",
            "d": detail,
            "f": form,
            "valeurs": values,
            "erreurs": errors or [],
            "erreurs_par_champ": {e["champ"]: e["message"] for e in errors or [] if e["champ"]},
            "estimation": estimate,
            "message": message,
        }
        return render(request, "formulaire.html", context, status, viewer=me)

    @web.post("/formulaires/{form_id}", response_class=HTMLResponse)
    async def save_form(request: Request, form_id: uuid.UUID, me: Viewer = Depends(viewer)) -> HTMLResponse:
        submitted = await _form_values(request)
        check_csrf(me, submitted.pop("csrf", None))
        version = int(submitted.pop("version", "0") or 0)
        values = {k: (v == "oui" if v in ("oui", "non") else v) for k, v in submitted.items() if v != ""}
        try:
            saved = await call_local(drafts.save(runtime, caller(me), form_id, version, values))
        except HTTPException as refusal:
            return await _form(request, me, form_id, errors_of(refusal), submitted, refusal.status_code)
        return await _form(request, me, form_id, message=f"Enregistré à {saved['enregistre_a']}.")

    @web.get("/formulaires/{form_id}/renvoi", response_class=HTMLResponse)
    async def send_back_page(request: Request, form_id: uuid.UUID, me: Viewer = Depends(viewer)) -> HTMLResponse:
        return await _send_back(request, me, form_id)

    async def _send_back(request, me, form_id, errors=None, comment="", status=200) -> HTMLResponse:
        """« Renvoyer au fournisseur »: the form, a comment box and the button — only where the send-back would be
        accepted (the form's ``renvoyable``, from the rule the API checks it with), else what it would answer."""
        try:
            declaration_id = await call_local(drafts.declaration_of_form(runtime, form_id))
            detail = await call_local(drafts.detail(runtime, caller(me), declaration_id))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        form = next((f for f in detail["formulaires"] if f["id"] == str(form_id)), None)
        if form is None or not form["renvoyable"]:
            why = form["motif_non_renvoyable"] if form else "Ce formulaire n'est pas dans votre périmètre."
            forbidden = form is None or why == lifecycle.WHO[lifecycle.Transition.send_back].refused
            return failure_page(request, me, HTTPException(403 if forbidden else 409, why))
        context = {
            "titre": "Renvoyer au fournisseur",
            "rubrique": "declarations",
            "d": detail,
            "f": form,
            "commentaire": comment,
            "longueur_min": lifecycle.COMMENT_MIN_LENGTH,
            "erreurs": errors or [],
            "erreurs_par_champ": {e["champ"]: e["message"] for e in errors or [] if e["champ"]},
        }
        return render(request, "renvoi.html", context, status, viewer=me)

    @web.post("/formulaires/{form_id}/renvoi", response_class=HTMLResponse)
    async def send_back(request: Request, form_id: uuid.UUID, me: Viewer = Depends(viewer)) -> HTMLResponse:
        submitted = await _form_values(request)
        check_csrf(me, submitted.get("csrf"))
        comment = submitted.get("commentaire", "")
        try:
            await call_local(approbateur_actions.send_back(runtime, caller(me), form_id, comment))
            declaration_id = await call_local(drafts.declaration_of_form(runtime, form_id))
        except HTTPException as refusal:
            if refusal.status_code != 422:
                return failure_page(request, me, refusal)
            return await _send_back(request, me, form_id, errors_of(refusal), comment, refusal.status_code)
        return redirect(request, f"/declarations/{declaration_id}?renvoye=1#formulaires")

    @web.get("/declarations/{declaration_id}/controle", response_class=HTMLResponse)
    async def controls_page(request: Request, declaration_id: uuid.UUID, me: Viewer = Depends(viewer)):
        return await _controls(request, me, declaration_id, run=False)

    @web.post("/declarations/{declaration_id}/controle", response_class=HTMLResponse)
    async def run_controls(request: Request, declaration_id: uuid.UUID, me: Viewer = Depends(viewer)):
        check_csrf(me, (await _form_values(request)).get("csrf"))
        return await _controls(request, me, declaration_id, run=True)

    async def _controls(request, me, declaration_id, run: bool, errors=None, status=200) -> HTMLResponse:
        try:
            detail = await call_local(drafts.detail(runtime, caller(me), declaration_id))
            action = review.run if run else review.latest
            result = await call_local(action(runtime, caller(me), declaration_id))
            files = await call_local(attachments.panel(runtime, caller(me), declaration_id))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        context = {
            "titre": "Contrôler ses données avant envoi",
            "rubrique": "declarations",
            "d": detail,
            "r": result,
            "groupes": control_groups.grouped(result["controles"], detail["formulaires"]),
            "p": files,
            "erreurs": errors or [],
            "lance": run or bool(result["controle_le"]),
        }
        return render(request, "controle.html", context, status, viewer=me)

    @web.post("/declarations/{declaration_id}/justifications/{key}", response_class=HTMLResponse)
    async def justify(request: Request, declaration_id: uuid.UUID, key: str, me: Viewer = Depends(viewer)):
        submitted = await _form_values(request)
        check_csrf(me, submitted.get("csrf"))
        try:
            await call_local(
                approbateur_actions.justify(
                    runtime, caller(me), declaration_id, key, submitted.get("texte", ""), submitted.get("montant")
                )
            )
        except HTTPException as refusal:
            errors = [{**e, "champ": f"{key}-{e['champ']}" if e["champ"] else None} for e in errors_of(refusal)]
            return await _controls(request, me, declaration_id, run=False, errors=errors, status=refusal.status_code)
        return redirect(request, f"/declarations/{declaration_id}/controle#controle-{key}")

    @web.get("/declarations/{declaration_id}/transmission", response_class=HTMLResponse)
    async def transmit_page(request: Request, declaration_id: uuid.UUID, me: Viewer = Depends(viewer)):
        return await _transmit_page(request, me, declaration_id)

    async def _transmit_page(request, me, declaration_id, errors=None, status=200) -> HTMLResponse:
        try:
            detail = await call_local(drafts.detail(runtime, caller(me), declaration_id))
            controls = await call_local(review.latest(runtime, caller(me), declaration_id))
            estimate = await call_local(review.estimate_shown(runtime, caller(me), declaration_id))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        context = {
            "titre": "Transmettre ses données",
            "rubrique": "declarations",
            "d": detail,
            "r": controls,
            "estimation": estimate,
            "erreurs": errors or [],
        }
        return render(request, "transmission.html", context, status, viewer=me)

    @web.post("/declarations/{declaration_id}/transmission", response_class=HTMLResponse)
    async def transmit(request: Request, declaration_id: uuid.UUID, me: Viewer = Depends(viewer)):
        submitted = await _form_values(request)
        check_csrf(me, submitted.get("csrf"))
        try:
            await call_local(
                transmission.transmit(
                    runtime,
                    caller(me),
                    declaration_id,
                    submitted.get("signature") == "oui",
                    submitted.get("informations_complementaires"),
                )
            )
        except HTTPException as refusal:
            return await _transmit_page(request, me, declaration_id, errors_of(refusal), refusal.status_code)
        return redirect(request, f"/declarations/{declaration_id}?transmise=1#versions")

    @web.get("/declarations/{declaration_id}/versions/{number}/accuse.pdf")
    async def receipt(request: Request, declaration_id: uuid.UUID, number: int, me: Viewer = Depends(viewer)):
        try:
            pdf = await call_local(transmission.receipt(runtime, caller(me), declaration_id, number))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        except receipts.ReceiptPending as pending:  # the page says so; the browser's retry gets the PDF
            page = failure_page(request, me, HTTPException(503, str(pending)))
            page.headers["Retry-After"] = str(pending.retry_after)
            return page
        name = f"accuse-reception-v{number}.pdf"
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    return web
