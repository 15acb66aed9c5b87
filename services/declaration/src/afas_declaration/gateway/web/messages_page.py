"""Messages: the in-app inbox, e-mail preferences, the calendar of declarations with the personal ICS link,
and the payments received and expected for the user's activities."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from afas_declaration.application import declaration_list
from afas_declaration.gateway.clients.service_calls import call_local, call_service
from afas_declaration.gateway.clients.typed_calls import ask as ask_typed
from afas_declaration.gateway.web.declaration_pages import errors_of
from afas_declaration.gateway.web.pages import Viewer, check_csrf, redirect, render
from afas_declaration.gateway.web.payment_dates import payment_line
from afas_shared.auth.caller import forwarded_caller
from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.runtime import ServiceRuntime

MAX_PAYMENT_TABLES = 12


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    async def payments_of(me: Viewer) -> tuple[list[dict] | None, str | None]:
        """Payments per activity and exercice for the declarations the Caf validated (none before that)."""
        rows = await call_local(declaration_list.visible_to(runtime, forwarded_caller(me.caller.rpc())))
        pairs = sorted(
            {
                (r["activite_id"], r["activite"], r["exercice"])
                for r in rows
                if r["etat_code"] == DeclarationState.validee
            },
            key=lambda p: (-p[2], p[1]),
        )[:MAX_PAYMENT_TABLES]
        tables = []
        for activity_id, name, exercice in pairs:
            answer, problem = await optional("estimation", "payments", me, activity_id=activity_id, exercice=exercice)
            if problem:
                return None, problem
            lines = [payment_line(p) for p in answer["paiements"]]
            tables.append({"activite": name, "exercice": exercice, "lignes": lines, "message": answer.get("message")})
        return tables, None

    async def ask(service: str, verb: str, me: Viewer, **payload: Any) -> Any:
        return await call_service(runtime, service, verb, me.caller.rpc(**payload))

    async def optional(service: str, verb: str, me: Viewer, **payload: Any) -> tuple[Any, str | None]:
        return await part(ask(service, verb, me, **payload))

    async def part(call: Awaitable[Any]) -> tuple[Any, str | None]:
        """A part of the page another service fills: the rest of the page stays usable when it is down."""
        try:
            return await call, None
        except HTTPException as refusal:
            return None, errors_of(refusal)[0]["message"]

    async def notification(verb: str, me: Viewer, **fields: Any) -> Any:
        """``verb``'s request built from ``fields``, named as the API names them (its contract)."""
        return await ask_typed(runtime, "notification", verb, me.caller, **fields)

    @web.get("/messages", response_class=HTMLResponse)
    async def messages(request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        inbox, inbox_error = await part(notification("inbox", me, limite=50))
        preferences, _ = await part(notification("preferences_get", me))
        calendar, calendar_error = await part(notification("calendar", me))
        payments, payments_error = (None, None)
        if not me.is_caf:
            payments, payments_error = await payments_of(me)
        context = {
            "titre": "Messages, calendrier et paiements",
            "rubrique": "messages",
            "messages": inbox or [],
            "erreur_messages": inbox_error,
            "preferences": preferences,
            "calendrier": calendar,
            "erreur_calendrier": calendar_error,
            "paiements": payments,
            "erreur_paiements": payments_error,
            "lien_ics": request.query_params.get("lien"),
            "message": request.query_params.get("info"),
        }
        return render(request, "messages.html", context, viewer=me)

    @web.post("/messages/lus")
    async def mark_read(request: Request, me: Viewer = Depends(viewer)):
        form = await request.form()
        check_csrf(me, form.get("csrf"))
        message_id = form.get("message_id") or None
        await notification("inbox_mark_read", me, message_id=message_id)
        return redirect(request, "/messages")

    @web.post("/messages/preferences")
    async def preferences(request: Request, me: Viewer = Depends(viewer)):
        form = await request.form()
        check_csrf(me, form.get("csrf"))
        values = {"rappels_par_email": form.get("rappels") == "oui", "avis_par_email": form.get("avis") == "oui"}
        await notification("preferences_set", me, **values)
        return redirect(request, "/messages?info=Préférences enregistrées.")

    @web.post("/messages/calendrier")
    async def calendar_link(request: Request, me: Viewer = Depends(viewer)):
        form = await request.form()
        check_csrf(me, form.get("csrf"))
        if form.get("action") == "revoquer":
            await notification("calendar_feed_revoke", me)
            return redirect(request, "/messages?info=Lien de calendrier révoqué.#calendrier")
        created = await notification("calendar_feed_create", me)
        # Shown once, in the page the user just asked for; never stored in clear
        return render(
            request,
            "lien_calendrier.html",
            {"titre": "Votre lien de calendrier", "rubrique": "messages", "lien": created["url"]},
            viewer=me,
        )

    return web
