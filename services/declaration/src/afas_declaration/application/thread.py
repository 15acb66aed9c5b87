"""The secure thread of a declaration (issue 19): the partner's side (its approbateur and the activity's providers —
a provider of some sites, on a declaration it sees) and the agents of the declaration's Caf write to each other,
optionally with one file; each message records when the other side first opened it (its read receipt).

A message with a file is stored as the pièces justificatives are (``attachments.store_then_record``: a note, the
object whole, then its row, its outbox event and the note's removal in one transaction): nothing half-stored. The
event (``ThreadMessagePostedV1``) tells notification to mail the other side, never the message's content.
The Caf's refusals (and cancellations) and the approbateur's send-backs are written here by their own transaction
(``system_message``): never lost, never doubled.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from afas_declaration.adapters.object_store import ObjectMissing, StoreUnavailable
from afas_declaration.adapters.tables import Declaration, Transmission
from afas_declaration.adapters.thread_tables import ThreadMessage
from afas_declaration.application.actors import full_name
from afas_declaration.application.attachments import Unavailable, store_of, store_then_record
from afas_declaration.application.campaigns import DECLARATION_TYPES
from afas_declaration.application.declaration_scope import Loaded, load
from afas_declaration.application.errors import Forbidden, Invalid, NotFound
from afas_declaration.application.permissions import standing_in
from afas_declaration.domain import attachments as files
from afas_declaration.domain.access_policy import Standing
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import PARIS
from afas_shared.contracts.events.declaration_thread import ThreadMessagePostedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime
from afas_shared.text import refuse_forbidden_characters

log = logging.getLogger(__name__)

PARTNER, CAF = "partenaire", "caf"
TEXT_MAX = 5000
KINDS = {"message": None, "refus": "Refus de la Caf", "annulation": "Annulation par la Caf", "renvoi": "Renvoi"}
NOT_YOURS = "Les échanges de cette déclaration sont réservés au partenaire et aux agents de sa Caf."
EMPTY = "Écrivez votre message avant de l'envoyer."


def path_of(declaration_id: uuid.UUID | str, message_id: uuid.UUID | str) -> str:
    return f"/api/v1/declarations/{declaration_id}/messages/{message_id}/fichier"


def side_of(caller: ForwardedCaller, who: Standing, declaration: Declaration) -> str | None:
    """The caller's side of this declaration's thread, or none: the partner's users acting on its activity, the
    agents of its own Caf (whatever their back-office roles). The operator is neither."""
    if caller.kind == "partner" and caller.partner_id == declaration.partner_id and who.partner_member:
        return PARTNER
    if caller.is_caf_agent_of(declaration.caf_code):
        return CAF
    return None


def shown_to(who: Standing, side: str, row: ThreadMessage) -> bool:
    """A send-back about one site's form is for those who see that site; the Caf never reads the partner's own
    send-backs (an exchange inside the partner)."""
    if row.kind == "renvoi":
        return side == PARTNER and files.visible_to(who, row.site_id)
    return True


def unread_by(side: str) -> sa.ColumnElement[bool]:
    """The messages ``side`` has not read yet: the other side's, send-backs aside (never the Caf's to read)."""
    other = CAF if side == PARTNER else PARTNER
    return sa.and_(
        col(ThreadMessage.side) == other, col(ThreadMessage.read_at).is_(None), ThreadMessage.kind != "renvoi"
    )


def _stamp(moment) -> str | None:
    return moment.astimezone(PARIS).isoformat(timespec="seconds") if moment else None


def view(row: ThreadMessage, side: str) -> dict[str, Any]:
    """A message as the API and the pages show it; ``non_lu``: not read yet by the caller's side."""
    piece = None
    if row.file_name is not None and row.file_kind is not None:
        piece = {
            "nom": row.file_name,
            "type": files.KINDS[row.file_kind].label,
            "taille": row.file_size,
            "sha256": row.file_sha256,
            "lien": path_of(row.declaration_id, row.id),
        }
    return {
        "id": str(row.id),
        "cote": row.side,
        "nature": KINDS.get(row.kind),
        "texte": row.body,
        "auteur": row.author_name,
        "ecrit_le": _stamp(row.created_at),
        "piece": piece,
        "lu_le": _stamp(row.read_at),
        "lu_par": row.read_by_name,
        "non_lu": row.side != side and row.read_at is None and row.kind != "renvoi",
    }


async def _context(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID):
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
        who = await standing_in(session, runtime, caller, loaded.activity)
        author = await session.get(KnownUser, caller.user_id) if caller.user_id else None
    side = side_of(caller, who, loaded.declaration)
    if side is None:
        raise Forbidden(NOT_YOURS)
    return loaded, who, side, author


async def check_writable(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID) -> None:
    """Refuses (403, 404) before an upload is read: who may not write here never has its file parsed."""
    await _context(runtime, caller, declaration_id)


def _text(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise Invalid(EMPTY, "texte")
    if len(text) > TEXT_MAX:
        raise Invalid(f"Votre message dépasse {TEXT_MAX} caractères : raccourcissez-le.", "texte")
    refuse_forbidden_characters(text, "texte", multiline=True)
    return text


async def _caf_agents(uow: UnitOfWork, declaration_id: uuid.UUID) -> list[uuid.UUID]:
    """The Caf's agents who took part in this declaration: who wrote in its thread, who decided one of its versions."""
    wrote = sa.select(ThreadMessage.author_id).where(
        col(ThreadMessage.declaration_id) == declaration_id, col(ThreadMessage.side) == CAF
    )
    decided = sa.select(Transmission.decided_by).where(col(Transmission.declaration_id) == declaration_id)
    found = (await uow.session.execute(sa.union(wrote, decided))).scalars().all()
    return sorted({agent for agent in found if agent is not None}, key=str)


async def _record(uow: UnitOfWork, loaded: Loaded, row: ThreadMessage) -> None:
    """The message and its event in one transaction (the outbox): the other side is told once it is written."""
    uow.session.add(row)
    await uow.session.flush()
    d = loaded.declaration
    event = ThreadMessagePostedV1(
        message_id=row.id,
        declaration_id=d.id,
        activity_id=d.activity_id,
        partner_id=d.partner_id,
        caf_code=d.caf_code,
        exercice=d.exercice,
        declaration_type=d.declaration_type,
        side=PARTNER if row.side == PARTNER else CAF,
        author_id=row.author_id,
        posted_at=row.created_at,
        caf_agents=await _caf_agents(uow, d.id) if row.side == PARTNER else [],
    )
    uow.publish(event, subject=str(row.id), aggregate_version=1)


async def post(
    runtime: ServiceRuntime,
    caller: ForwardedCaller,
    declaration_id: uuid.UUID,
    body: str | None,
    filename: str | None = None,
    content: bytes | None = None,
) -> dict[str, Any]:
    """Writes a message (422 empty, 413/415 for its file) and returns it as listed."""
    loaded, _, side, author = await _context(runtime, caller, declaration_id)
    text = _text(body)
    settings = runtime.settings
    kind = files.check_file(content, settings.attachment_max_bytes, settings.attachment_types) if content else None
    row = ThreadMessage(
        id=uuid.uuid4(),
        declaration_id=declaration_id,
        side=side,
        kind="message",
        body=text,
        author_id=caller.user_id,
        author_name=full_name(author) or ("Agent de la Caf" if side == CAF else "Utilisateur du partenaire"),
        created_at=runtime.clock.now(),
    )
    if kind is None or content is None:
        async with runtime.unit_of_work() as uow:
            await _record(uow, loaded, row)
        return view(row, side)
    row.file_name, row.file_kind, row.file_size = files.clean_name(filename, kind), kind.code, len(content)

    async def listed(uow: UnitOfWork, sha256: str) -> None:
        row.file_sha256 = sha256
        await _record(uow, loaded, row)

    await store_then_record(runtime, row.id, content, listed)
    return view(row, side)


def system_message(
    uow: UnitOfWork, declaration_id: uuid.UUID, kind: str, text: str, author_id, author_name: str | None, now, **extra
) -> None:
    """A refusal, a cancellation (the Caf's side) or a send-back (the partner's) in the thread, written by the unit
    of work that records it: both commit or neither does. No event: each has its own notice already."""
    side = PARTNER if kind == "renvoi" else CAF
    uow.session.add(
        ThreadMessage(
            id=uuid.uuid4(),
            declaration_id=declaration_id,
            side=side,
            kind=kind,
            body=text,
            author_id=author_id,
            author_name=author_name or ("Agent de la Caf" if side == CAF else "L'approbateur"),
            created_at=now,
            site_id=extra.get("site_id"),
        )
    )


async def _rows(session, declaration_id: uuid.UUID) -> list[ThreadMessage]:
    query = (
        sa.select(ThreadMessage)
        .where(col(ThreadMessage.declaration_id) == declaration_id)
        .order_by(col(ThreadMessage.created_at), col(ThreadMessage.id))
    )
    return list((await session.execute(query)).scalars().all())


async def listing(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID) -> dict[str, Any]:
    """The thread as the caller may read it, oldest first, and how many of the other side's messages it has not
    read yet (reading does not mark them: ``mark_read`` does, the page calls it when opened)."""
    loaded, who, side, _ = await _context(runtime, caller, declaration_id)
    async with runtime.db.sessions() as session:
        rows = [row for row in await _rows(session, declaration_id) if shown_to(who, side, row)]
    messages = [view(row, side) for row in rows]
    d = loaded.declaration
    return {
        "declaration": {
            "id": str(d.id),
            "activite": d.activity_name or loaded.activity.name,
            "exercice": d.exercice,
            "type_declaration": DECLARATION_TYPES.get(d.declaration_type, d.declaration_type),
        },
        "cote": side,
        "messages": messages,
        "non_lus": sum(1 for m in messages if m["non_lu"]),
        "limite": files.megabytes(runtime.settings.attachment_max_bytes),
        "types": ", ".join(files.KINDS[k].label for k in runtime.settings.attachment_types if k in files.KINDS),
    }


async def mark_read(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID) -> dict[str, Any]:
    """The other side's messages read by the caller's side now (each message's first reading only)."""
    _, _, side, author = await _context(runtime, caller, declaration_id)
    async with runtime.unit_of_work() as uow:
        result = await uow.session.execute(
            sa.update(ThreadMessage)
            .where(col(ThreadMessage.declaration_id) == declaration_id, unread_by(side))
            .values(read_at=runtime.clock.now(), read_by_name=full_name(author) or caller_label(side))
        )
    return {"marques": result.rowcount or 0, "non_lus": 0}


def caller_label(side: str) -> str:
    return "Un agent de la Caf" if side == CAF else "Le partenaire"


async def download(
    runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID, message_id: uuid.UUID
) -> tuple[dict[str, Any], str, bytes]:
    """(its file's listing, media type, bytes) for either side of the thread."""
    _, who, side, _ = await _context(runtime, caller, declaration_id)
    async with runtime.db.sessions() as session:
        row = await session.get(ThreadMessage, message_id)
    if row is None or row.declaration_id != declaration_id or not shown_to(who, side, row):
        raise NotFound("Message inconnu pour cette déclaration.")
    if row.file_kind is None:
        raise NotFound("Ce message n'a pas de fichier joint.")
    try:
        content = await store_of(runtime).get(str(row.id))
    except StoreUnavailable:
        raise Unavailable("Le stockage des pièces ne répond pas, réessayez dans un instant.") from None
    except ObjectMissing:
        log.error("thread message %s lists a file whose object is missing", row.id)
        raise Unavailable("Ce fichier est momentanément illisible, réessayez plus tard.") from None
    return view(row, side)["piece"], files.KINDS[row.file_kind].media_type, content
