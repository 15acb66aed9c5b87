"""Writing a message: its inbox entry and its e-mail, once per idempotency key, in the caller's transaction.

Whoever decides that someone must be told (a consumer, the reminder planner) calls ``enqueue`` inside the same
transaction that records the decision: both commit or neither does, and the unique key absorbs any replay.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from afas_notification.adapters.tables import Message, Preference
from afas_notification.domain.reminders import message_id
from afas_notification.domain.templates import NAME_PLACEHOLDER, RAPPEL, SECURITE, Rendered
from afas_shared.read_models.user_directory import KnownUser


async def mail_wanted(session: AsyncSession, user_id: uuid.UUID | None, category: str) -> bool:
    """Security mails always; reminders and notices unless the user switched them off."""
    if category == SECURITE or user_id is None:
        return True
    return wanted(await session.get(Preference, user_id), category)


def wanted(preference: Preference | None, category: str) -> bool:
    """``mail_wanted`` from the user's preference already read (a batch reads its users' at once)."""
    if category == SECURITE or preference is None:
        return True
    return preference.email_reminders if category == RAPPEL else preference.email_notices


async def first_name(session: AsyncSession, user_id: uuid.UUID) -> str:
    """The user's first name, or a placeholder resolved when the mail is sent and the inbox read: identity's
    announcement of the user may come after the event that calls for the message (a grant before its user)."""
    user = await session.get(KnownUser, user_id)
    return user.first_name if user else NAME_PLACEHOLDER


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    rendered: Rendered,
    now: datetime,
    sender: str,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
    declaration_id: uuid.UUID | None = None,
    link: str | None = None,
    inbox: bool = True,
    mail_link: str | None = None,
    mail: bool | None = None,
) -> bool:
    """Insert the message unless its key exists; True when it was new. ``mail``: whether the user wants it by mail,
    when the caller knows already (``wanted``)."""
    if mail is None:
        mail = await mail_wanted(session, user_id, rendered.category)
    values = row(
        key=key,
        kind=kind,
        rendered=rendered,
        now=now,
        sender=sender,
        mail=mail,
        user_id=user_id,
        email=email,
        declaration_id=declaration_id,
        link=link,
        inbox=inbox,
        mail_link=mail_link,
    )
    return await insert_rows(session, [values]) == 1


def row(
    *,
    key: str,
    kind: str,
    rendered: Rendered,
    now: datetime,
    sender: str,
    mail: bool,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
    declaration_id: uuid.UUID | None = None,
    link: str | None = None,
    inbox: bool = True,
    mail_link: str | None = None,
) -> dict[str, Any]:
    """The ``message`` row of ``enqueue``, for ``insert_rows``."""
    return {
        "id": uuid.uuid4(),
        "key": key,
        "user_id": user_id,
        "email": email,
        "kind": kind,
        "category": rendered.category,
        "declaration_id": declaration_id,
        "subject": rendered.subject[:300],
        "body_text": rendered.text,
        "body_html": rendered.html,
        "link": link,
        "mail_link": mail_link,
        "created_at": now,
        "inbox": inbox and user_id is not None,
        "mail_state": "pending" if mail else "none",
        "attempts": 0,
        "next_attempt_at": now if mail else None,
        "message_id": message_id(key, sender),
    }


async def insert_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert the messages whose key is new, by one statement (SQLAlchemy pages it, a thousand rows a page, so a
    large batch stays within the drivers' bound parameters); how many were."""
    if not rows:
        return 0
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Message).on_conflict_do_nothing(index_elements=["key"]).returning(Message.id)
    return len((await session.execute(stmt, rows)).all())


async def cancel_pending_reminders(session: AsyncSession, declaration_id: uuid.UUID) -> None:
    """A reminder still waiting for the mail server is pointless once the declaration left."""
    await cancel_pending_reminders_of(session, [declaration_id])


async def cancel_pending_reminders_of(session: AsyncSession, declaration_ids: Collection[uuid.UUID]) -> None:
    """``cancel_pending_reminders`` for several declarations, in one statement."""
    if not declaration_ids:
        return
    await session.execute(
        sa.update(Message)
        .where(Message.declaration_id.in_(declaration_ids), Message.category == RAPPEL, Message.mail_state == "pending")
        .values(mail_state="cancelled", next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
