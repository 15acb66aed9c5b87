"""Use cases on user accounts."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from pydantic import BaseModel, EmailStr, Field

from afas_identity.adapters.tables import UserAccount
from afas_identity.domain.users import NewUser
from afas_shared.runtime import ServiceRuntime


class CreateUser(BaseModel):
    last_name: str = Field(min_length=1, max_length=100)
    first_name: str = Field(min_length=1, max_length=100)
    email: EmailStr
    partner_id: str | None = None


class UserView(BaseModel):
    id: str
    identifier: str
    last_name: str
    first_name: str
    email: str


class DuplicateEmail(ValueError):
    pass


def _view(row: UserAccount) -> UserView:
    return UserView(
        id=str(row.id), identifier=row.identifier, last_name=row.last_name, first_name=row.first_name, email=row.email
    )


async def create_user(runtime: ServiceRuntime, command: CreateUser) -> UserView:
    user = NewUser(
        command.last_name,
        command.first_name,
        str(command.email).lower(),
        partner_id=None if command.partner_id is None else uuid.UUID(command.partner_id),
    )
    async with runtime.unit_of_work() as uow:
        taken = await uow.session.execute(sa.select(UserAccount.id).where(UserAccount.email == user.email))
        if taken.first() is not None:
            raise DuplicateEmail(f"L'adresse {user.email} est déjà utilisée par un autre compte.")
        row = UserAccount(
            id=user.id,
            identifier=user.identifier,
            last_name=user.last_name,
            first_name=user.first_name,
            email=user.email,
            partner_id=user.partner_id,
            version=user.version,
        )
        uow.session.add(row)
        uow.publish(user.created_event(), subject=str(user.id), aggregate_version=user.version)
    return _view(row)


async def list_users(runtime: ServiceRuntime) -> list[UserView]:
    async with runtime.db.sessions() as session:
        rows = (await session.execute(sa.select(UserAccount).order_by(UserAccount.created_at))).scalars()
        return [_view(r) for r in rows]
