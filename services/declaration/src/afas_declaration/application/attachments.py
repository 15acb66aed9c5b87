"""Pièces justificatives: a provider or the approbateur attaches a file to a declaration still open, or to one of its
flagged controls' justification; everyone who sees the declaration lists and downloads them (a site's provider,
its sites' files only); the transmitted snapshot freezes each file's name, size and SHA-256.

Nothing half-stored: an upload is first noted (``AttachmentUpload``), its object stored whole, and only then its
row written (with the note removed) in one transaction that re-checks the declaration is still open. A process that
dies in between leaves a note the sweep (``sweep``) turns into a deleted object; a file is listed only once whole.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from afas_declaration.adapters.object_store import FileStore, JetStreamFileStore, ObjectMissing, StoreUnavailable
from afas_declaration.adapters.tables import Attachment, AttachmentUpload, Declaration
from afas_declaration.application.actors import full_name
from afas_declaration.application.declaration_scope import Loaded, load
from afas_declaration.application.errors import Conflict, Forbidden, Invalid, NotFound
from afas_declaration.application.permissions import require, standing_in
from afas_declaration.application.review import results_seen
from afas_declaration.domain import attachments as rules
from afas_declaration.domain import lifecycle
from afas_declaration.domain.access_policy import Standing
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import PARIS
from afas_shared.contracts.bus_permissions import object_store_bucket
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.refusals import Refused
from afas_shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

STORE = "declaration_files"
OUT_OF_SCOPE = "Cette déclaration n'est pas dans votre périmètre."
FROZEN = "Déclaration transmise : ses pièces justificatives sont figées avec la version transmise."


class Unavailable(Refused, code="unavailable"):
    """The file store does not answer now (HTTP 503)."""


def store_of(runtime: ServiceRuntime) -> FileStore:
    """The service's one file store (the secure thread's attachments will share it)."""
    store = runtime.state.get(STORE)
    if store is None:
        settings = runtime.settings
        store = runtime.state[STORE] = JetStreamFileStore(
            runtime.bus.jetstream,
            object_store_bucket(runtime.bus.names.prefix, STORE),
            replicas=settings.common.bus_stream_replicas,
            timeout=settings.attachment_store_timeout_seconds,
        )
    return store


def path_of(declaration_id: uuid.UUID | str, attachment_id: uuid.UUID | str) -> str:
    return f"/api/v1/declarations/{declaration_id}/pieces-jointes/{attachment_id}"


def view(row: Attachment) -> dict[str, Any]:
    """A file as the API and the pages list it."""
    return {
        "id": str(row.id),
        "nom": row.name,
        "type": rules.KINDS[row.kind].label,
        "taille": row.size,
        "sha256": row.sha256,
        "controle": row.control_key,
        "lieu": row.site_name,
        "deposee_par": row.uploaded_by_name,
        "deposee_le": row.uploaded_at.astimezone(PARIS).isoformat(timespec="seconds"),
        "lien": path_of(row.declaration_id, row.id),
    }


def frozen_entry(row: Attachment) -> dict[str, Any]:
    """A file as the transmitted snapshot records it (and the receipt prints it)."""
    return {**{k: v for k, v in view(row).items() if k != "lien"}, "lieu_id": str(row.site_id) if row.site_id else None}


async def rows_of(session, declaration_id: uuid.UUID) -> list[Attachment]:
    query = (
        sa.select(Attachment)
        .where(col(Attachment.declaration_id) == declaration_id)
        .order_by(col(Attachment.uploaded_at), col(Attachment.name))
    )
    return list((await session.execute(query)).scalars().all())


def seen_in_snapshot(entries: list[dict[str, Any]], who: Standing) -> list[dict[str, Any]]:
    """A transmitted version's files as the caller may read them (a site's provider: its sites' files)."""
    return [e for e in entries if rules.visible_to(who, uuid.UUID(e["lieu_id"]) if e.get("lieu_id") else None)]


# --- attaching ------------------------------------------------------------------------------------------------------


def _site_of_control(loaded: Loaded, who: Standing, key: str) -> tuple[uuid.UUID | None, str | None]:
    """The site of the flagged control ``key`` (its results as last run), refused if the caller does not see it."""
    results = [r for r in json.loads(loaded.declaration.controls) if r.get("cle") == key and r.get("a_justifier")]
    if not results:
        raise NotFound("Aucun contrôle à justifier ne porte cette clé : relancez les contrôles.")
    if not results_seen(loaded, results, who):
        raise Forbidden("Ce contrôle porte sur un lieu hors de votre périmètre.")
    site_name = results[0].get("lieu")
    site = next((f.site_id for f in loaded.forms if site_name and f.site_name == site_name), None)
    return site, site_name if site else None


def _site_chosen(loaded: Loaded, who: Standing, site_id: uuid.UUID | None) -> tuple[uuid.UUID | None, str | None]:
    """The site a declaration's file is given: the one chosen among the activity's, or for a provider of one site,
    its site; none (the whole declaration) for those who see it whole."""
    sites = {f.site_id: f.site_name for f in loaded.forms if f.site_id is not None}
    if site_id is None and not who.full_view:
        own = [s for s in sites if rules.visible_to(who, s)]
        if len(own) != 1:
            raise Invalid("Choisissez le lieu auquel se rapporte cette pièce.", "lieu")
        site_id = own[0]
    if site_id is not None and site_id not in sites:
        raise Invalid("Ce lieu n'est pas un lieu de cette activité.", "lieu")
    return site_id, sites.get(site_id) if site_id else None


def _require_attachable(loaded: Loaded, who: Standing) -> None:
    require(who.sees_anything, OUT_OF_SCOPE)
    require(rules.may_attach(who), "Seuls les fournisseurs de données et l'approbateur joignent des pièces.")
    if lifecycle.State(loaded.declaration.state) not in lifecycle.OPEN:
        raise Conflict(FROZEN)


async def check_attachable(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID) -> None:
    """Refuses (403, 404, 409) before a file is even read: who may not attach here never has its upload parsed."""
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
        who = await standing_in(session, runtime, caller, loaded.activity)
    _require_attachable(loaded, who)


async def attach(
    runtime: ServiceRuntime,
    caller: ForwardedCaller,
    declaration_id: uuid.UUID,
    filename: str | None,
    content: bytes,
    *,
    control_key: str | None = None,
    site_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
        author = await session.get(KnownUser, caller.user_id) if caller.user_id else None
        who = await standing_in(session, runtime, caller, loaded.activity)
    _require_attachable(loaded, who)
    if control_key:
        site, site_name = _site_of_control(loaded, who, control_key)
    else:
        site, site_name = _site_chosen(loaded, who, site_id)
    require(rules.visible_to(who, site), "Ce lieu n'est pas dans votre périmètre.")
    settings = runtime.settings
    kind = rules.check_file(content, settings.attachment_max_bytes, settings.attachment_types)
    row = Attachment(
        id=uuid.uuid4(),
        declaration_id=declaration_id,
        control_key=control_key or None,
        site_id=site,
        site_name=site_name,
        name=rules.clean_name(filename, kind),
        kind=kind.code,
        size=len(content),
        sha256="",
        uploaded_by=caller.user_id,
        uploaded_by_name=full_name(author) or "Utilisateur inconnu",
        uploaded_at=runtime.clock.now(),
    )
    return view(await _store_then_list(runtime, row, content))


async def _store_then_list(runtime: ServiceRuntime, row: Attachment, content: bytes) -> Attachment:
    async def listed(uow: UnitOfWork, sha256: str) -> None:
        declaration = await uow.session.get(Declaration, row.declaration_id, with_for_update=True)
        if declaration is None or lifecycle.State(declaration.state) not in lifecycle.OPEN:
            raise Conflict(FROZEN)  # transmitted while the file was being stored
        row.sha256 = sha256
        uow.session.add(row)

    await store_then_record(runtime, row.id, content, listed)
    return row


async def store_then_record(
    runtime: ServiceRuntime,
    object_id: uuid.UUID,
    content: bytes,
    record: Callable[[UnitOfWork, str], Awaitable[None]],
    unavailable: str = "Le stockage des pièces ne répond pas, réessayez dans un instant.",
) -> str:
    """Any file of the service (pièces, the thread's files, the Caf's documents): noted, stored whole, then
    ``record`` writes what lists it (given the object's SHA-256) in the transaction that removes the note. A refusal
    of ``record`` forgets the object; a process dying in between leaves the note to the sweep. Returns the SHA-256;
    ``unavailable``: the French refusal when the store does not answer."""
    async with runtime.unit_of_work() as uow:
        uow.session.add(AttachmentUpload(id=object_id, started_at=runtime.clock.now()))
    try:
        stored = await store_of(runtime).put(str(object_id), content)
    except StoreUnavailable as exc:
        log.warning("file %s not stored: %s", object_id, exc)
        raise Unavailable(unavailable) from None
    try:
        async with runtime.unit_of_work() as uow:
            await record(uow, stored.sha256)
            await uow.session.execute(sa.delete(AttachmentUpload).where(col(AttachmentUpload.id) == object_id))
    except Refused:
        await _forget(runtime, object_id)
        raise
    return stored.sha256


async def _forget(runtime: ServiceRuntime, object_id: uuid.UUID) -> bool:
    """Removes an object no row names, then its note; the sweep retries whatever fails here."""
    try:
        await store_of(runtime).delete(str(object_id))
    except StoreUnavailable as exc:
        log.warning("attachment %s left for the sweep: %s", object_id, exc)
        return False
    async with runtime.unit_of_work() as uow:
        await uow.session.execute(sa.delete(AttachmentUpload).where(col(AttachmentUpload.id) == object_id))
    return True


# --- reading ----------------------------------------------------------------------------------------------------------


async def _seen(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID):
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
        who = await standing_in(session, runtime, caller, loaded.activity)
        rows = await rows_of(session, declaration_id)
    require(who.sees_anything, OUT_OF_SCOPE)
    return who, rows


async def listing(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID) -> list[dict]:
    """The declaration's files the caller may see, oldest first."""
    who, rows = await _seen(runtime, caller, declaration_id)
    return [view(row) for row in rows if rules.visible_to(who, row.site_id)]


async def download(
    runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID, attachment_id: uuid.UUID
) -> tuple[dict[str, Any], str, bytes]:
    """(its listing, its media type, its bytes): under the declaration's authorization, its site's for a provider."""
    who, rows = await _seen(runtime, caller, declaration_id)
    row = next((r for r in rows if r.id == attachment_id), None)
    if row is None:
        raise NotFound("Pièce jointe inconnue pour cette déclaration.")
    require(rules.visible_to(who, row.site_id), "Cette pièce porte sur un lieu hors de votre périmètre.")
    try:
        content = await store_of(runtime).get(str(row.id))
    except StoreUnavailable:
        raise Unavailable("Le stockage des pièces ne répond pas, réessayez dans un instant.") from None
    except ObjectMissing:
        log.error("attachment %s is listed but its object is missing", row.id)
        raise Unavailable("Cette pièce est momentanément illisible, réessayez plus tard.") from None
    return view(row), rules.KINDS[row.kind].media_type, content


async def remove(
    runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID, attachment_id: uuid.UUID
) -> None:
    """A file withdrawn before transmission, by who attached it or by the approbateur. Its row goes with a note in one
    transaction, then its object: a removal cut short leaves the object to the sweep, never a listed file."""
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
        who = await standing_in(session, runtime, caller, loaded.activity)
        row = await session.get(Attachment, attachment_id)
    require(who.sees_anything, OUT_OF_SCOPE)
    if row is None or row.declaration_id != declaration_id:
        raise NotFound("Pièce jointe inconnue pour cette déclaration.")
    require(rules.visible_to(who, row.site_id), "Cette pièce porte sur un lieu hors de votre périmètre.")
    own = caller.user_id is not None and row.uploaded_by == caller.user_id
    require(who.approbateur or (own and rules.may_attach(who)), "Seuls son auteur et l'approbateur retirent une pièce.")
    async with runtime.unit_of_work() as uow:
        declaration = await uow.session.get(Declaration, declaration_id, with_for_update=True)
        if declaration is None or lifecycle.State(declaration.state) not in lifecycle.OPEN:
            raise Conflict(FROZEN)
        await uow.session.execute(sa.delete(Attachment).where(col(Attachment.id) == attachment_id))
        # the note the sweep needs if the object's removal below does not happen
        uow.session.add(AttachmentUpload(id=attachment_id, started_at=runtime.clock.now()))
    await _forget(runtime, attachment_id)


# --- the sweep --------------------------------------------------------------------------------------------------------


async def sweep(runtime: ServiceRuntime) -> int:
    """Removes the objects of uploads cut short (a note older than the grace period, no row) and the chunks of puts
    cut short; returns how many were removed. Run by every replica: each removal is idempotent."""
    grace = timedelta(seconds=runtime.settings.attachment_orphan_grace_seconds)
    limit = runtime.clock.now() - grace
    async with runtime.db.sessions() as session:
        notes = (
            (await session.execute(sa.select(AttachmentUpload.id).where(col(AttachmentUpload.started_at) < limit)))
            .scalars()
            .all()
        )
        listed = set(
            (await session.execute(sa.select(Attachment.id).where(col(Attachment.id).in_(notes)))).scalars().all()
        )
    removed = 0
    for note in notes:
        if note in listed:  # cannot happen (one transaction writes the row and removes the note): keep the file
            async with runtime.unit_of_work() as uow:
                await uow.session.execute(sa.delete(AttachmentUpload).where(col(AttachmentUpload.id) == note))
            continue
        removed += await _forget(runtime, note)
    return removed + await store_of(runtime).sweep_stray_chunks(grace)


async def panel(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID) -> dict[str, Any]:
    """What a declaration's pages show of its files: those the caller sees, whether it may attach one now, and the
    sites it may give a declaration's file (none for a provider of one site: its own is given)."""
    async with runtime.db.sessions() as session:
        loaded = await load(session, declaration_id)
        who = await standing_in(session, runtime, caller, loaded.activity)
        rows = await rows_of(session, declaration_id)
    require(who.sees_anything, OUT_OF_SCOPE)
    sites = {f.site_id: f.site_name for f in loaded.forms if f.site_id is not None}
    ordered = sorted(sites.items(), key=lambda item: item[1] or "")
    choices = [{"id": str(site), "nom": name} for site, name in ordered if rules.visible_to(who, site)]
    open_now = rules.may_attach(who) and lifecycle.State(loaded.declaration.state) in lifecycle.OPEN

    def removable(row: Attachment) -> bool:  # the rule ``remove`` checks
        return open_now and (who.approbateur or (caller.user_id is not None and row.uploaded_by == caller.user_id))

    return {
        "pieces": [
            view(row) | {"taille_libelle": rules.size_label(row.size), "retirable": removable(row)}
            for row in rows
            if rules.visible_to(who, row.site_id)
        ],
        "joindre": open_now,
        "lieux": choices if who.full_view or len(choices) > 1 else [],
        "toute_activite": who.full_view,
        "limite": rules.megabytes(runtime.settings.attachment_max_bytes),
        "types": ", ".join(rules.KINDS[k].label for k in runtime.settings.attachment_types if k in rules.KINDS),
    }


def sweeper(runtime: ServiceRuntime):
    """The periodic job: ``sweep``, logging what it removed."""

    async def sweep_attachments() -> None:
        removed = await sweep(runtime)
        if removed:
            log.info("attachment sweep: %d object(s) left by uploads cut short removed", removed)

    return sweep_attachments
