"""Campaign opening and activity registration meet in either order; the reconciliation repairs what is left
(issue 15, point 2)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from afas_declaration.adapters.tables import Campaign, Declaration, DeclarationForm
from afas_declaration.application import activity_copy, campaign_opening, campaigns
from afas_shared.clock import paris_today
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration import DeclarationExpectedV1
from afas_shared.contracts.events.habilitation import ActivityRegisteredV1, ActivityUpdatedV1, SiteV1
from afas_shared.db.engine import backend_name
from afas_shared.messaging.tables import OutboxRecord
from afas_shared.testing.fixtures import running

PARTNER = uuid.uuid4()


async def _register(
    runtime,
    family: str = "laep",
    closing: date | None = None,
    activity_id: uuid.UUID | None = None,
    version: int = 1,
    sites: int = 1,
) -> uuid.UUID:
    """What the consumer does with habilitation's ``activity_registered`` (or, from version 2, ``activity_updated``)."""
    activity_id = activity_id or uuid.uuid4()
    event = (ActivityRegisteredV1 if version == 1 else ActivityUpdatedV1)(
        activity_id=activity_id,
        partner_id=PARTNER,
        caf_code="080",
        family=family,
        nature="general",
        name=f"Activité {activity_id.hex[:6]}",
        site_mode="mono_lieu" if sites == 1 else "multi_lieux_antennes",
        sites=[SiteV1(site_id=uuid.uuid4(), name=f"Lieu {n}") for n in range(sites)],
        opening_date=date(2020, 1, 1),
        closing_date=closing,
    )
    envelope = Envelope.wrap(event, subject=str(activity_id), aggregate_version=version, correlation_id="test")
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


async def _announced(runtime) -> dict[uuid.UUID, int]:
    """``declaration_expected`` events in the outbox, per activity."""
    async with runtime.db.sessions() as session:
        payloads = await session.execute(
            sa.select(OutboxRecord.payload).where(OutboxRecord.subject == DeclarationExpectedV1.subject())
        )
        return dict(Counter(uuid.UUID(json.loads(p)["data"]["activity_id"]) for p in payloads.scalars()))


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


async def test_registrations_committed_while_a_batch_writes_get_their_declaration_exactly_once(
    make_settings, monkeypatch
):
    """PostgreSQL's real interleaving (SQLite runs one writer at a time: the test above covers it there): a
    registration commits between the batch's read and its writes, another waits on the batch's uncommitted row."""
    settings = make_settings("declaration")
    if backend_name(settings.database_url) != "postgresql":
        pytest.skip("SQLite serialises the writers: no registration can commit inside a batch")
    async with running(settings) as runtime:
        campaign = await _campaign(runtime)
        early = [await _register(runtime) for _ in range(3)] + [await _register(runtime, sites=2)]
        await campaign_opening.start_due(runtime)
        store = campaign_opening.store
        during: list[uuid.UUID] = []
        waiting: list[asyncio.Task] = []

        async def registrations_meet_the_batch(uow, prepared):
            if not during:  # the first batch read the early activities; their update and a new one commit now
                during.append(await _register(runtime, activity_id=early[0], version=2))
                during.append(await _register(runtime))
            created = await store(uow, prepared)
            # Inserted, not committed: this registration's insert of the same declaration waits for the batch
            waiting.append(asyncio.create_task(_register(runtime, activity_id=early[1], version=2)))
            await asyncio.sleep(0.1)
            return created

        monkeypatch.setattr(campaign_opening, "store", registrations_meet_the_batch)
        await campaign_opening.opener(runtime).run_pending()
        await asyncio.gather(*waiting)

        assert await _expected(runtime) == {(campaign, a): 1 for a in [*early, during[1]]}  # none missing, none twice
        assert await _announced(runtime) == {a: 1 for a in [*early, during[1]]}  # one event each
        assert await campaigns.reconcile(runtime) == 0
        async with runtime.db.sessions() as session:  # a multi-site activity: one activity form per site
            forms = await session.execute(
                sa.select(DeclarationForm.kind, DeclarationForm.site_name)
                .join(Declaration, Declaration.id == DeclarationForm.declaration_id)
                .where(Declaration.activity_id == early[3])
            )
            assert sorted(forms.all(), key=str) == [("activite", "Lieu 0"), ("activite", "Lieu 1"), ("financier", None)]
