"""The Caf's pages — for its agents (and the operator): approbateurs awaiting validation, declarations to
instruct and their decision, partners with their conventions and users, campaigns with their progress
dashboard (server-side SVG chart) and its CSV / XLSX exports."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from afas_declaration.adapters import spreadsheet
from afas_declaration.application import campaign_progress, campaigns, drafts, instruction, transmission
from afas_declaration.application.campaigns import DECLARATION_TYPES, FAMILIES, FORM_VERSION
from afas_declaration.domain.forms import load_definition
from afas_declaration.entrypoints.service_calls import call_identity, call_local, call_service
from afas_declaration.entrypoints.web.declaration_pages import errors_of, failure_page
from afas_declaration.entrypoints.web.pages import Viewer, check_csrf, french_date, french_number, redirect, render
from afas_shared.auth.caller import forwarded_caller
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
DECISIONS = {"validee": "Validée", "refusee": "Refusée", "annulee": "Annulée"}
DONE = {
    "valide": "L'approbateur est validé : il peut désormais signer et transmettre.",
    "rejete": "L'approbateur est refusé ; le motif est communiqué au partenaire.",
    "validee": "La déclaration est validée.",
    "refusee": "La déclaration est refusée : le partenaire va la réviser.",
    "annulee": "La déclaration est annulée.",
    "partenaire": "Le partenaire est enregistré.",
    "convention": "La convention est enregistrée.",
    "delegation": "La gestion déléguée des utilisateurs est modifiée.",
    "suspendu": "Le compte est suspendu et ses sessions sont fermées.",
    "reactive": "Le compte est réactivé.",
    "mot_de_passe": "L'utilisateur devra changer son mot de passe à sa prochaine connexion.",
    "campagne": "La campagne est enregistrée.",
}
CAMPAIGN_FIELDS = {
    "family": "type_activite",
    "declaration_type": "type_declaration",
    "exercice": "exercice",
    "opening_date": "date_ouverture",
    "deadline": "date_limite",
    "caf_code": "caf",
}
CAMPAIGN_MESSAGES = {
    "type_activite": "Choisissez le type d'activité.",
    "type_declaration": "Choisissez le type de déclaration.",
    "exercice": "Indiquez l'exercice sur quatre chiffres (2000 à 2100).",
    "date_ouverture": "Indiquez la date d'ouverture (jj/mm/aaaa).",
    "date_limite": "Indiquez la date limite (jj/mm/aaaa).",
    "caf": "Indiquez le numéro de la Caf sur trois chiffres.",
}


def _family_labels() -> dict[str, str]:
    labels = {}
    for family in FAMILIES:
        try:
            labels[family] = load_definition(family, FORM_VERSION).label
        except Exception:  # a family without a form definition yet keeps its code
            labels[family] = family
    return labels


FAMILY_LABELS = _family_labels()


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


def export_tables(p: dict[str, Any]) -> tuple[list[list[Any]], list[list[Any]], list[list[Any]]]:
    c = p["campagne"]
    summary = [
        [
            "Campagne",
            "Caf",
            "Type d'activité",
            "Exercice",
            "Type de déclaration",
            "Date d'ouverture",
            "Date limite",
            "Activités",
            "Déclarées",
            "Taux de déclaration (%)",
        ],
        [
            _campaign_label(c),
            c["caf"],
            FAMILY_LABELS.get(c["type_activite"], c["type_activite"]),
            c["exercice"],
            c["type_declaration_libelle"],
            french_date(c["date_ouverture"]),
            french_date(c["date_limite"]),
            p["activites"],
            p["declarees"],
            p["taux_declaration"],
        ],
    ]
    states = [["État", "Nombre de déclarations"]]
    states += [[s["libelle"], s["nombre"]] for s in p["par_etat"]]
    states.append(["Total", p["declarations"]])
    activities = [["Activité", "Nature", "Partenaire", "État de la déclaration", "Déclarée"]]
    activities += [
        [r["activite"], r["nature"], r["partenaire"], r["etat_libelle"], "Oui" if r["declaree"] else "Non"]
        for r in p["lignes"]
    ]
    return summary, states, activities


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    def caller(me: Viewer):
        return forwarded_caller(me.caller.rpc())

    async def habilitation(me: Viewer, verb: str, **payload: Any) -> Any:
        return await call_service(runtime, "habilitation", verb, me.caller.rpc(**payload))

    async def identity(me: Viewer, verb: str, **payload: Any) -> Any:
        return await call_identity(runtime, verb, me.caller.rpc(**payload))

    def refused(request: Request, me: Viewer) -> HTMLResponse | None:
        if me.kind in ("caf", "operator"):
            return None
        return failure_page(request, me, HTTPException(403, NOT_CAF))

    async def posted(request: Request, me: Viewer) -> dict[str, str]:
        form = await request.form()
        values = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
        check_csrf(me, values.get("csrf"))
        return values

    def done(request: Request) -> str | None:
        return DONE.get(request.query_params.get("fait", ""))

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
            await habilitation(me, "decide_grant", grant_id=grant_id, accept=accept, reason=values.get("motif"))
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
            "exercice": _int(query.get("exercice")),
            "type_declaration": query.get("type_declaration")
            if query.get("type_declaration") in DECLARATION_TYPES
            else None,
        }
        try:
            rows = await call_local(instruction.queue(runtime, caller(me), **filters))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        context = {
            "titre": "Déclarations à instruire",
            "rubrique": "instruction",
            "lignes": rows,
            "filtres": dict(query),
            "types": DECLARATION_TYPES,
            "familles": FAMILY_LABELS,
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
            "decisions": DECISIONS,
            "decidable": detail["etat_code"] == "transmise" and snapshot is not None,
            "annulable": detail["etat_code"] not in instruction.FINAL_STATES,
            "saisie": submitted or {},
            "erreurs": errors or [],
            "message": done(request),
        }
        return render(request, "caf_declaration.html", context, status, viewer=me)

    @web.post("/caf/instruction/{declaration_id}/{action}", response_class=HTMLResponse)
    async def decide(request: Request, declaration_id: uuid.UUID, action: str, me: Viewer = Depends(viewer)):
        if (refusal := refused(request, me)) is not None:
            return refusal
        decisions = {"valider": "validee", "refuser": "refusee", "annuler": "annulee"}
        if action not in decisions:
            return failure_page(request, me, HTTPException(404, "Action inconnue."))
        values = await posted(request, me)
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

    # --- Partenaires ----------------------------------------------------------------------------------------

    @web.get("/caf/partenaires", response_class=HTMLResponse)
    async def partners(request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        return await _partners(request, me)

    async def _partners(request, me, errors=None, submitted=None, status=200) -> HTMLResponse:
        if (refusal := refused(request, me)) is not None:
            return refusal
        try:
            found = await identity(me, "list_partners")
            conventions = await identity(me, "search_conventions", filters={})
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
            "name": values.get("raison_sociale", ""),
            "siret": values.get("siret", "").replace(" ", ""),
            "kind": values.get("type", ""),
            "caf_code": values.get("caf", ""),
            "delegated": values.get("gestion_deleguee") == "oui",
        }
        try:
            created = await identity(me, "register_partner", partner=partner)
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
            conventions = await identity(me, "search_conventions", filters={"partner_id": partner_id})
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        context = {
            "titre": found["raison_sociale"],
            "rubrique": "partenaires",
            "p": found,
            "type_libelle": PARTNER_KINDS.get(found["type"], found["type"]),
            "utilisateurs": users,
            "statuts": USER_STATES,
            "conventions": conventions,
            "types_convention": CONVENTION_KINDS,
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
                me, "change_delegation", partner_id=partner_id, delegated=values.get("gestion_deleguee") == "oui"
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
            "kind": values.get("type", ""),
            "label": values.get("libelle") or None,
            "opening_date": values.get("date_ouverture") or None,
            "closing_date": values.get("date_fermeture") or None,
        }
        if convention["kind"] not in CONVENTION_KINDS or not convention["opening_date"]:
            problems = []
            if convention["kind"] not in CONVENTION_KINDS:
                problems.append({"champ": "type", "message": "Choisissez le type de convention."})
            if not convention["opening_date"]:
                problems.append({"champ": "date_ouverture", "message": "Indiquez la date d'ouverture."})
            return await _partner(request, me, partner_id, problems, values, 422)
        try:
            await identity(me, "sign_convention", partner_id=partner_id, convention=convention)
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
        extra = {"reason": values.get("motif", "")} if action == "suspendre" else {}
        try:
            await identity(me, verb, user_id=user_id, **extra)
        except HTTPException as refusal:
            errors = [{**e, "champ": f"{e['champ']}-{user_id}" if e["champ"] else None} for e in errors_of(refusal)]
            return await _partner(request, me, partner_id, errors, None, refusal.status_code)
        return redirect(request, f"/caf/partenaires/{partner_id}?fait={result}")

    # --- Campagnes ------------------------------------------------------------------------------------------

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
            "peut_ouvrir": me.kind == "operator" or "parametrage" in me.caf_roles,
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
                {
                    "family": values.get("type_activite") or None,
                    "exercice": values.get("exercice") or None,
                    "declaration_type": values.get("type_declaration") or None,
                    "opening_date": values.get("date_ouverture") or None,
                    "deadline": values.get("date_limite") or None,
                    "caf_code": values.get("caf") or None,
                }
            )
        except ValidationError as exc:
            errors, seen = [], set()
            for error in exc.errors(include_url=False):
                name = CAMPAIGN_FIELDS.get(str(error["loc"][0]), str(error["loc"][0]))
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
        }
        return render(request, "caf_campagne.html", context, viewer=me)

    def _filename(p: dict[str, Any], extension: str) -> str:
        c = p["campagne"]
        return f"suivi-campagne-{c['caf']}-{c['type_activite']}-{c['exercice']}-{c['type_declaration']}.{extension}"

    @web.get("/caf/campagnes/{campaign_id}/export.csv")
    async def export_csv(request: Request, campaign_id: uuid.UUID, me: Viewer = Depends(viewer)) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        try:
            p = await _progress(me, campaign_id)
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        summary, states, activities = export_tables(p)
        summary[1][-1] = french_number(summary[1][-1])
        return Response(
            spreadsheet.csv_bytes([summary, states, activities]),
            media_type=spreadsheet.CSV_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{_filename(p, "csv")}"'},
        )

    @web.get("/caf/campagnes/{campaign_id}/export.xlsx")
    async def export_xlsx(request: Request, campaign_id: uuid.UUID, me: Viewer = Depends(viewer)) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        try:
            p = await _progress(me, campaign_id)
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        summary, states, activities = export_tables(p)
        synthesis = [*summary, [], *states]
        content = spreadsheet.xlsx_bytes(
            [
                ("Synthèse", synthesis, {0, len(summary) + 1, len(synthesis) - 1}),
                ("Activités", activities, {0}),
            ]
        )
        return Response(
            content,
            media_type=spreadsheet.XLSX_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{_filename(p, "xlsx")}"'},
        )

    return web
