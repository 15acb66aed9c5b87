"""What notification consumes and answers on the bus.

RPC verbs: one request/reply contract each (``afas_shared.contracts.rpc.notification``, fields named as the public
API names them); the gateway forwards the caller as ``actor`` claims, except for ``calendar_feed`` whose secret
token is the credential. Calendars and ICS feeds, the inbox and mail preferences, each Caf's reminder days (Caf
paramétrage), and the mail never delivered (operator).
"""

from __future__ import annotations

import functools

from afas_notification.adapters import metrics
from afas_notification.application import (
    accounts,
    caf_documents,
    calendar,
    declarations,
    grants,
    inbox,
    outcome_batches,
    payments,
    schedule,
    sender,
    thread_notices,
)
from afas_shared.auth.caller import forwarded_caller
from afas_shared.contracts.events.declaration import (
    CafDocumentPublishedV1,
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
from afas_shared.contracts.events.declaration_thread import ThreadMessagePostedV1
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
from afas_shared.contracts.rpc import contract_for
from afas_shared.messaging.consumer import Handler, with_batch
from afas_shared.messaging.rpc_payload import answer_contract, the_payload
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
    (CafDocumentPublishedV1, caf_documents.on_caf_document_published),
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
    (ThreadMessagePostedV1, thread_notices.on_thread_message_posted),
)

# Handled under another aggregate than their own: forms' events write their declaration's copy too.
KEYS = {FormSavedV1: declarations.form_events_key, FormSentBackV1: declarations.form_events_key}
# The set-based forms, for a batch of these events (issue 16); one event alone, or a failing batch, one by one.
BATCH_FORMS = {
    ActivityRegisteredV1: grants.on_activity_states,
    ActivityUpdatedV1: grants.on_activity_states,
    DeclarationControlledV1: outcome_batches.on_controls,
    DeclarationExpectedV1: declarations.on_declarations_expected,
    DeclarationTransmittedV1: outcome_batches.on_transmissions,
    FormSavedV1: declarations.on_forms_saved,
    RoleGrantedV1: grants.on_roles_granted,
    GrantValidatedV1: grants.on_grants_validated,
    GrantRejectedV1: grants.on_grants_rejected,
    GrantEndedV1: grants.on_grants_ended,
}


def register(runtime: ServiceRuntime) -> None:
    user_directory.attach(runtime)
    for contract, handler in CONSUMED:
        one: Handler = functools.partial(handler, runtime)
        if (batch := BATCH_FORMS.get(contract)) is not None:
            one = with_batch(one, functools.partial(batch, runtime))
        runtime.consume(contract, one, key=KEYS.get(contract))
    settings = runtime.settings
    runtime.every(settings.schedule_check_seconds, lambda: schedule.run_due(runtime))
    runtime.every(settings.mail_poll_seconds, lambda: sender.send_due(runtime))
    runtime.every(metrics.SAMPLE_SECONDS, metrics.mail_queue_sampler(runtime.db, lambda: runtime.clock.now()))

    def on(verb: str, handler, who=forwarded_caller) -> None:
        answer_contract(runtime.rpc, contract_for("notification", verb), handler, who)

    # The caller comes from its forwarded claims, beside the request, never from the request itself
    on("calendar", lambda r, c: calendar.calendar(runtime, c, r.exercice, r.caf))
    on("calendar_feed_create", lambda r, c: calendar.create_feed(runtime, c))
    on("calendar_feed_revoke", lambda r, c: calendar.revoke_feed(runtime, c))
    on("calendar_feed", lambda r, _: _feed(runtime, r.token), the_payload)  # the token is the credential
    on("inbox", lambda r, c: inbox.list_messages(runtime, c, bool(r.unread_only), r.limit or 50, r.offset or 0))
    on("inbox_unread", lambda r, c: inbox.unread(runtime, c))
    on("inbox_mark_read", lambda r, c: inbox.mark_read(runtime, c, r.message_id))
    on("preferences_get", lambda r, c: inbox.preferences(runtime, c))
    on("preferences_set", lambda r, c: inbox.set_preferences(runtime, c, r))
    on("reminder_settings_get", lambda r, c: calendar.reminder_settings(runtime, c, r.caf))
    on(
        "reminder_settings_set",
        lambda r, c: calendar.set_reminder_settings(runtime, c, r.caf, r.days_before, r.days_after),
    )
    on("undeliverable", lambda r, c: inbox.undeliverable(runtime, c))
    on("undeliverable_retry", lambda r, c: inbox.retry_undeliverable(runtime, c, r.message_id))


async def _feed(runtime: ServiceRuntime, token: str) -> dict[str, str]:
    return {"ics": await calendar.feed(runtime, token)}
