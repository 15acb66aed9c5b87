"""The user directory: each service's own copy of the users identity announced.

Habilitation needs it to grant roles, the gateway to show names, notification to reach people.
Each service keeps the table in its own database (created by its own migrations with
``create_user_directory_table``, with ``early_events.create_early_event_table`` for the updates that overtake a
creation); none reads another's. A service whose needs diverge grows its
own model instead of bending this one.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from alembic import op
from fastapi import APIRouter
from sqlmodel import Field, SQLModel

from afas_shared.auth.caller import forwarded_caller
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import UserCreatedV1, UserUpdatedV1
from afas_shared.db.engine import Database
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models import early_events
from afas_shared.read_models.versioned import apply_versioned
from afas_shared.runtime import ServiceRuntime


class KnownUser(SQLModel, table=True):
    __tablename__ = "known_user"

    user_id: uuid.UUID = Field(primary_key=True)
    identifier: str = Field(max_length=9)
    last_name: str = Field(max_length=100)
    first_name: str = Field(max_length=100)
    email: str = Field(max_length=254)
    partner_id: uuid.UUID | None = None
    version: int


async def on_user_created(uow: UnitOfWork, envelope: Envelope[UserCreatedV1]) -> None:
    user = envelope.data
    values = {
        "user_id": user.user_id,
        "identifier": user.identifier,
        "last_name": user.last_name,
        "first_name": user.first_name,
        "email": str(user.email),
        "partner_id": user.partner_id,
    }
    await apply_versioned(uow.session, KnownUser, user.user_id, envelope.aggregate_version, values)
    # Updates that overtook the creation (each event type has its own consumer) apply now, newest last.
    await early_events.release(uow, _waiting_for(user.user_id), {UserUpdatedV1.subject(): on_user_updated})


async def on_user_updated(uow: UnitOfWork, envelope: Envelope[UserUpdatedV1]) -> None:
    """Name and mail; an update that overtook the creation is kept until the user arrives (never dead-lettered)."""
    user = envelope.data
    if await uow.session.get(KnownUser, user.user_id) is None:
        await early_events.keep(uow, envelope, _waiting_for(user.user_id))
        return
    values = {"last_name": user.last_name, "first_name": user.first_name, "email": str(user.email)}
    await apply_versioned(uow.session, KnownUser, user.user_id, envelope.aggregate_version, values)


def _waiting_for(user_id: uuid.UUID) -> str:
    return f"known_user:{user_id}"


async def list_known_users(db: Database) -> list[dict[str, Any]]:
    async with db.sessions() as session:
        query = sa.select(KnownUser).order_by(KnownUser.last_name, KnownUser.first_name)
        return [
            {
                "user_id": str(u.user_id),
                "identifier": u.identifier,
                "last_name": u.last_name,
                "first_name": u.first_name,
                "email": u.email,
            }
            for u in (await session.execute(query)).scalars()
        ]


def create_user_directory_table() -> None:
    """For a service's alembic revision; frozen here, never derived from the model."""
    op.create_table(
        "known_user",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("identifier", sa.String(9), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def attach(runtime: ServiceRuntime) -> None:
    """Feed this service's directory from identity's events; answer ``list_users`` and serve it internally."""
    runtime.consume(UserCreatedV1, on_user_created)
    runtime.consume(UserUpdatedV1, on_user_updated)
    early_events.watch(runtime)  # the directory keeps early updates: the ones whose user never came are reported

    async def users(payload: dict[str, Any]) -> dict[str, Any]:
        # Personal data of every user: for the platform operator only, whoever else reaches the bus.
        if forwarded_caller(payload).kind != "operator":
            raise RpcFailure("forbidden", "Réservé à l'opérateur de la plateforme.")
        return {"users": await list_known_users(runtime.db)}

    runtime.rpc("list_users", users)
    router = APIRouter(prefix="/internal/v1", tags=["annuaire"])

    @router.get("/users", summary="Utilisateurs connus du service (copie locale alimentée par identity)")
    async def known_users() -> list[dict[str, Any]]:
        return await list_known_users(runtime.db)

    runtime.include_router(router)
