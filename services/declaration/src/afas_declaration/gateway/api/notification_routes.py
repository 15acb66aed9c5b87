"""Calendars, the in-app inbox, mail preferences and personal ICS feeds (the notification service's API).

The ICS feed takes no session: calendar applications cannot log in, so the secret token in its URL is the
credential (revocable, replaced by each new link).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_fields import file_reply
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.typed_calls import call_typed, carry, typed
from afas_declaration.gateway.session.caller import Caller
from afas_shared.contracts.rpc import RpcRequest
from afas_shared.contracts.rpc import notification as n
from afas_shared.contracts.rpc.base import Empty
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

    async def ask(verb: str, caller: Caller, request: RpcRequest | None = None) -> Any:
        """notification's reply passes through as is: each route's reply model is its verb's (one model)."""
        return await call_typed(runtime, "notification", verb, request or Empty(), caller)

    @api.get(
        "/calendrier",
        summary="Calendrier de vos déclarations (campagnes et dates limites)",
        response_model=n.CalendarV1,
        responses=refusals(*SESSION, 422, 503),
    )
    async def calendar(
        caller: Caller = who,
        exercice: int | None = Query(default=None, ge=2000, le=2100),
        caf: str | None = Query(default=None, pattern=r"^\d{3}$", description="Pour l'opérateur seulement"),
    ) -> dict[str, Any]:
        return await ask("calendar", caller, typed(n.CalendarRequestV1, exercice=exercice, caf=caf))

    @api.post(
        "/calendrier/lien",
        status_code=201,
        summary="Créer mon lien de calendrier personnel (ICS)",
        response_model=n.CalendarLinkV1,
        responses=refusals(*SESSION, 409, 503),
    )
    async def create_feed(caller: Caller = who) -> dict[str, Any]:
        return await ask("calendar_feed_create", caller)

    @api.delete(
        "/calendrier/lien",
        summary="Révoquer mon lien de calendrier personnel",
        response_model=n.CalendarLinkRevokedV1,
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
        result = await call_typed(runtime, "notification", "calendar_feed", typed(n.FeedRequestV1, token=token))
        return Response(
            result["ics"],
            media_type="text/calendar; charset=utf-8",
            headers={"Cache-Control": "private, max-age=300", "Content-Disposition": 'inline; filename="afas.ics"'},
        )

    @api.get(
        "/notifications",
        summary="Mes messages (messagerie de l'application)",
        response_model=list[n.InboxMessageV1],
        responses=refusals(*SESSION, 422, 503),
    )
    async def inbox(
        caller: Caller = who,
        non_lues: bool = False,
        limite: int = Query(default=50, ge=1, le=200),
        decalage: int = Query(default=0, ge=0, le=n.MAX_OFFSET),
    ) -> list[dict[str, Any]]:
        return await ask("inbox", caller, typed(n.InboxRequestV1, non_lues=non_lues, limite=limite, decalage=decalage))

    @api.get(
        "/notifications/non-lues",
        summary="Nombre de messages non lus",
        response_model=n.UnreadCountV1,
        responses=refusals(*SESSION, 503),
    )
    async def unread(caller: Caller = who) -> dict[str, Any]:
        return await ask("inbox_unread", caller)

    @api.post(
        "/notifications/lues",
        summary="Marquer tous mes messages comme lus",
        response_model=n.MarkedReadV1,
        responses=refusals(*SESSION, 409, 503),
    )
    async def mark_all_read(caller: Caller = who) -> dict[str, Any]:
        return await ask("inbox_mark_read", caller, n.MarkReadRequestV1())

    @api.post(
        "/notifications/{message_id}/lue",
        summary="Marquer un message comme lu",
        response_model=n.MarkedReadV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def mark_read(message_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("inbox_mark_read", caller, typed(n.MarkReadRequestV1, message_id=message_id))

    @api.get(
        "/notifications/preferences",
        summary="Mes préférences d'envoi par e-mail",
        response_model=n.MailPreferencesV1,
        responses=refusals(*SESSION, 503),
    )
    async def preferences(caller: Caller = who) -> dict[str, Any]:
        return await ask("preferences_get", caller)

    @api.put(
        "/notifications/preferences",
        summary="Modifier mes préférences d'envoi par e-mail",
        response_model=n.MailPreferencesV1,
        responses=refusals(*SESSION, 422, 503),
    )
    async def set_preferences(body: PreferencesBody, caller: Caller = who) -> dict[str, Any]:
        return await ask("preferences_set", caller, carry(n.PreferencesRequestV1, body))

    @api.get(
        "/rappels/parametres",
        summary="Jours des rappels de la Caf (avant et après la date limite)",
        response_model=n.ReminderSettingsV1,
        responses=refusals(*SESSION, 422, 503),
    )
    async def reminder_settings(
        caller: Caller = who, caf: str | None = Query(default=None, pattern=r"^\d{3}$")
    ) -> dict[str, Any]:
        return await ask("reminder_settings_get", caller, typed(n.ReminderSettingsRequestV1, caf=caf))

    @api.put(
        "/rappels/parametres",
        summary="Modifier les jours des rappels de la Caf (paramétrage)",
        response_model=n.ReminderSettingsV1,
        responses=refusals(*SESSION, 422, 503),
    )
    async def set_reminder_settings(body: ReminderSettingsBody, caller: Caller = who) -> dict[str, Any]:
        return await ask("reminder_settings_set", caller, carry(n.SetReminderSettingsRequestV1, body))

    @api.get(
        "/admin/notifications/non-distribuees",
        summary="Messages non distribués (exploitation)",
        response_model=list[n.UndeliverableMessageV1],
        responses=refusals(*SESSION, 503),
    )
    async def undeliverable(caller: Caller = who) -> list[dict[str, Any]]:
        return await ask("undeliverable", caller)

    @api.post(
        "/admin/notifications/{message_id}/renvoyer",
        summary="Renvoyer un message non distribué (exploitation)",
        response_model=n.RetryQueuedV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def retry(message_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("undeliverable_retry", caller, typed(n.RetryRequestV1, message_id=message_id))

    return api
