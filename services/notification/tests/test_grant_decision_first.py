"""A decision or an end that overtakes its grant is kept and notified, never dead-lettered (issue 15, point 2)."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa

from afas_notification.adapters.tables import GrantCopy, Message
from afas_notification.application import grants
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.habilitation import GrantEndedV1, GrantValidatedV1
from afas_shared.read_models.grant_lines import NOT_YET_GRANTED
from afas_shared.testing.fixtures import running
from afas_shared.testing.grants import pending_approbateur_grant


async def _apply(runtime, handler, event) -> None:
    envelope = Envelope.wrap(event, subject=str(event.grant_id), aggregate_version=1, correlation_id="test")
    async with runtime.unit_of_work() as uow:
        await handler(runtime, uow, envelope)


async def test_decisions_before_the_grant_are_kept_and_notified(make_settings):
    grant, user, activity = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    granted = pending_approbateur_grant(grant, user, activity)
    async with running(make_settings("notification")) as runtime:
        await _apply(
            runtime, grants.on_grant_validated, GrantValidatedV1(grant_id=grant, user_id=user, activity_id=activity)
        )
        async with runtime.db.sessions() as session:
            shell = await session.get(GrantCopy, grant)
        assert shell.start_date == NOT_YET_GRANTED  # names nobody for reminders yet
        await _apply(runtime, grants.on_role_granted, granted)
        ended = GrantEndedV1(
            grant_id=grant, user_id=user, activity_id=activity, end_date=date(2026, 6, 30), reason="ended"
        )
        await _apply(runtime, grants.on_grant_ended, ended)
        async with runtime.db.sessions() as session:
            line = await session.get(GrantCopy, grant)
            kinds = sorted((await session.execute(sa.select(Message.kind).where(Message.user_id == user))).scalars())
    assert (line.role, line.start_date, line.validation, line.ended) == (
        "approbateur",
        date(2026, 1, 1),
        "validated",
        True,
    )
    assert kinds == ["approbateur_valide", "role_fin"]  # no "pending" notice after the validation
