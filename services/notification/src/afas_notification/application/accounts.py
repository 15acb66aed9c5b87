"""Security mails from identity's events: activation link, password reset link, password changed.

They are always mailed (no preference switches them off); the links travel only by mail, never in the inbox.
The events carry a link's reference, never the link: the message is stored with a placeholder and the reference
(``mail_link``), and the sender asks identity for the URL (``identity.rpc.mail_link.v1``) when it sends the mail.
"""

from __future__ import annotations

from datetime import datetime

from afas_notification.application import messages
from afas_notification.domain import reminders, templates
from afas_shared.clock import PARIS
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import (
    ActivationRequestedV2,
    PasswordChangedV1,
    PasswordResetRequestedV2,
)
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime


def paris_time(moment: datetime) -> str:
    local = moment.astimezone(PARIS)
    return f"{templates.french_date(local.date())} à {local:%H} h {local:%M}"


async def on_activation_requested(
    runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[ActivationRequestedV2]
) -> None:
    a = envelope.data
    await messages.enqueue(
        uow.session,
        key=reminders.notice_key("activation", str(envelope.id), a.user_id),
        kind="activation",
        rendered=templates.activation(a.first_name, templates.LINK_PLACEHOLDER, paris_time(a.expires_at), a.identifier),
        now=runtime.clock.now(),
        sender=runtime.settings.mail_sender,
        user_id=a.user_id,
        email=str(a.email),
        inbox=False,
        mail_link=f"activation:{a.link_id}",
    )


async def on_password_reset_requested(
    runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[PasswordResetRequestedV2]
) -> None:
    r = envelope.data
    await messages.enqueue(
        uow.session,
        key=reminders.notice_key("reinitialisation", str(envelope.id), r.user_id),
        kind="reinitialisation_mot_de_passe",
        rendered=templates.password_reset(r.first_name, templates.LINK_PLACEHOLDER, paris_time(r.expires_at)),
        now=runtime.clock.now(),
        sender=runtime.settings.mail_sender,
        user_id=r.user_id,
        email=str(r.email),
        inbox=False,
        mail_link=f"reset:{r.link_id}",
    )


async def on_password_changed(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[PasswordChangedV1]) -> None:
    c = envelope.data
    await messages.enqueue(
        uow.session,
        key=reminders.notice_key("mot_de_passe_modifie", str(envelope.id), c.user_id),
        kind="mot_de_passe_modifie",
        rendered=templates.password_changed(
            await messages.first_name(uow.session, c.user_id), paris_time(c.changed_at)
        ),
        now=runtime.clock.now(),
        sender=runtime.settings.mail_sender,
        user_id=c.user_id,
        email=str(c.email),
    )
