"""Notices from estimation's events: a payment scheduled for an activity, an estimate revised by a barème change.

Both go to the approbateurs of the activity (those who sign its declarations and follow its payments).
"""

from __future__ import annotations

import uuid

from afas_notification.adapters.tables import DeclarationCopy
from afas_notification.application import messages, schedule
from afas_notification.domain import reminders, templates
from afas_shared.clock import paris_today
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.estimation import EstimateRevisedV1, PaymentScheduledV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime


async def _approbateurs(runtime: ServiceRuntime, uow: UnitOfWork, activity_id: uuid.UUID) -> list[uuid.UUID]:
    lines = await schedule.acting_lines(uow.session, activity_id, paris_today(runtime.clock.now()))
    return sorted({g.user_id for g in lines if g.role == "approbateur"})


async def on_payment_scheduled(
    runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[PaymentScheduledV1]
) -> None:
    p = envelope.data
    link = f"{runtime.settings.public_base_url}/"
    for user_id in await _approbateurs(runtime, uow, p.activity_id):
        await messages.enqueue(
            uow.session,
            key=reminders.notice_key("paiement", f"{p.activity_id}:{p.payment_key}", user_id),
            kind="paiement_programme",
            rendered=templates.payment_scheduled(
                p.label, p.amount, p.due_date, await messages.first_name(uow.session, user_id), link
            ),
            now=runtime.clock.now(),
            sender=runtime.settings.mail_sender,
            user_id=user_id,
            link=link,
        )


async def on_estimate_revised(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[EstimateRevisedV1]) -> None:
    e = envelope.data
    declaration = await uow.session.get(DeclarationCopy, e.declaration_id) or DeclarationCopy(
        declaration_id=e.declaration_id,
        activity_id=e.activity_id,
        exercice=e.exercice,
        declaration_type=e.declaration_type,
    )
    facts = await schedule.facts_of(uow.session, declaration)
    link = schedule.declaration_link(runtime.settings, e.declaration_id)
    for user_id in await _approbateurs(runtime, uow, e.activity_id):
        await messages.enqueue(
            uow.session,
            key=reminders.notice_key("estimation", f"{e.declaration_id}:b{e.bareme_version}", user_id),
            kind="estimation_revisee",
            rendered=templates.estimate_revised(
                facts, e.old_amount, e.new_amount, await messages.first_name(uow.session, user_id), link
            ),
            now=runtime.clock.now(),
            sender=runtime.settings.mail_sender,
            user_id=user_id,
            declaration_id=e.declaration_id,
            link=link,
        )
