"""Choosing a password: at activation, by the user, or through a reset link. Never sent anywhere."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from afas_identity.adapters.tables import LoginSession, UserAccount
from afas_identity.application import hashing, links, sessions
from afas_identity.application.errors import invalid, unauthorized
from afas_identity.domain.passwords import password_problems
from afas_shared.contracts.events.identity import PasswordChangedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime


def _check(user: UserAccount, password: str, confirmation: str) -> None:
    if password != confirmation:
        raise invalid("confirmation", "Les deux mots de passe saisis sont différents.")
    problems = password_problems(password, identifier=user.identifier, names=(user.last_name, user.first_name))
    if problems:
        raise invalid("mot_de_passe", " ".join(problems))


async def _set(uow: UnitOfWork, runtime: ServiceRuntime, user: UserAccount, password: str) -> None:
    user.password_hash = await hashing.hash_new(runtime, password)
    user.password_change_required = False
    await links.end_outstanding(uow, runtime, user.id)  # any other activation or reset link stops working
    uow.publish(
        PasswordChangedV1(user_id=user.id, email=user.email, changed_at=runtime.clock.now()),
        subject=str(user.id),
        aggregate_version=user.version,
    )


async def activate(runtime: ServiceRuntime, token: str, password: str, confirmation: str) -> dict[str, Any]:
    """First login: the new user chooses a password through the single-use link it was mailed."""
    async with runtime.unit_of_work() as uow:
        user = await links.consume(uow, runtime, token, "activation")
        _check(user, password, confirmation)
        if user.status == "en_attente":
            user.status = "actif"
        await _set(uow, runtime, user, password)
    return {"identifiant": user.identifier}


async def change(
    runtime: ServiceRuntime, user_id: uuid.UUID, session_id: uuid.UUID, current: str, new: str, confirmation: str
) -> dict[str, Any]:
    async with runtime.db.sessions() as session:
        user = await session.get(UserAccount, user_id)
    if user is None or not await hashing.verify(user.password_hash or "", current):
        raise invalid("mot_de_passe_actuel", "Le mot de passe actuel est incorrect.")
    _check(user, new, confirmation)
    if new == current:
        raise invalid("mot_de_passe", "Le nouveau mot de passe doit être différent de l'actuel.")
    async with runtime.unit_of_work() as uow:
        user = await uow.session.get(UserAccount, user_id)
        await _set(uow, runtime, user, new)
        # Everywhere else the old password was used is signed out; this session goes on.
        await sessions.revoke_all(uow, runtime, user.id, "password_change", keep=session_id)
    return await sessions.refresh(runtime, session_id)


async def request_reset(runtime: ServiceRuntime, identifier: str) -> None:
    """Same answer whether the identifier exists or not; a link goes only to an active account's mail."""
    async with runtime.unit_of_work() as uow:
        user = (
            (await uow.session.execute(sa.select(UserAccount).where(UserAccount.identifier == identifier.strip())))
            .scalars()
            .first()
        )
        if user is not None and user.status == "actif":
            await links.send_reset(uow, runtime, user)


async def reset(runtime: ServiceRuntime, token: str, password: str, confirmation: str) -> dict[str, Any]:
    async with runtime.unit_of_work() as uow:
        user = await links.consume(uow, runtime, token, "reset")
        if user.status != "actif":
            raise unauthorized("Votre compte n'est pas actif. Contactez votre Caf.")
        _check(user, password, confirmation)
        await _set(uow, runtime, user, password)
        await sessions.revoke_all(uow, runtime, user.id, "password_change")
    return {"identifiant": user.identifier}


async def open_session_ids(runtime: ServiceRuntime, user_id: uuid.UUID) -> list[str]:
    async with runtime.db.sessions() as session:
        rows = await session.execute(
            sa.select(LoginSession.id).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        )
        return [str(i) for i in rows.scalars()]
