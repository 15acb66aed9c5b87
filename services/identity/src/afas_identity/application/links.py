"""Single-use links sent by mail: account activation and password reset.

No secret leaves identity except in the URL handed to the notification service when it sends the mail:

- a link has a random, non-secret reference (``link_id``); its token is ``HMAC(link key, link_id)``, the link key
  being a random secret kept in identity's database only (table ``link_key``), so the same URL can be composed again
  whenever the mail is (re)sent, and links keep working across restarts;
- only the SHA-256 of the token is stored (``one_time_link.token_hash``): a copy of the table opens nothing;
- the events (``identity.activation_requested.v2`` / ``password_reset_requested.v2``) carry the reference, and
  ``mail_link`` (``identity.rpc.mail_link.v1``, for notification only) answers the URL of a link still usable;
- using a link, activating or changing a password ends every other outstanding link of the user.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afas_identity.adapters.tables import LinkKeyRow, OneTimeLink, UserAccount
from afas_identity.application.errors import invalid, not_found
from afas_shared.contracts.events.identity import (
    WITHDRAWN_SUBJECTS,
    ActivationRequestedV2,
    PasswordResetRequestedV2,
)
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime

EXPIRED = "Ce lien n'est plus valable : il a déjà servi ou a expiré. Demandez-en un nouveau."
PATHS = {"activation": "/activation", "reset": "/mot-de-passe/nouveau"}
KEY_NAME = "mail-links"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _stored_link_key(runtime: ServiceRuntime, session: AsyncSession) -> bytes | None:
    """The secret from which link tokens are derived, kept in identity's database; None before the first link."""
    key = runtime.state.get("link_key")
    if key is not None:
        return key
    row = await session.get(LinkKeyRow, KEY_NAME)
    if row is not None:
        runtime.state["link_key"] = bytes.fromhex(row.secret)
    return runtime.state.get("link_key")


async def _link_key(runtime: ServiceRuntime, session: AsyncSession) -> bytes:
    """The link secret, created with the first link, in the caller's transaction: a transaction of its own inside the
    caller's would wait for the caller's own write lock on SQLite (a unit of work takes it at its start)."""
    key = await _stored_link_key(runtime, session)
    if key is not None:
        return key
    # A concurrent caller (a replica) creating it first wins without an error, and both use its key; it is cached
    # only once read back as stored, by a later call.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    created = {"name": KEY_NAME, "secret": secrets.token_hex(32), "created_at": runtime.clock.now()}
    await session.execute(dialect.insert(LinkKeyRow).values(**created).on_conflict_do_nothing())
    stored = await session.scalar(sa.select(col(LinkKeyRow.secret)).where(col(LinkKeyRow.name) == KEY_NAME))
    return bytes.fromhex(cast(str, stored))  # there now: ours, or the one another transaction committed first


def _token(key: bytes, link_id: uuid.UUID) -> str:
    mac = hmac.new(key, f"afas-link:{link_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


async def _new(
    uow: UnitOfWork, runtime: ServiceRuntime, user: UserAccount, purpose: str, lifetime: timedelta
) -> tuple[uuid.UUID, Any]:
    link_id = uuid.uuid4()
    now = runtime.clock.now()
    row = OneTimeLink(
        token_hash=_digest(_token(await _link_key(runtime, uow.session), link_id)),
        user_id=user.id,
        purpose=purpose,
        created_at=now,
        expires_at=now + lifetime,
    )
    uow.session.add(row)
    return link_id, row.expires_at


async def send_activation(uow: UnitOfWork, runtime: ServiceRuntime, user: UserAccount) -> None:
    hours = runtime.settings.activation_link_hours
    link_id, expires = await _new(uow, runtime, user, "activation", timedelta(hours=hours))
    uow.publish(
        ActivationRequestedV2(
            link_id=link_id,
            user_id=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            expires_at=expires,
            identifier=user.identifier,
        ),
        subject=str(user.id),
        aggregate_version=user.version,
    )


async def send_reset(uow: UnitOfWork, runtime: ServiceRuntime, user: UserAccount) -> None:
    minutes = runtime.settings.reset_link_minutes
    link_id, expires = await _new(uow, runtime, user, "reset", timedelta(minutes=minutes))
    uow.publish(
        PasswordResetRequestedV2(
            link_id=link_id,
            user_id=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            expires_at=expires,
        ),
        subject=str(user.id),
        aggregate_version=user.version,
    )


async def mail_link(runtime: ServiceRuntime, link_id: uuid.UUID, purpose: str) -> dict[str, Any]:
    """The URL to mail for a link still usable (for the notification service, at send time; never stored there)."""
    if purpose not in PATHS:
        raise invalid("kind", "Type de lien inconnu.")
    async with runtime.db.sessions() as session:
        key = await _stored_link_key(runtime, session)  # none yet: no link was ever made, this one is unknown
        token = _token(key, link_id) if key is not None else ""
        link = await session.get(OneTimeLink, _digest(token)) if key is not None else None
    if link is None or link.purpose != purpose:
        raise not_found("Lien inconnu.")
    if link.used_at is not None or link.expires_at <= runtime.clock.now():
        raise invalid("link_id", EXPIRED)
    return {
        "url": f"{runtime.settings.public_url}{PATHS[purpose]}?jeton={token}",
        "expire_a": link.expires_at.isoformat(),
    }


async def end_outstanding(uow: UnitOfWork, runtime: ServiceRuntime, user_id: uuid.UUID) -> None:
    """Every link of the user still usable stops working (after a reset, an activation, a password change)."""
    now = runtime.clock.now()
    await uow.session.execute(
        sa.update(OneTimeLink)
        .where(OneTimeLink.user_id == user_id, OneTimeLink.used_at.is_(None), OneTimeLink.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


async def consume(uow: UnitOfWork, runtime: ServiceRuntime, token: str, purpose: str) -> UserAccount:
    """Use a link once: refused if unknown, already used, expired, or meant for something else.

    The user's other outstanding links end with it: an older reset link stops working once a newer one served.
    """
    now = runtime.clock.now()
    link = (
        (
            await uow.session.execute(
                sa.select(OneTimeLink).where(OneTimeLink.token_hash == _digest(token), OneTimeLink.purpose == purpose)
            )
        )
        .scalars()
        .first()
    )
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise invalid("jeton", EXPIRED)
    link.used_at = now
    await end_outstanding(uow, runtime, link.user_id)
    return await uow.session.get(UserAccount, link.user_id)


async def purge_withdrawn(runtime: ServiceRuntime) -> None:
    """Remove from identity's stream any message of the withdrawn contracts that carried the links themselves."""
    js = runtime.bus.jetstream()
    if js is None:
        return
    names = runtime.bus.names
    for subject in WITHDRAWN_SUBJECTS:
        await js.purge_stream(names.stream("identity"), subject=names.subject(subject))
