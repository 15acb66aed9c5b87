"""Keeps the user_profile read model in step with identity's events."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import UserProfile
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.db.read_models import apply_versioned
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime


async def on_user_created(uow: UnitOfWork, envelope: Envelope[UserCreatedV1]) -> None:
    user = envelope.data
    await apply_versioned(
        uow.session,
        UserProfile,
        user.user_id,
        envelope.aggregate_version,
        {
            "user_id": user.user_id,
            "identifier": user.identifier,
            "last_name": user.last_name,
            "first_name": user.first_name,
            "email": str(user.email),
            "partner_id": user.partner_id,
        },
    )


async def list_users(runtime: ServiceRuntime) -> list[dict[str, Any]]:
    async with runtime.db.sessions() as session:
        rows = (
            await session.execute(sa.select(UserProfile).order_by(UserProfile.last_name, UserProfile.first_name))
        ).scalars()
        return [
            {
                "user_id": str(r.user_id),
                "identifier": r.identifier,
                "last_name": r.last_name,
                "first_name": r.first_name,
                "email": r.email,
            }
            for r in rows
        ]
