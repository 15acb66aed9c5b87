"""The in-app inbox, the user's mail preferences, and the operators' view of undeliverable mail.

Every question is answered for the forwarded caller only: a user reads and marks its own messages, never anyone
else's (another user's message id answers "not found", exactly like an unknown one).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from afas_notification.adapters.tables import Message, Preference
from afas_notification.domain import templates
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.rpc.notification import PreferencesRequestV1
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime


def _user(caller: ForwardedCaller) -> uuid.UUID:
    if caller.user_id is None:
        raise RpcFailure("forbidden", "La messagerie est réservée aux utilisateurs connectés.")
    return caller.user_id


def _mine(user_id: uuid.UUID) -> sa.ColumnElement[bool]:
    return sa.and_(Message.user_id == user_id, Message.inbox)


def view(m: Message, first_name: str | None = None) -> dict[str, Any]:
    return {
        "id": str(m.id),
        "type": m.kind,
        "categorie": m.category,
        "objet": m.subject,
        # A message queued before its user was known here greets by the first name known now
        "texte": templates.with_first_name(m.body_text, "", first_name)[0],
        "lien": m.link,
        "declaration_id": str(m.declaration_id) if m.declaration_id else None,
        "recu_le": m.created_at.isoformat(),
        "lu": m.read_at is not None,
    }


async def list_messages(
    runtime: ServiceRuntime, caller: ForwardedCaller, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    query = sa.select(Message).where(_mine(_user(caller)))
    if unread_only:
        query = query.where(Message.read_at.is_(None))
    query = query.order_by(Message.created_at.desc(), Message.id).limit(min(max(limit, 1), 200)).offset(max(offset, 0))
    async with runtime.db.sessions() as session:
        user = await session.get(KnownUser, caller.user_id)
        return [view(m, user.first_name if user else None) for m in (await session.execute(query)).scalars()]


async def unread(runtime: ServiceRuntime, caller: ForwardedCaller) -> dict[str, int]:
    query = sa.select(sa.func.count()).select_from(Message).where(_mine(_user(caller)), Message.read_at.is_(None))
    async with runtime.db.sessions() as session:
        return {"non_lues": (await session.execute(query)).scalar_one()}


async def mark_read(runtime: ServiceRuntime, caller: ForwardedCaller, message_id: uuid.UUID | None) -> dict[str, int]:
    """One message (``message_id``) or all of the caller's; returns how many changed."""
    condition = sa.and_(_mine(_user(caller)), Message.read_at.is_(None))
    if message_id is not None:
        async with runtime.db.sessions() as session:
            owned = await session.execute(sa.select(Message.id).where(_mine(_user(caller)), Message.id == message_id))
            if owned.first() is None:
                raise RpcFailure("not_found", "Message introuvable.")
        condition = sa.and_(condition, Message.id == message_id)
    async with runtime.db.transaction() as session:
        result = await session.execute(
            sa.update(Message)
            .where(condition)
            .values(read_at=runtime.clock.now())
            .execution_options(synchronize_session=False)
        )
    return {"marques": result.rowcount}


# --- preferences ---------------------------------------------------------------------------------------------------


def preference_view(p: Preference | None) -> dict[str, Any]:
    return {
        "rappels_par_email": p.email_reminders if p else True,
        "avis_par_email": p.email_notices if p else True,
        "securite_par_email": True,  # activation, reset and password-change mails cannot be switched off
    }


async def preferences(runtime: ServiceRuntime, caller: ForwardedCaller) -> dict[str, Any]:
    async with runtime.db.sessions() as session:
        return preference_view(await session.get(Preference, _user(caller)))


async def set_preferences(
    runtime: ServiceRuntime, caller: ForwardedCaller, wanted: PreferencesRequestV1
) -> dict[str, Any]:
    """The preferences ``wanted`` gives change; the others keep their value."""
    user_id = _user(caller)
    if wanted.security_mails is False:
        raise RpcFailure(
            "invalid",
            "Les messages de sécurité (activation, mot de passe) ne peuvent pas être désactivés.",
            "securite_par_email",
        )
    async with runtime.db.transaction() as session:
        row = await session.get(Preference, user_id)
        if row is None:
            row = Preference(user_id=user_id, updated_at=runtime.clock.now())
            session.add(row)
        if wanted.email_reminders is not None:
            row.email_reminders = wanted.email_reminders
        if wanted.email_notices is not None:
            row.email_notices = wanted.email_notices
        row.updated_at = runtime.clock.now()
        return preference_view(row)


# --- operators -----------------------------------------------------------------------------------------------------


def _operator(caller: ForwardedCaller) -> None:
    if caller.kind != "operator":
        raise RpcFailure("forbidden", "Réservé à l'exploitation de la plateforme.")


def undeliverable_view(m: Message) -> dict[str, Any]:
    return {
        "id": str(m.id),
        "type": m.kind,
        "destinataire_id": str(m.user_id) if m.user_id else None,
        "objet": m.subject,
        "tentatives": m.attempts,
        "derniere_erreur": m.last_error,
        "cree_le": m.created_at.isoformat(),
        "message_id": m.message_id,
    }


async def undeliverable(runtime: ServiceRuntime, caller: ForwardedCaller) -> list[dict[str, Any]]:
    _operator(caller)
    query = sa.select(Message).where(Message.mail_state == "undeliverable").order_by(Message.created_at)
    async with runtime.db.sessions() as session:
        return [undeliverable_view(m) for m in (await session.execute(query)).scalars()]


async def retry_undeliverable(runtime: ServiceRuntime, caller: ForwardedCaller, message_id: uuid.UUID) -> dict:
    """Once the cause is fixed (server, address), an operator puts the message back in the queue."""
    _operator(caller)
    async with runtime.db.transaction() as session:
        result = await session.execute(
            sa.update(Message)
            .where(Message.id == message_id, Message.mail_state == "undeliverable")
            .values(mail_state="pending", attempts=0, next_attempt_at=runtime.clock.now())
            .execution_options(synchronize_session=False)
        )
    if result.rowcount != 1:
        raise RpcFailure("not_found", "Aucun message non distribué avec cet identifiant.")
    return {"id": str(message_id), "etat": "a_renvoyer"}
