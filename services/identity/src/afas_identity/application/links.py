"""Single-use links sent by mail: account activation and password reset. Only a hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from afas_identity.adapters.tables import OneTimeLink, UserAccount
from afas_identity.application.errors import invalid
from afas_shared.contracts.events.identity import ActivationRequestedV1, PasswordResetRequestedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime

EXPIRED = "Ce lien n'est plus valable : il a déjà servi ou a expiré. Demandez-en un nouveau."


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new(uow: UnitOfWork, runtime: ServiceRuntime, user: UserAccount, purpose: str, lifetime: timedelta):
    token = secrets.token_urlsafe(32)
    now = runtime.clock.now()
    row = OneTimeLink(
        token_hash=_digest(token), user_id=user.id, purpose=purpose, created_at=now, expires_at=now + lifetime
    )
    uow.session.add(row)
    return token, row.expires_at


async def send_activation(uow: UnitOfWork, runtime: ServiceRuntime, user: UserAccount) -> None:
    token, expires = _new(uow, runtime, user, "activation", timedelta(hours=runtime.settings.activation_link_hours))
    uow.publish(
        ActivationRequestedV1(
            user_id=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            link=f"{runtime.settings.public_url}/activation?jeton={token}",
            expires_at=expires,
        ),
        subject=str(user.id),
        aggregate_version=user.version,
    )


async def send_reset(uow: UnitOfWork, runtime: ServiceRuntime, user: UserAccount) -> None:
    token, expires = _new(uow, runtime, user, "reset", timedelta(minutes=runtime.settings.reset_link_minutes))
    uow.publish(
        PasswordResetRequestedV1(
            user_id=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            link=f"{runtime.settings.public_url}/mot-de-passe/nouveau?jeton={token}",
            expires_at=expires,
        ),
        subject=str(user.id),
        aggregate_version=user.version,
    )


async def consume(uow: UnitOfWork, runtime: ServiceRuntime, token: str, purpose: str) -> UserAccount:
    """Use a link once: refused if unknown, already used, expired, or meant for something else."""
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
        raise invalid("token", EXPIRED)
    link.used_at = now
    return await uow.session.get(UserAccount, link.user_id)
