"""The notice of a document from the Caf: its partner's approbateurs are told a document waits on their « Documents »
page — its nature and title, never its content nor a link to the file itself (the page asks them to log in).

To the approbateurs of the activity it concerns, or of all the partner's activities when it concerns none: those
who sign the declarations and follow the Caf's decisions, as the payment notices (``payments``).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_notification.adapters.tables import ActivityName, GrantCopy
from afas_notification.application import messages
from afas_notification.domain import reminders, templates
from afas_shared.clock import paris_today
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration import CafDocumentPublishedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.grant_terms import acting_clause
from afas_shared.runtime import ServiceRuntime

NATURES = {
    "notification_droit": "une notification de droit",
    "convention_signee": "une convention signée",
    "courrier": "un courrier",
}


async def _approbateurs(session: AsyncSession, document: CafDocumentPublishedV1, today) -> list[uuid.UUID]:
    query = sa.select(GrantCopy.user_id).where(GrantCopy.role == "approbateur", acting_clause(GrantCopy, today))
    if document.activity_id is not None:
        query = query.where(GrantCopy.activity_id == document.activity_id)
    else:
        activities = sa.select(ActivityName.activity_id).where(ActivityName.partner_id == document.partner_id)
        query = query.where(GrantCopy.activity_id.in_(activities))
    return sorted(set((await session.execute(query)).scalars()))


async def on_caf_document_published(
    runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[CafDocumentPublishedV1]
) -> None:
    d = envelope.data
    now = runtime.clock.now()
    link = f"{runtime.settings.public_base_url}/documents"
    nature = NATURES.get(d.nature, "un document")
    for user_id in await _approbateurs(uow.session, d, paris_today(now)):
        await messages.enqueue(
            uow.session,
            key=reminders.notice_key("document", str(d.document_id), user_id),
            kind="document_caf",
            rendered=templates.caf_document(nature, d.title, await messages.first_name(uow.session, user_id), link),
            now=now,
            sender=runtime.settings.mail_sender,
            user_id=user_id,
            link=link,
        )
