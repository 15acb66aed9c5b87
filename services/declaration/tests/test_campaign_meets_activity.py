"""Campaign opening and activity registration meet in either order; the reconciliation repairs what is left
(issue 15, point 2)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import sqlalchemy as sa

from afas_declaration.adapters.tables import Campaign, Declaration
from afas_declaration.application import activity_copy, campaign_opening, campaigns
from afas_shared.clock import paris_today
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.habilitation import ActivityRegisteredV1, SiteV1
from afas_shared.testing.fixtures import running

PARTNER = uuid.uuid4()


async def _register(runtime, family: str = "laep", closing: date | None = None) -> uuid.UUID:
    """What the consumer does with habilitation's ``activity_registered``."""
    activity_id = uuid.uuid4()
    event = ActivityRegisteredV1(
        activity_id=activity_id,
        partner_id=PARTNER,
        caf_code="080",
        family=family,
        nature="general",
        name=f"Activité {activity_id.hex[:6]}",
        site_mode="mono_lieu",
        sites=[SiteV1(site_id=uuid.uuid4(), name="Lieu")],
        opening_date=date(2020, 1, 1),
        closing_date=closing,
    )
    envelope = Envelope.wrap(event, subject=str(activity_id), aggregate_version=1, correlation_id="test")
    async with runtime.unit_of_work() as uow:
        await activity_copy.on_activity_state(uow, envelope)
    return activity_id


async def _campaign(runtime, family: str = "laep") -> uuid.UUID:
    today = paris_today(runtime.clock.now())
    campaign_id = uuid.uuid4()
    async with runtime.db.transaction() as session:
        session.add(
            Campaign(
                id=campaign_id,
                caf_code="080",
                family=family,
                exercice=today.year,
                declaration_type="reelle",
                form_version=campaigns.FORM_VERSION,
                opening_date=today - timedelta(days=1),
                deadline=today + timedelta(days=60),
            )
        )
    return campaign_id


async def _expected(runtime) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    async with runtime.db.sessions() as session:
        rows = await session.execute(
            sa.select(Declaration.campaign_id, Declaration.activity_id, sa.func.count()).group_by(
                Declaration.campaign_id, Declaration.activity_id
            )
        )
        return {(c, a): n for c, a, n in rows.all()}


async def test_either_order_ends_with_exactly_the_expected_declarations(make_settings):
    async with running(make_settings("declaration")) as runtime:
        before = await _register(runtime)  # registered, then the campaign opens
        first = await _campaign(runtime)
        assert await campaign_opening.open_due(runtime) == 1
        after = await _register(runtime)  # the campaign is open, then the activity arrives
        other_family = await _register(runtime, family="alsh")
        closed_long_ago = await _register(runtime, closing=date(2021, 12, 31))

        assert await _expected(runtime) == {(first, before): 1, (first, after): 1}
        assert await campaigns.reconcile(runtime) == 0
        assert other_family and closed_long_ago


async def test_registrations_during_the_opening_all_get_their_declaration(make_settings):
    async with running(make_settings("declaration")) as runtime:
        campaign = await _campaign(runtime)
        early = [await _register(runtime) for _ in range(3)]
        # The race of the fault drills: registrations consumed while the campaign opens.
        results = await asyncio.gather(
            *(_register(runtime) for _ in range(12)),
            campaign_opening.open_due(runtime),
            *(_register(runtime) for _ in range(12)),
        )
        activities = [*early, *(r for r in results if isinstance(r, uuid.UUID))]

        assert await _expected(runtime) == {(campaign, a): 1 for a in activities}  # none missing, none twice
        assert await campaigns.reconcile(runtime) == 0  # the locks left nothing to repair


async def test_reconciliation_repairs_a_gap_once_and_reports_it(make_settings, caplog, laep_copy):
    async with running(make_settings("declaration")) as runtime:
        campaign = await _campaign(runtime)
        assert await campaign_opening.open_due(runtime) == 1
        # What an older release left behind: a copy stored, its opened campaign never revisited.
        lost = uuid.uuid4()
        async with runtime.db.transaction() as session:
            session.add(laep_copy(lost, PARTNER, "Perdue"))
        counter = campaigns.REPAIRS.labels("expected_declaration")
        repaired_before = counter._value.get()

        assert await campaigns.reconcile(runtime) == 1
        assert await campaigns.reconcile(runtime) == 0  # idempotent: a second pass finds nothing
        assert await _expected(runtime) == {(campaign, lost): 1}
        assert counter._value.get() == repaired_before + 1
        assert any("reconciliation" in r.getMessage() and str(lost) in r.getMessage() for r in caplog.records)
