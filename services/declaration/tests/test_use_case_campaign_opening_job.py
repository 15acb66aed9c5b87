"""A campaign's opening as a background job, at the use-case level: it runs in batches of the settings' size, each
committed with its events; its progress is visible while it runs; a crash mid-way loses the batch under way only,
and the job resumes from its last committed batch without creating any declaration twice."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from afas_declaration.adapters.tables import Declaration
from afas_declaration.application import campaign_opening, campaigns
from afas_declaration.application.errors import Forbidden
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.events.declaration import DeclarationExpectedV1
from afas_shared.contracts.events.habilitation import ActivityUpdatedV1, SiteV1


class Crash(Exception):
    """The process dying between a batch's writes and its commit."""


async def _declarations(world, campaign_id: str) -> dict[uuid.UUID, int]:
    async with world.runtime.db.sessions() as session:
        rows = await session.execute(
            sa.select(Declaration.activity_id, sa.func.count())
            .where(Declaration.campaign_id == uuid.UUID(campaign_id))
            .group_by(Declaration.activity_id)
        )
        return dict(rows.all())


async def test_an_opening_crashed_mid_way_resumes_from_its_last_batch_and_creates_nothing_twice(world, monkeypatch):
    await world.register_partner()
    activities = [await world.activity("clas", "general", f"CLAS n° {n}") for n in range(5)]
    runner = campaign_opening.opener(world.runtime)
    runner.batch_size = 2  # as campaign_opening_batch_size=2 in the settings: five activities make three batches
    campaign = await world.campaign("clas", opens_in=3)
    world.declaration.clock.advance(timedelta(days=3))
    [job_id] = (await campaign_opening.start_due(world.runtime)).values()

    calls = 0
    advance = campaign_opening.advance

    async def dies_in_the_second_batch(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Crash
        await advance(*args, **kwargs)

    monkeypatch.setattr(campaign_opening, "advance", dies_in_the_second_batch)
    with pytest.raises(Crash):
        await runner.run_pending()

    halfway = await campaign_opening.job_view(world.runtime, world.agent, job_id)
    assert (halfway["etat"], halfway["total"], halfway["traitees"], halfway["creees"]) == ("en_cours", 5, 2, 2)
    assert len(await _declarations(world, campaign["id"])) == 2  # the second batch rolled back with its events
    assert len(await world.published(DeclarationExpectedV1.subject())) == 2
    [listed] = await campaigns.visible_to(world.runtime, world.agent)
    assert (listed["ouverte"], listed["etat"], listed["suivi"]) == (False, "en_cours", f"/api/v1/jobs/{job_id}")
    # An activity registered while the opening is under way joins the campaign at once.
    late = await world.activity("clas", "general", "CLAS arrivé pendant l'ouverture")

    assert await runner.run_pending() >= 2  # the restart: from the second batch on
    done = await campaign_opening.job_view(world.runtime, world.agent, job_id)
    # The late activity is the job's to read when its id falls after the cursor, else the registration's alone.
    assert (done["etat"], done["refusees"]) == ("terminee", []) and done["traitees"] in (5, 6)
    assert await _declarations(world, campaign["id"]) == {a.id: 1 for a in [*activities, late]}  # each exactly once
    expected = await world.published(DeclarationExpectedV1.subject())
    assert sorted(str(e.data.activity_id) for e in expected) == sorted(str(a.id) for a in [*activities, late])
    assert (await campaigns.visible_to(world.runtime, world.agent))[0]["etat"] == "terminee"
    assert await campaigns.reconcile(world.runtime) == 0


async def test_a_campaign_that_does_not_open_within_the_wait_answers_with_its_job_to_follow(world):
    await world.register_partner()
    for n in range(3):
        await world.activity("rpe", "general", f"RPE n° {n}")
    world.runtime.settings.campaign_opening_wait_seconds = 0  # answer at once, whatever the job's size
    runner = campaign_opening.opener(world.runtime)
    runner.batch_size = 1
    today = world.declaration.clock.now().date()
    data = campaigns.CampaignInput(
        family="rpe",
        exercice=2026,
        declaration_type="previsionnelle",
        opening_date=today,
        deadline=today + timedelta(days=60),
    )
    created = await campaigns.create(world.runtime, world.agent, data)
    assert created["ouverte"] is False and created["etat"] == "en_cours"
    assert created["suivi"] == f"/api/v1/jobs/{created['job_id']}"

    await runner.run_pending()
    job = await campaign_opening.job_view(world.runtime, world.agent, uuid.UUID(created["job_id"]))
    assert (job["etat"], job["total"], job["creees"], job["libelle"]) == ("terminee", 3, 3, "Ouverture de la campagne")
    other_caf = ForwardedCaller(kind="caf", caf_code="059", caf_roles=frozenset({"parametrage"}))
    with pytest.raises(Forbidden):
        await campaign_opening.job_view(world.runtime, other_caf, uuid.UUID(created["job_id"]))


async def test_a_declaration_a_registration_created_first_is_neither_created_nor_announced_again_by_the_batch(world):
    await world.register_partner()
    activities = [await world.activity("laep", "general", f"LAEP n° {n}") for n in range(3)]
    campaign = await world.campaign("laep", opens_in=3)
    world.declaration.clock.advance(timedelta(days=3))
    [job_id] = (await campaign_opening.start_due(world.runtime)).values()
    # The job started, no batch ran yet: an update of the second activity joins the campaign itself (the batch
    # reads that activity too, as one that read it before the registration committed would)
    first = activities[1]
    update = ActivityUpdatedV1(
        activity_id=first.id,
        partner_id=world.partner_id,
        caf_code="080",
        family="laep",
        nature="general",
        name=first.name,
        site_mode="mono_lieu",
        sites=[SiteV1(site_id=first.site_ids[0], name="Lieu principal")],
        opening_date=date(2020, 1, 1),
    )
    await world._handle(update, first.id, version=2)
    assert await _declarations(world, campaign["id"]) == {first.id: 1}

    await campaign_opening.opener(world.runtime).run_pending()

    job = await campaign_opening.job_view(world.runtime, world.agent, job_id)
    assert (job["etat"], job["traitees"], job["creees"]) == ("terminee", 3, 2)  # the batch inserted the other two
    assert await _declarations(world, campaign["id"]) == {a.id: 1 for a in activities}
    expected = await world.published(DeclarationExpectedV1.subject())
    assert sorted(str(e.data.activity_id) for e in expected) == sorted(str(a.id) for a in activities)  # once each
