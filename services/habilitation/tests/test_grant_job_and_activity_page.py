"""A grant over many activities as a background job, and the catalogue read a page at a time (issue 16)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from afas_habilitation.adapters.tables import AccountState, Activity, DeclarerMembership
from afas_habilitation.application import activity_page, grant_jobs, jobs
from afas_shared.contracts.rpc.habilitation import GrantRequestV1
from afas_shared.contracts.rpc.habilitation_jobs import ActivityPageRequestV1
from afas_shared.messaging.rpc import RpcFailure
from services.habilitation.tests.job_harness import (
    OPERATOR,
    add_partner,
    add_user,
    agent,
    build,
    events,
)


@pytest.fixture
async def runtime(template, tmp_path):
    built = build(template, tmp_path, grant_job_threshold=3, grant_batch_size=2, job_wait_seconds=0, list_page_size=3)
    yield built
    await built.db.dispose()


async def add_activities(runtime, partner_id: uuid.UUID, names: list[str], caf: str = "080") -> list[uuid.UUID]:
    ids = []
    async with runtime.unit_of_work() as uow:
        for name in names:
            ids.append(uuid.uuid4())
            uow.session.add(
                Activity(
                    id=ids[-1],
                    partner_id=partner_id,
                    caf_code=caf,
                    family="laep",
                    nature="general",
                    name=name,
                    site_mode="mono_lieu",
                    opening_date=date(2024, 1, 1),
                )
            )
    return ids


async def a_declarer(runtime, partner_id: uuid.UUID) -> uuid.UUID:
    user_id = await add_user(runtime, partner_id)
    async with runtime.unit_of_work() as uow:
        uow.session.add(DeclarerMembership(user_id=user_id, partner_id=partner_id, start_date=date(2020, 1, 1)))
    return user_id


async def test_a_grant_over_more_activities_than_the_threshold_is_a_job_giving_each_line_once(runtime):
    partner = await add_partner(runtime)
    other = await add_partner(runtime, siret="11111111111111")
    ids = await add_activities(runtime, partner, [f"LAEP {n}" for n in range(5)])
    [foreign] = await add_activities(runtime, other, ["LAEP d'ailleurs"])
    user = await a_declarer(runtime, partner)
    me = agent()
    scope = [{"activite_id": str(i)} for i in [*ids[:2], foreign, *ids[2:]]]
    request = GrantRequestV1.model_validate({"utilisateur_id": str(user), "role": "fdf", "perimetre": scope})
    answer = await grant_jobs.grant_or_start(runtime, me, request)
    job_id = uuid.UUID(answer["traitement"]["job_id"])
    assert answer["traitement"]["etat"] == "en_cours" and answer["traitement"]["total"] == 6
    assert await grant_jobs.granter(runtime).run_pending() == 3  # six scope items by two
    report = await jobs.view(runtime, me, job_id)
    assert (report["etat"], report["traitees"], report["creees"]) == ("terminee", 6, 5)
    [refused] = report["refusees"]
    assert refused["ligne"] == 3 and "LAEP d'ailleurs" in refused["motif"]
    granted = await events(runtime, "habilitation.role_granted.v1")
    assert sorted(e["activity_id"] for e in granted) == sorted(str(i) for i in ids)
    assert len({e["group_id"] for e in granted}) == 1  # one grant, its lines given batch after batch


async def test_all_the_partners_activities_as_a_job_and_a_small_grant_at_once(runtime):
    partner = await add_partner(runtime)
    ids = await add_activities(runtime, partner, [f"LAEP {n}" for n in range(4)])
    user = await a_declarer(runtime, partner)
    everything = GrantRequestV1.model_validate({"utilisateur_id": str(user), "role": "fdf", "toutes_activites": True})
    answer = await grant_jobs.grant_or_start(runtime, OPERATOR, everything)
    await grant_jobs.granter(runtime).run_pending()
    report = await jobs.view(runtime, OPERATOR, uuid.UUID(answer["traitement"]["job_id"]))
    assert (report["total"], report["creees"], report["refusees"]) == (4, 4, [])
    other = await a_declarer(runtime, partner)
    small = GrantRequestV1.model_validate(
        {"utilisateur_id": str(other), "role": "fdf", "perimetre": [{"activite_id": str(ids[0])}]}
    )
    lines = (await grant_jobs.grant_or_start(runtime, OPERATOR, small))["lignes"]
    assert [line["activite_id"] for line in lines] == [str(ids[0])]


async def test_who_may_not_grant_is_refused_at_once_and_a_barred_account_stops_the_job(runtime):
    partner = await add_partner(runtime)
    ids = await add_activities(runtime, partner, [f"LAEP {n}" for n in range(6)])
    user = await a_declarer(runtime, partner)
    request = GrantRequestV1.model_validate(
        {"utilisateur_id": str(user), "role": "fdf", "perimetre": [{"activite_id": str(i)} for i in ids]}
    )
    with pytest.raises(RpcFailure) as refused:
        await grant_jobs.grant_or_start(runtime, agent(caf="060"), request)
    assert refused.value.code == "forbidden"
    answer = await grant_jobs.grant_or_start(runtime, OPERATOR, request)
    job_id = uuid.UUID(answer["traitement"]["job_id"])
    assert await grant_jobs.grant_batch(runtime, job_id, 2)
    async with runtime.unit_of_work() as uow:
        uow.session.add(AccountState(user_id=user, state="suspendu", version=2))
    assert not await grant_jobs.grant_batch(runtime, job_id, 2)
    report = await jobs.view(runtime, OPERATOR, job_id)
    assert (report["etat"], report["creees"]) == ("terminee", 2)
    assert report["refusees"][0]["motif"].startswith("Traitement arrêté : Un compte suspendu")


async def test_the_catalogue_a_page_at_a_time_forward_and_back_within_the_callers_caf(runtime):
    partner = await add_partner(runtime)
    names = ["Epsilon", "Alpha", "Delta", "Beta", "Gamma", "Alpha"]  # two of the same name: the id decides
    await add_activities(runtime, partner, names)
    elsewhere = await add_partner(runtime, siret="11111111111111", caf="060")
    await add_activities(runtime, elsewhere, ["Aaa d'une autre Caf"], caf="060")
    me, seen, cursor = agent(), [], None
    while True:
        page = await activity_page.page(runtime, me, ActivityPageRequestV1.model_validate({"curseur": cursor}))
        assert page["total"] == 6
        seen.append([a["nom"] for a in page["elements"]])
        if page["curseur_suivant"] is None:
            break
        cursor = page["curseur_suivant"]
    assert seen == [["Alpha", "Alpha", "Beta"], ["Delta", "Epsilon", "Gamma"]]
    assert (page["debut"], page["fin"]) == (4, 6)
    back = await activity_page.page(
        runtime, me, ActivityPageRequestV1.model_validate({"curseur": page["curseur_precedent"]})
    )
    assert ([a["nom"] for a in back["elements"]], back["debut"], back["curseur_precedent"]) == (
        ["Alpha", "Alpha", "Beta"],
        1,
        None,
    )
    everyone = await activity_page.page(runtime, OPERATOR, ActivityPageRequestV1.model_validate({"limite": 10}))
    assert everyone["total"] == 7 and everyone["elements"][0]["nom"] == "Aaa d'une autre Caf"
    with pytest.raises(RpcFailure) as bad:
        await activity_page.page(runtime, me, ActivityPageRequestV1.model_validate({"curseur": "pas-un-curseur"}))
    assert (bad.value.code, bad.value.field) == ("invalid", "curseur")


async def test_the_same_bulk_grant_asked_again_with_its_job_id_is_that_job(runtime):
    partner = await add_partner(runtime)
    ids = await add_activities(runtime, partner, [f"LAEP {n}" for n in range(5)])
    user = await a_declarer(runtime, partner)
    job_id = uuid.uuid4()
    request = GrantRequestV1.model_validate(
        {"utilisateur_id": str(user), "role": "fdf", "perimetre": [{"activite_id": str(i)} for i in ids]}
    ).model_copy(update={"job_id": job_id})
    first = await grant_jobs.grant_or_start(runtime, OPERATOR, request)
    again = await grant_jobs.grant_or_start(runtime, OPERATOR, request)  # its answer was lost: the gateway asks again
    assert first["traitement"]["job_id"] == again["traitement"]["job_id"] == str(job_id)
    await grant_jobs.granter(runtime).run_pending()
    assert len(await events(runtime, "habilitation.role_granted.v1")) == 5
