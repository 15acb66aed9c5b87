"""Calendars, the in-app inbox, mail preferences and personal ICS feeds (the notification service's API).

The ICS feed takes no session: calendar applications cannot log in, so the secret token in its URL is the
credential (revocable, replaced by each new link).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from afas_declaration.gateway.api import notification_replies as r
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_fields import file_reply
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.service_calls import call_service
from afas_declaration.gateway.session.caller import Caller
from afas_shared.runtime import ServiceRuntime
from afas_shared.text import InputModel


class PreferencesBody(InputModel):
    rappels_par_email: bool | None = Field(default=None, description="Rappels de campagne par e-mail")
    avis_par_email: bool | None = Field(default=None, description="Avis (refus, rôles, paiements…) par e-mail")
    securite_par_email: bool | None = Field(
        default=None, description="Toujours vrai : activation et mot de passe ne peuvent pas être désactivés"
    )


class ReminderSettingsBody(InputModel):
    jours_avant: list[int] = Field(
        max_length=30, examples=[[15, 3, 1]], description="Rappels N jours avant la date limite"
    )
    jours_apres: int = Field(examples=[1], description="Relance N jours après la date limite")
    caf: str | None = Field(default=None, max_length=10, description="Pour l'opérateur seulement")


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["notifications"], route_class=ReplyRoute)
    who = Depends(current_caller)

    async def ask(verb: str, caller: Caller, **payload: Any) -> Any:
        return await call_service(runtime, "notification", verb, caller.rpc(**payload))

    @api.get(
        "/calendrier",
        summary="Calendrier de vos déclarations (campagnes et dates limites)",
        response_model=r.Calendar,
        responses=refusals(*SESSION, 422, 503),
    )
    async def calendar(
        caller: Caller = who,
        exercice: int | None = Query(default=None, ge=2000, le=2100),
        caf: str | None = Query(default=None, pattern=r"^\d{3}$", description="Pour l'opérateur seulement"),
    ) -> dict[str, Any]:
        return await ask("calendar", caller, exercice=exercice, caf=caf)

    @api.post(
        "/calendrier/lien",
        status_code=201,
        summary="Créer mon lien de calendrier personnel (ICS)",
        response_model=r.CalendarLink,
        responses=refusals(*SESSION, 409, 503),
    )
    async def create_feed(caller: Caller = who) -> dict[str, Any]:
        return await ask("calendar_feed_create", caller)

    @api.delete(
        "/calendrier/lien",
        summary="Révoquer mon lien de calendrier personnel",
        response_model=r.CalendarLinkRevoked,
        responses=refusals(*SESSION, 503),
    )
    async def revoke_feed(caller: Caller = who) -> dict[str, Any]:
        return await ask("calendar_feed_revoke", caller)

    @api.get(
        "/calendrier/{token}.ics",
        summary="Mon calendrier des dates limites (ICS, lien secret, sans session)",
        response_class=Response,
        responses={**file_reply("text/calendar", "Le calendrier (iCalendar)"), **refusals(404, 429, 503)},
    )
    async def feed(token: str) -> Response:
        result = await call_service(runtime, "notification", "calendar_feed", {"token": token})
        return Response(
            result["ics"],
            media_type="text/calendar; charset=utf-8",
            headers={"Cache-Control": "private, max-age=300", "Content-Disposition": 'inline; filename="afas.ics"'},
        )

    @api.get(
        "/notifications",
        summary="Mes messages (messagerie de l'application)",
        response_model=list[r.InboxMessage],
        responses=refusals(*SESSION, 422, 503),
    )
    async def inbox(
        caller: Caller = who,
        non_lues: bool = False,
        limite: int = Query(default=50, ge=1, le=200),
        decalage: int = Query(default=0, ge=0, le=100_000),
    ) -> list[dict[str, Any]]:
        return await ask("inbox", caller, unread_only=non_lues, limit=limite, offset=decalage)

    @api.get(
        "/notifications/non-lues",
        summary="Nombre de messages non lus",
        response_model=r.UnreadCount,
        responses=refusals(*SESSION, 503),
    )
    async def unread(caller: Caller = who) -> dict[str, Any]:
        return await ask("inbox_unread", caller)

    @api.post(
        "/notifications/lues",
        summary="Marquer tous mes messages comme lus",
        response_model=r.MarkedRead,
        responses=refusals(*SESSION, 409, 503),
    )
    async def mark_all_read(caller: Caller = who) -> dict[str, Any]:
        return await ask("inbox_mark_read", caller)

    @api.post(
        "/notifications/{message_id}/lue",
        summary="Marquer un message comme lu",
        response_model=r.MarkedRead,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def mark_read(message_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("inbox_mark_read", caller, message_id=message_id)

    @api.get(
        "/notifications/preferences",
        summary="Mes préférences d'envoi par e-mail",
        response_model=r.MailPreferences,
        responses=refusals(*SESSION, 503),
    )
    async def preferences(caller: Caller = who) -> dict[str, Any]:
        return await ask("preferences_get", caller)

    @api.put(
        "/notifications/preferences",
        summary="Modifier mes préférences d'envoi par e-mail",
        response_model=r.MailPreferences,
        responses=refusals(*SESSION, 422, 503),
    )
    async def set_preferences(body: PreferencesBody, caller: Caller = who) -> dict[str, Any]:
        return await ask("preferences_set", caller, preferences=body.model_dump(exclude_none=True))

    @api.get(
        "/rappels/parametres",
        summary="Jours des rappels de la Caf (avant et après la date limite)",
        response_model=r.ReminderSettings,
        responses=refusals(*SESSION, 422, 503),
    )
    async def reminder_settings(
        caller: Caller = who, caf: str | None = Query(default=None, pattern=r"^\d{3}$")
    ) -> dict[str, Any]:
        return await ask("reminder_settings_get", caller, caf=caf)

    @api.put(
        "/rappels/parametres",
        summary="Modifier les jours des rappels de la Caf (paramétrage)",
        response_model=r.ReminderSettings,
        responses=refusals(*SESSION, 422, 503),
    )
    async def set_reminder_settings(body: ReminderSettingsBody, caller: Caller = who) -> dict[str, Any]:
        return await ask(
            "reminder_settings_set", caller, caf=body.caf, jours_avant=body.jours_avant, jours_apres=body.jours_apres
        )

    @api.get(
        "/admin/notifications/non-distribuees",
        summary="Messages non distribués (exploitation)",
        response_model=list[r.UndeliverableMessage],
        responses=refusals(*SESSION, 503),
    )
    async def undeliverable(caller: Caller = who) -> list[dict[str, Any]]:
        return await ask("undeliverable", caller)

    @api.post(
        "/admin/notifications/{message_id}/renvoyer",
        summary="Renvoyer un message non distribué (exploitation)",
        response_model=r.RetryQueued,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def retry(message_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("undeliverable_retry", caller, message_id=message_id)

    return api
