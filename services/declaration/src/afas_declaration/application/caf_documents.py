"""Documents from the Caf: an agent of a partner's Caf publishes a document to it (a notification de droit, a signed
convention, a letter), optionally tied to one of its activities and an exercice; the partner's users list them and
open them, the first download by any of them recording when the partner first opened it (once).

Stored like the pièces justificatives (``attachments.store_then_record``): a note, the object whole, then the row
(and the event that tells the partner) with the note removed in one transaction; a publication cut short leaves a
note the attachments' sweep cleans up.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afas_declaration.adapters.object_store import ObjectMissing, StoreUnavailable
from afas_declaration.adapters.tables import ActivityCopy, CafDocument, PartnerCopy
from afas_declaration.application.actors import full_name
from afas_declaration.application.attachments import Unavailable, store_of, store_then_record
from afas_declaration.application.errors import Forbidden, Invalid, NotFound
from afas_declaration.domain import attachments as files
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import PARIS
from afas_shared.contracts.events.declaration import CafDocumentPublishedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

NATURES = {
    "notification_droit": "Notification de droit",
    "convention_signee": "Convention signée",
    "courrier": "Courrier",
}
# The back-office roles that write to a partner: instruction (its rights) and habilitations (its conventions)
PUBLISHERS = ("instruction", "habilitations")
NOT_YOURS = "Ces documents sont réservés au partenaire auquel la Caf les a adressés."
UNREADABLE = "Le stockage des documents ne répond pas, réessayez dans un instant."


def path_of(partner_id: uuid.UUID | str, document_id: uuid.UUID | str) -> str:
    return f"/api/v1/partners/{partner_id}/documents/{document_id}"


def _stamp(moment) -> str | None:
    return moment.astimezone(PARIS).isoformat(timespec="seconds") if moment else None


def view(row: CafDocument) -> dict[str, Any]:
    """A document as the API and the pages list it."""
    return {
        "id": str(row.id),
        "nature": NATURES[row.nature],
        "titre": row.title,
        "activite": row.activity_name,
        "exercice": row.exercice,
        "nom": row.name,
        "type": files.KINDS[row.kind].label,
        "taille": row.size,
        "publie_par": row.published_by_name,
        "publie_le": _stamp(row.published_at),
        "ouvert_le": _stamp(row.first_opened_at),
        "lien": path_of(row.partner_id, row.id),
    }


async def _partner(session: AsyncSession, partner_id: uuid.UUID) -> PartnerCopy:
    partner = await session.get(PartnerCopy, partner_id)
    if partner is None:
        raise NotFound("Partenaire inconnu.")
    return partner


def _is_partners_user(caller: ForwardedCaller, partner: PartnerCopy) -> bool:
    return caller.kind == "partner" and caller.partner_id == partner.partner_id


async def check_publishable(runtime: ServiceRuntime, caller: ForwardedCaller, partner_id: uuid.UUID) -> None:
    """Refuses (403, 404) before a file is even read: who may not publish here never has its upload parsed."""
    async with runtime.db.sessions() as session:
        partner = await _partner(session, partner_id)
    if not caller.is_caf_agent_of(partner.caf_code, *PUBLISHERS):
        raise Forbidden(
            "Seuls les agents de la Caf du partenaire (instruction, habilitations) lui adressent un document."
        )


def _nature(value: str | None) -> str:
    if value not in NATURES:
        raise Invalid("Choisissez la nature du document : " + ", ".join(NATURES.values()) + ".", "nature")
    return value


def _exercice(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise Invalid("L'exercice est une année, par exemple 2026.", "exercice")
    return int(value)


async def _activity(session: AsyncSession, partner_id: uuid.UUID, value: str | None) -> ActivityCopy | None:
    if not value:
        return None
    try:
        activity = await session.get(ActivityCopy, uuid.UUID(value))
    except ValueError:
        activity = None
    if activity is None or activity.partner_id != partner_id:
        raise Invalid("Cette activité n'est pas une activité de ce partenaire.", "activite")
    return activity


async def publish(
    runtime: ServiceRuntime,
    caller: ForwardedCaller,
    partner_id: uuid.UUID,
    filename: str | None,
    content: bytes,
    fields: dict[str, str],
) -> dict[str, Any]:
    await check_publishable(runtime, caller, partner_id)
    nature, exercice = _nature(fields.get("nature")), _exercice(fields.get("exercice"))
    async with runtime.db.sessions() as session:
        partner = await _partner(session, partner_id)
        activity = await _activity(session, partner_id, fields.get("activite"))
        author = await session.get(KnownUser, caller.user_id) if caller.user_id else None
    settings = runtime.settings
    kind = files.check_file(content, settings.attachment_max_bytes, settings.attachment_types)
    name = files.clean_name(filename, kind)
    row = CafDocument(
        id=uuid.uuid4(),
        partner_id=partner_id,
        caf_code=partner.caf_code,
        nature=nature,
        title=(fields.get("titre") or "").strip()[:200] or name,
        activity_id=activity.activity_id if activity else None,
        activity_name=activity.name if activity else None,
        exercice=exercice,
        name=name,
        kind=kind.code,
        size=len(content),
        sha256="",
        published_by=caller.user_id,
        published_by_name=full_name(author) or "Agent de la Caf",
        published_at=runtime.clock.now(),
    )

    async def listed(uow: UnitOfWork, sha256: str) -> None:
        row.sha256 = sha256
        uow.session.add(row)
        uow.publish(published_event(row), subject=str(row.id), aggregate_version=1)

    await store_then_record(runtime, row.id, content, listed, UNREADABLE)
    return view(row)


def published_event(row: CafDocument) -> CafDocumentPublishedV1:
    """What the partner is told by mail: the title and what it concerns, never the file nor a link to it."""
    return CafDocumentPublishedV1(
        document_id=row.id,
        partner_id=row.partner_id,
        caf_code=row.caf_code,
        nature=row.nature,
        title=row.title,
        activity_id=row.activity_id,
        exercice=row.exercice,
        published_by=row.published_by,
        published_at=row.published_at,
    )


async def listing(runtime: ServiceRuntime, caller: ForwardedCaller, partner_id: uuid.UUID) -> list[dict[str, Any]]:
    """The partner's documents, newest first: for its users, and for the agents of its Caf (what was sent, opened)."""
    async with runtime.db.sessions() as session:
        partner = await _partner(session, partner_id)
        if not (_is_partners_user(caller, partner) or caller.is_caf_agent_of(partner.caf_code)):
            raise Forbidden(NOT_YOURS)
        query = (
            sa.select(CafDocument)
            .where(col(CafDocument.partner_id) == partner_id)
            .order_by(col(CafDocument.published_at).desc(), col(CafDocument.id))
        )
        rows = (await session.execute(query)).scalars().all()
    return [view(row) for row in rows]


async def unopened(runtime: ServiceRuntime, caller: ForwardedCaller) -> int:
    """How many of its Caf's documents the caller's partner has not opened yet (the home page's count)."""
    if caller.kind != "partner" or caller.partner_id is None:
        return 0
    async with runtime.db.sessions() as session:
        query = sa.select(sa.func.count()).where(
            col(CafDocument.partner_id) == caller.partner_id, col(CafDocument.first_opened_at).is_(None)
        )
        return int((await session.execute(query)).scalar_one())


async def download(
    runtime: ServiceRuntime, caller: ForwardedCaller, partner_id: uuid.UUID, document_id: uuid.UUID
) -> tuple[dict[str, Any], str, bytes]:
    """(its listing, its media type, its bytes), for the partner's users only; the first one's download records
    when the partner first opened it (a conditional update: two first downloads at once record one date)."""
    async with runtime.db.sessions() as session:
        partner = await _partner(session, partner_id)
        if not _is_partners_user(caller, partner):
            raise Forbidden(NOT_YOURS)
        row = await session.get(CafDocument, document_id)
    if row is None or row.partner_id != partner_id:
        raise NotFound("Document inconnu pour ce partenaire.")
    try:
        content = await store_of(runtime).get(str(row.id))
    except StoreUnavailable:
        raise Unavailable(UNREADABLE) from None
    except ObjectMissing:
        log.error("caf document %s is listed but its object is missing", row.id)
        raise Unavailable("Ce document est momentanément illisible, réessayez plus tard.") from None
    if row.first_opened_at is None:
        async with runtime.unit_of_work() as uow:
            await uow.session.execute(
                sa.update(CafDocument)
                .where(col(CafDocument.id) == row.id, col(CafDocument.first_opened_at).is_(None))
                .values(first_opened_at=runtime.clock.now(), first_opened_by=caller.user_id)
            )
    return view(row), files.KINDS[row.kind].media_type, content
