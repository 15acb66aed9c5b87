"""A decision or an end that overtakes its grant is kept, never lost nor dead-lettered (issue 15, point 2)."""

from __future__ import annotations

import uuid
from datetime import date

from afas_declaration.application import permissions
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.habilitation import GrantEndedV1, GrantValidatedV1
from afas_shared.testing.fixtures import running
from afas_shared.testing.grants import pending_approbateur_grant

TODAY = date(2026, 3, 2)


async def _apply(runtime, handler, event, version: int = 1) -> None:
    envelope = Envelope.wrap(event, subject=str(event.grant_id), aggregate_version=version, correlation_id="test")
    async with runtime.unit_of_work() as uow:
        await handler(uow, envelope)


async def test_a_validation_before_its_grant_is_kept_and_acts_once_the_grant_arrives(make_settings):
    grant, user, activity = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with running(make_settings("declaration")) as runtime:

        async def may() -> bool:
            return await permissions.may(runtime.db, user, "transmettre", activity, None, TODAY)

        await _apply(
            runtime,
            permissions.on_grant_validated,
            GrantValidatedV1(grant_id=grant, user_id=user, activity_id=activity),
        )
        assert not await may()  # known by its decision only: acts for nothing yet
        assert await permissions.permissions_of(runtime.db, user, TODAY) == []
        await _apply(runtime, permissions.on_role_granted, pending_approbateur_grant(grant, user, activity))
        assert await may()  # the grant, validated by the Caf
        # a replay: no change
        await _apply(runtime, permissions.on_role_granted, pending_approbateur_grant(grant, user, activity))
        assert await may()


async def test_an_end_before_its_grant_keeps_the_line_from_ever_acting(make_settings):
    grant, user, activity = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with running(make_settings("declaration")) as runtime:
        ended = GrantEndedV1(grant_id=grant, user_id=user, activity_id=activity, end_date=TODAY, reason="ended")
        await _apply(
            runtime,
            permissions.on_grant_validated,
            GrantValidatedV1(grant_id=grant, user_id=user, activity_id=activity),
        )
        await _apply(runtime, permissions.on_grant_ended, ended)
        await _apply(runtime, permissions.on_role_granted, pending_approbateur_grant(grant, user, activity))
        assert not await permissions.may(runtime.db, user, "transmettre", activity, None, TODAY)
        assert await permissions.permissions_of(runtime.db, user, TODAY) == []
