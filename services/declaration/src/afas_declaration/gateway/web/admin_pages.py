"""Administration des profils — for the partner's administrators (group AFAS-HABILITER): the habilitation search
by state, « Habiliter un utilisateur », « Mettre fin », and the partner's users with their groups."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from afas_declaration.gateway.api.grant_routes import grant_outcome
from afas_declaration.gateway.clients.typed_calls import ask, from_form
from afas_declaration.gateway.web import confirmations
from afas_declaration.gateway.web.declaration_pages import errors_of, failure_page
from afas_declaration.gateway.web.pages import Viewer, check_csrf, redirect, render
from afas_shared.contracts.rpc import habilitation as h
from afas_shared.runtime import ServiceRuntime

STATES = ("Actif", "Historique", "Inactif", "Non attribué")
ROLES = {
    "fda": "Fournisseur de données d'activité",
    "fdf": "Fournisseur de données financières",
    "approbateur": "Approbateur",
}
GROUPS = {
    "AFAS-HABILITER": "AFAS-HABILITER (administration des profils)",
    "AFAS-DECLARER": "AFAS-DECLARER (déclaration)",
}
USER_STATES = {"en_attente": "En attente d'activation", "actif": "Actif", "suspendu": "Suspendu", "clos": "Clos"}
DONE = {
    "habilitation": "L'habilitation est enregistrée.",
    "habilitation_en_cours": "L'habilitation porte sur de nombreuses activités : elle est enregistrée en arrière-plan, "
    "ses lignes apparaissent au fur et à mesure (actualisez la page).",
    "fin": "Il a été mis fin à l'habilitation.",
    "utilisateur": "L'utilisateur est créé : il reçoit un courriel d'activation de son compte.",
    "groupe": "Le groupe est ajouté.",
    "retrait": "L'utilisateur est retiré du groupe.",
}
NOT_ADMIN = "Page réservée aux administrateurs du partenaire (groupe AFAS-HABILITER)."
USER_FIELDS = (
    "nom",
    "prenom",
    "email",
    "email_confirmation",
    "telephone",
    "telephone_confirmation",
    "mobilite",
    "date_ouverture",
    "date_fermeture",
)


def _partner_of(me: Viewer) -> str | None:
    return me.caller.claims.get("partner_id")


def _scope(form) -> list[dict[str, str | None]]:
    """Checked sites win over their activity's box: an activity with sites checked is granted on those sites."""
    sites: dict[str, list[str]] = {}
    for value in form.getlist("lieu"):
        activity, _, site = str(value).partition(":")
        if activity and site:
            sites.setdefault(activity, []).append(site)
    scope: list[dict[str, str | None]] = [
        {"activite_id": activity, "lieu_id": site} for activity, chosen in sites.items() for site in chosen
    ]
    scope += [{"activite_id": str(a), "lieu_id": None} for a in form.getlist("activite") if str(a) not in sites]
    return scope


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    async def habilitation(me: Viewer, verb: str, **fields: Any) -> Any:
        return await ask(runtime, "habilitation", verb, me.caller, **fields)

    async def identity(me: Viewer, verb: str, **fields: Any) -> Any:
        return await ask(runtime, "identity", verb, me.caller, **fields)

    def refused(request: Request, me: Viewer) -> HTMLResponse | None:
        if me.is_admin and _partner_of(me):
            return None
        return failure_page(request, me, HTTPException(403, NOT_ADMIN))

    # --- Habilitations --------------------------------------------------------------------------------------

    @web.get("/administration/habilitations", response_class=HTMLResponse)
    async def grants_page(request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        return await _grants(request, me)

    async def _grants(request, me, errors=None, submitted=None, status=200) -> HTMLResponse:
        if (refusal := refused(request, me)) is not None:
            return refusal
        query = request.query_params
        state = query.get("etat") if query.get("etat") in STATES else "Actif"
        filters = {
            "partenaire": _partner_of(me),
            "role": query.get("role") if query.get("role") in ROLES else None,
            "utilisateur": _uuid(query.get("utilisateur")),
            "activite": _uuid(query.get("activite")),
            "etat": state,
        }
        try:
            rows = await habilitation(me, "search_grants", **filters)
            users = await identity(me, "list_users", partner_id=_partner_of(me))
            activities = await habilitation(me, "search_activities", partenaire=_partner_of(me))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        site_names = {s["id"]: s["nom"] for a in activities for s in a["lieux"]}
        for row in rows:
            row["lieu"] = row.get("lieu") or site_names.get(row.get("lieu_id") or "")
            row["role_libelle"] = ROLES.get(row["role"], row.get("role_libelle"))
        submitted = submitted or {}
        context = {
            "titre": "Administration des profils",
            "rubrique": "administration",
            "etat": state,
            "etats": STATES,
            "lignes": rows,
            "filtres": {k: query.get(k, "") for k in ("role", "utilisateur", "activite")},
            "utilisateurs": [u for u in users if u["statut"] != "clos"],
            "activites": activities,
            "roles": ROLES,
            "saisie": submitted,
            "coches": set(submitted.get("activite", [])) | set(submitted.get("lieu", [])),
            "erreurs": errors or [],
            "message": DONE.get(query.get("fait", "")),
        }
        return render(request, "admin_habilitations.html", context, status, viewer=me)

    @web.post("/administration/habilitations", response_class=HTMLResponse)
    async def grant(request: Request, me: Viewer = Depends(viewer)) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        form = await request.form()
        check_csrf(me, str(form.get("csrf") or ""))
        submitted = {
            "utilisateur_id": str(form.get("utilisateur_id") or ""),
            "role": str(form.get("role") or ""),
            "date_debut": str(form.get("date_debut") or ""),
            "date_fin": str(form.get("date_fin") or ""),
            "toutes_activites": form.get("toutes_activites") == "oui",
            "activite": [str(a) for a in form.getlist("activite")],
            "lieu": [str(s) for s in form.getlist("lieu")],
        }
        problems = []
        if _uuid(submitted["utilisateur_id"]) is None:
            problems.append({"champ": "utilisateur_id", "message": "Choisissez l'utilisateur à habiliter."})
        if submitted["role"] not in ROLES:
            problems.append({"champ": "role", "message": "Choisissez le rôle."})
        if problems:
            return await _grants(request, me, problems, submitted, 422)
        body = {
            "utilisateur_id": submitted["utilisateur_id"],
            "role": submitted["role"],
            "date_debut": submitted["date_debut"] or None,
            "date_fin": submitted["date_fin"] or None,
            "perimetre": [] if submitted["toutes_activites"] else _scope(form),
            "toutes_activites": submitted["toutes_activites"],
            "job_id": uuid.uuid4(),  # its answer, if lost on the way, is found again by this id
        }
        try:  # over many activities, a background job (issue 16): its lines come batch after batch
            outcome = await grant_outcome(runtime, me.caller, from_form(h.GrantRequestV1, **body))
        except HTTPException as refusal:
            return await _grants(request, me, errors_of(refusal), submitted, refusal.status_code)
        done = "habilitation_en_cours" if outcome.get("traitement") else "habilitation"
        return redirect(request, f"/administration/habilitations?etat=Actif&fait={done}")

    @web.post("/administration/habilitations/{grant_id}/fin", response_class=HTMLResponse)
    async def end(request: Request, grant_id: uuid.UUID, me: Viewer = Depends(viewer)) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        form = await request.form()
        check_csrf(me, str(form.get("csrf") or ""))
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        if not confirmations.confirmed(values):
            return await _confirm_end(request, me, grant_id, values)
        try:
            await habilitation(me, "end_grant", grant_id=grant_id)
        except HTTPException as refusal:
            return await _grants(request, me, errors_of(refusal), None, refusal.status_code)
        back = str(form.get("etat") or "Actif")
        return redirect(request, f"/administration/habilitations?etat={back if back in STATES else 'Actif'}&fait=fin")

    async def _confirm_end(request, me, grant_id: uuid.UUID, values: dict[str, str]) -> HTMLResponse:
        """« Mettre fin »: whose role on what ends today, before it does (the grant read back from habilitation)."""
        try:
            rows = await habilitation(
                me,
                "search_grants",
                partenaire=_partner_of(me),
                utilisateur=_uuid(values.get("utilisateur")),
                activite=_uuid(values.get("activite")),
            )
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        row = next((r for r in rows if r.get("id") == str(grant_id)), None)
        if row is None:  # another partner's, or none: the search only finds the administrator's own partner's
            return failure_page(request, me, HTTPException(404, "Habilitation inconnue."))
        if not row.get("fin_possible"):
            return failure_page(request, me, HTTPException(409, "Cette habilitation est déjà terminée."))
        site = "Toute l’activité"
        if row.get("lieu_id"):
            try:
                activity = await habilitation(me, "get_activity", activity_id=row["activite_id"])
            except HTTPException as refusal:
                return failure_page(request, me, refusal)
            site = next((s["nom"] for s in activity["lieux"] if s["id"] == row["lieu_id"]), "—")
        back = values.get("etat") if values.get("etat") in STATES else "Actif"
        confirmation = confirmations.Confirmation(
            title="Mettre fin à l'habilitation ?",
            consequence="L'utilisateur perd ce rôle dès aujourd'hui : il ne pourra plus saisir ni transmettre "
            "sur ce périmètre. Pour le lui rendre, il faudra l'habiliter de nouveau.",
            facts=[
                ("Utilisateur", row.get("utilisateur") or "—"),
                ("Rôle", ROLES.get(row["role"], row["role_libelle"])),
                ("Activité", row.get("activite") or "—"),
                ("Lieu d'implantation", site),
            ],
            action=f"/administration/habilitations/{grant_id}/fin",
            button="Confirmer la fin de l'habilitation",
            back=f"/administration/habilitations?etat={back}",
            carried={"etat": back},
        )
        return confirmations.ask(request, me, confirmation, "administration")

    # --- Utilisateurs ---------------------------------------------------------------------------------------

    @web.get("/administration/utilisateurs", response_class=HTMLResponse)
    async def users_page(request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        return await _users(request, me)

    async def _users(request, me, errors=None, submitted=None, status=200) -> HTMLResponse:
        if (refusal := refused(request, me)) is not None:
            return refusal
        try:
            users = await identity(me, "list_users", partner_id=_partner_of(me))
            partner = await identity(me, "get_partner", partner_id=_partner_of(me))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        context = {
            "titre": "Utilisateurs du partenaire",
            "rubrique": "administration",
            "partenaire": partner,
            "utilisateurs": users,
            "statuts": USER_STATES,
            "groupes": GROUPS,
            "saisie": submitted or {},
            "erreurs": errors or [],
            "message": DONE.get(request.query_params.get("fait", "")),
        }
        return render(request, "admin_utilisateurs.html", context, status, viewer=me)

    @web.post("/administration/utilisateurs", response_class=HTMLResponse)
    async def create_user(request: Request, me: Viewer = Depends(viewer)) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        form = await request.form()
        check_csrf(me, str(form.get("csrf") or ""))
        submitted = {name: str(form.get(name) or "").strip() for name in USER_FIELDS}
        user = {name: submitted[name] or None for name in USER_FIELDS}
        user["mobilite"] = user["mobilite"] or "sedentaire"
        try:
            await identity(me, "create_user", partner_id=_partner_of(me), **user)
        except HTTPException as refusal:
            return await _users(request, me, errors_of(refusal), submitted, refusal.status_code)
        return redirect(request, "/administration/utilisateurs?fait=utilisateur")

    @web.post("/administration/utilisateurs/{user_id}/groupes", response_class=HTMLResponse)
    async def add_group(request: Request, user_id: uuid.UUID, me: Viewer = Depends(viewer)) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        form = await request.form()
        check_csrf(me, str(form.get("csrf") or ""))
        membership = {
            "groupe": str(form.get("groupe") or ""),
            "date_debut": str(form.get("date_debut") or "") or None,
            "date_fin": str(form.get("date_fin") or "") or None,
        }
        try:
            await identity(me, "add_to_group", user_id=user_id, **membership)
        except HTTPException as refusal:
            errors = [{**e, "champ": f"{e['champ']}-{user_id}" if e["champ"] else None} for e in errors_of(refusal)]
            return await _users(request, me, errors, None, refusal.status_code)
        return redirect(request, "/administration/utilisateurs?fait=groupe")

    @web.post("/administration/utilisateurs/{user_id}/groupes/{group}/retrait", response_class=HTMLResponse)
    async def remove_group(request: Request, user_id: uuid.UUID, group: str, me: Viewer = Depends(viewer)):
        if (refusal := refused(request, me)) is not None:
            return refusal
        form = await request.form()
        check_csrf(me, str(form.get("csrf") or ""))
        try:
            await identity(me, "remove_from_group", user_id=user_id, groupe=group)
        except HTTPException as refusal:
            return await _users(request, me, errors_of(refusal), None, refusal.status_code)
        return redirect(request, "/administration/utilisateurs?fait=retrait")

    return web


def _uuid(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        return None
