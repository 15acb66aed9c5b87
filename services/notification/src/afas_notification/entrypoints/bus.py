"""What notification consumes and answers on the bus.

RPC verbs (each answers ``{"result": …}``; the gateway forwards the caller as ``actor`` claims, except for
``calendar_feed`` whose secret token is the credential):

- ``calendar`` {exercice?, caf?} -> campaigns visible to the caller and, for a declarant, its deadlines
- ``inbox`` {unread_only?, limit?, offset?} -> the caller's messages, newest first
- ``inbox_unread`` -> {non_lues}
- ``inbox_mark_read`` {message_id?} -> {marques} (one message, or all when no id)
- ``preferences_get`` / ``preferences_set`` {rappels_par_email?, avis_par_email?}
- ``calendar_feed_create`` -> {url, jeton}; ``calendar_feed_revoke`` -> {revoque}
- ``calendar_feed`` {token} -> {ics} (no caller)
- ``reminder_settings_get`` {caf?} / ``reminder_settings_set`` {caf?, jours_avant, jours_apres} (Caf paramétrage)
- ``undeliverable`` -> messages the mail server never accepted; ``undeliverable_retry`` {message_id} (operator)
"""

from __future__ import annotations

import functools
from typing import Any

from afas_notification.application import (
    accounts,
    calendar,
    declarations,
    grants,
    inbox,
    payments,
    schedule,
    sender,
)
from afas_shared.auth.caller import forwarded_caller
from afas_shared.contracts.events.declaration import (
    CampaignOpenedV1,
    DeclarationCancelledV1,
    DeclarationControlledV1,
    DeclarationExpectedV1,
    DeclarationRefusedV1,
    DeclarationTransmittedV1,
    DeclarationValidatedV1,
    FormSavedV1,
    FormSentBackV1,
)
from afas_shared.contracts.events.estimation import EstimateRevisedV1, PaymentScheduledV1
from afas_shared.contracts.events.habilitation import (
    ActivityRegisteredV1,
    ActivityUpdatedV1,
    GrantEndedV1,
    GrantRejectedV1,
    GrantValidatedV1,
    RoleGrantedV1,
)
from afas_shared.contracts.events.identity import (
    ActivationRequestedV2,
    PasswordChangedV1,
    PasswordResetRequestedV2,
)
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.rpc_payload import answer_with_result, parse_uuid
from afas_shared.read_models import user_directory
from afas_shared.runtime import ServiceRuntime

CONSUMED = (
    (CampaignOpenedV1, declarations.on_campaign_opened),
    (DeclarationExpectedV1, declarations.on_declaration_expected),
    (FormSavedV1, declarations.on_form_saved),
    (FormSentBackV1, declarations.on_form_sent_back),
    (DeclarationControlledV1, declarations.on_controlled),
    (DeclarationTransmittedV1, declarations.on_transmitted),
    (DeclarationValidatedV1, declarations.on_validated),
    (DeclarationRefusedV1, declarations.on_refused),
    (DeclarationCancelledV1, declarations.on_cancelled),
    (ActivityRegisteredV1, grants.on_activity_state),
    (ActivityUpdatedV1, grants.on_activity_state),
    (RoleGrantedV1, grants.on_role_granted),
    (GrantValidatedV1, grants.on_grant_validated),
    (GrantRejectedV1, grants.on_grant_rejected),
    (GrantEndedV1, grants.on_grant_ended),
    (ActivationRequestedV2, accounts.on_activation_requested),
    (PasswordResetRequestedV2, accounts.on_password_reset_requested),
    (PasswordChangedV1, accounts.on_password_changed),
    (PaymentScheduledV1, payments.on_payment_scheduled),
    (EstimateRevisedV1, payments.on_estimate_revised),
)

# Handled under another aggregate than their own: forms' events write their declaration's copy too.
KEYS = {FormSavedV1: declarations.form_events_key, FormSentBackV1: declarations.form_events_key}


def register(runtime: ServiceRuntime) -> None:
    user_directory.attach(runtime)
    for contract, handler in CONSUMED:
        runtime.consume(contract, functools.partial(handler, runtime), key=KEYS.get(contract))
    settings = runtime.settings
    runtime.every(settings.schedule_check_seconds, lambda: schedule.run_due(runtime))
    runtime.every(settings.mail_poll_seconds, lambda: sender.send_due(runtime))

    def verb(name: str, handler) -> None:
        answer_with_result(runtime.rpc, name, handler)

    async def calendar_view(p: dict[str, Any]) -> Any:
        exercice = p.get("exercice")
        if exercice is not None and not isinstance(exercice, int):
            raise RpcFailure("invalid", "Exercice invalide.", "exercice")
        return await calendar.calendar(runtime, forwarded_caller(p), exercice, p.get("caf"))

    async def inbox_list(p: dict[str, Any]) -> Any:
        try:
            limit, offset = int(p.get("limit") or 50), int(p.get("offset") or 0)
        except (TypeError, ValueError):
            raise RpcFailure("invalid", "Pagination invalide.", "limit") from None
        if not 0 <= offset <= inbox.MAX_OFFSET:  # a huge one would overflow the database's integers
            raise RpcFailure("invalid", f"Pagination invalide : un décalage entre 0 et {inbox.MAX_OFFSET}.", "offset")
        return await inbox.list_messages(runtime, forwarded_caller(p), bool(p.get("unread_only")), limit, offset)

    async def mark_read(p: dict[str, Any]) -> Any:
        message_id = parse_uuid(p, "message_id") if p.get("message_id") is not None else None
        return await inbox.mark_read(runtime, forwarded_caller(p), message_id)

    async def preferences_set(p: dict[str, Any]) -> Any:
        values = p.get("preferences")
        if not isinstance(values, dict):
            raise RpcFailure("invalid", "Préférences manquantes.", "preferences")
        return await inbox.set_preferences(runtime, forwarded_caller(p), values)

    async def feed(p: dict[str, Any]) -> Any:
        return {"ics": await calendar.feed(runtime, str(p.get("token") or ""))}

    async def settings_set(p: dict[str, Any]) -> Any:
        return await calendar.set_reminder_settings(
            runtime, forwarded_caller(p), p.get("caf"), p.get("jours_avant") or [], p.get("jours_apres")
        )

    verb("calendar", calendar_view)
    verb("inbox", inbox_list)
    verb("inbox_unread", lambda p: inbox.unread(runtime, forwarded_caller(p)))
    verb("inbox_mark_read", mark_read)
    verb("preferences_get", lambda p: inbox.preferences(runtime, forwarded_caller(p)))
    verb("preferences_set", preferences_set)
    verb("calendar_feed_create", lambda p: calendar.create_feed(runtime, forwarded_caller(p)))
    verb("calendar_feed_revoke", lambda p: calendar.revoke_feed(runtime, forwarded_caller(p)))
    verb("calendar_feed", feed)
    verb("reminder_settings_get", lambda p: calendar.reminder_settings(runtime, forwarded_caller(p), p.get("caf")))
    verb("reminder_settings_set", settings_set)
    verb("undeliverable", lambda p: inbox.undeliverable(runtime, forwarded_caller(p)))
    verb(
        "undeliverable_retry",
        lambda p: inbox.retry_undeliverable(runtime, forwarded_caller(p), parse_uuid(p, "message_id")),
    )
