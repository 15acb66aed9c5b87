"""The Caf's instruction pages: approbateurs awaiting validation, declarations to instruct and their decision."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from afas_declaration.application import drafts, instruction, partner_copy, thread_counts, transmission
from afas_declaration.application.campaigns import DECLARATION_TYPES, FAMILIES
from afas_declaration.domain.gap_justification import UNKNOWN, gap_justification_label
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.web import confirmations
from afas_declaration.gateway.web.caf_common import (
    FAMILY_LABELS,
    as_int,
    as_uuid,
    caller,
    done,
    posted,
    refused,
    services,
)
from afas_declaration.gateway.web.declaration_pages import errors_of, failure_page
from afas_declaration.gateway.web.page_links import around, asked
from afas_declaration.gateway.web.pages import Viewer, redirect, render
from afas_declaration.gateway.web.version_changes import changes
from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    habilitation, identity = services(runtime)

    # --- Approbateurs ---------------------------------------------------------------------------------------

    @web.get("/caf/approbateurs", response_class=HTMLResponse)
    async def approbateurs(request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        return await _approbateurs(request, me)

    async def _approbateurs(request, me, errors=None, status=200) -> HTMLResponse:
        if (refusal := refused(request, me)) is not None:
            return refusal
        try:
            pending = await habilitation(me, "pending_approbateurs")
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        context = {
            "titre": "Approbateurs en attente de validation",
            "rubrique": "approbateurs",
            "lignes": pending,
            # « Valider » and « Refuser » by the rule habilitation decides with (the list: the agent's own Caf's)
            "peut_decider": caller(me).manages_habilitations_of(caller(me).caf_code),
            "erreurs": errors or [],
            "message": done(request),
        }
        return render(request, "caf_approbateurs.html", context, status, viewer=me)

    @web.post("/caf/approbateurs/{grant_id}/valider", response_class=HTMLResponse)
    async def validate_approbateur(request: Request, grant_id: uuid.UUID, me: Viewer = Depends(viewer)):
        return await _decide_grant(request, me, grant_id, accept=True)

    @web.post("/caf/approbateurs/{grant_id}/refuser", response_class=HTMLResponse)
    async def reject_approbateur(request: Request, grant_id: uuid.UUID, me: Viewer = Depends(viewer)):
        return await _decide_grant(request, me, grant_id, accept=False)

    async def _decide_grant(request, me, grant_id, accept: bool) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        values = await posted(request, me)
        try:
            await habilitation(me, "decide_grant", grant_id=grant_id, accepter=accept, motif=values.get("motif"))
        except HTTPException as refusal:
            errors = [{**e, "champ": f"{e['champ']}-{grant_id}" if e["champ"] else None} for e in errors_of(refusal)]
            return await _approbateurs(request, me, errors, refusal.status_code)
        return redirect(request, f"/caf/approbateurs?fait={'valide' if accept else 'rejete'}")

    # --- Instruction ----------------------------------------------------------------------------------------

    @web.get("/caf/instruction", response_class=HTMLResponse)
    async def instruction_queue(request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        if (refusal := refused(request, me)) is not None:
            return refusal
        query = request.query_params
        filters = {
            "famille": query.get("type_activite") if query.get("type_activite") in FAMILIES else None,
            "exercice": as_int(query.get("exercice")),
            "type_declaration": query.get("type_declaration")
            if query.get("type_declaration") in DECLARATION_TYPES
            else None,
            "partenaire": as_uuid(query.get("partenaire")),
        }
        try:
            page = await call_local(instruction.queue(runtime, caller(me), **filters, request=asked(request)))
            unread = await thread_counts.for_caf(runtime, [line["id"] for line in page["elements"]])
            partners = await call_local(partner_copy.names_for(runtime, caller(me)))  # the copy: no identity call
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        context = {
            "titre": "Déclarations à instruire",
            "rubrique": "instruction",
            "lignes": [line | {"non_lus": unread.get(line["id"], 0)} for line in page["elements"]],
            "page": page,
            "liens": around(request, page),
            "filtres": dict(query),
            "types": DECLARATION_TYPES,
            "familles": FAMILY_LABELS,
            "partenaires": partners,
            "message": done(request),
        }
        return render(request, "caf_instruction.html", context, viewer=me)

    @web.get("/caf/instruction/{declaration_id}", response_class=HTMLResponse)
    async def to_instruct(request: Request, declaration_id: uuid.UUID, me: Viewer = Depends(viewer)) -> HTMLResponse:
        return await _to_instruct(request, me, declaration_id)

    async def _to_instruct(request, me, declaration_id, errors=None, submitted=None, status=200) -> HTMLResponse:
        if (refusal := refused(request, me)) is not None:
            return refusal
        try:
            detail = await call_local(drafts.detail(runtime, caller(me), declaration_id))
            versions = await call_local(transmission.versions(runtime, caller(me), declaration_id))
            latest = max((v["version"] for v in versions), default=None)
            snapshot = (
                await call_local(transmission.version(runtime, caller(me), declaration_id, latest))
                if latest is not None
                else None
            )
            # The version the latest one is compared with: the one before it, or the one the agent chose
            base = _compared_with(as_int(request.query_params.get("depuis")), latest)
            earlier = (
                await call_local(transmission.version(runtime, caller(me), declaration_id, base))
                if base is not None
                else None
            )
            decidable = detail["actions"]["valider"] and snapshot is not None
            # The Caf's threshold and which gap its cap compares are estimation's (its payment policy), not read here
            gap_box = gap_justification_label(detail["type_declaration"], UNKNOWN) if decidable else None
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        controls = snapshot["controles"] if snapshot else []
        context = {
            "titre": f"Instruire — {detail['activite']}",
            "rubrique": "instruction",
            "d": detail,
            "type_libelle": DECLARATION_TYPES.get(detail["type_declaration"], detail["type_declaration"]),
            "versions": versions,
            "s": snapshot,
            "anomalies": [c for c in controls if c["statut"] != "ok"],
            "conformes": [c for c in controls if c["statut"] == "ok"],
            # offered only where the decision would be accepted: the rule the API checks it with (detail's actions)
            "decidable": decidable,
            "ecart_libelle": gap_box,  # the gap justification box, only on a validation where it counts
            "annulable": detail["actions"]["annuler"],
            "precedente": earlier,
            "changements": changes(earlier, snapshot) if earlier and snapshot else [],
            "saisie": submitted or {},
            "erreurs": errors or [],
            "message": done(request),
        }
        return render(request, "caf_declaration.html", context, status, viewer=me)

    @web.post("/caf/instruction/{declaration_id}/{action}", response_class=HTMLResponse)
    async def decide(request: Request, declaration_id: uuid.UUID, action: str, me: Viewer = Depends(viewer)):
        if (refusal := refused(request, me)) is not None:
            return refusal
        decisions = {
            "valider": DeclarationState.validee,
            "refuser": DeclarationState.refusee,
            "annuler": DeclarationState.annulee,
        }
        if action not in decisions:
            return failure_page(request, me, HTTPException(404, "Action inconnue."))
        values = await posted(request, me)
        if action == "annuler" and not confirmations.confirmed(values):
            return await confirmations.cancel_declaration(runtime, request, me, declaration_id, values)
        decision = decisions[action]
        accepted = values.get("justification_ecart_acceptee") == "oui"
        reason = values.get(f"motif_{action}")
        try:
            await call_local(instruction.decide(runtime, caller(me), declaration_id, decision, reason, accepted))
        except HTTPException as refusal:
            errors = [
                {**e, "champ": f"motif_{action}" if e["champ"] == "motif" else e["champ"]} for e in errors_of(refusal)
            ]
            return await _to_instruct(request, me, declaration_id, errors, values, refusal.status_code)
        return redirect(request, f"/caf/instruction/{declaration_id}?fait={decision}")

    return web


def _compared_with(asked_for: int | None, latest: int | None) -> int | None:
    """The earlier version shown beside the latest: the one asked for when it precedes the latest, else the one
    just before it; none for a first version."""
    if latest is None or latest < 2:
        return None
    return asked_for if asked_for is not None and 1 <= asked_for < latest else latest - 1
