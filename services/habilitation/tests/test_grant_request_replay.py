"""A small grant (answered with its lines) sent again with the same request id, because its answer was lost on the
way, is answered with the lines it gave: nothing granted twice, no « déjà habilité » refusal for work that was done."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from afas_habilitation.application import grant_jobs
from afas_shared.contracts.rpc.habilitation import GrantRequestV1
from afas_shared.messaging.rpc import RpcFailure
from services.habilitation.tests.job_harness import OPERATOR, add_partner, build, events
from services.habilitation.tests.test_grant_job_and_activity_page import a_declarer, add_activities


@pytest.fixture
async def runtime(template, tmp_path):
    built = build(template, tmp_path, grant_job_threshold=10, job_wait_seconds=0)
    yield built
    await built.db.dispose()


def request_for(user: uuid.UUID, activities: list[uuid.UUID], job_id: uuid.UUID) -> GrantRequestV1:
    asked = GrantRequestV1.model_validate(
        {"utilisateur_id": str(user), "role": "fdf", "perimetre": [{"activite_id": str(a)} for a in activities]}
    )
    return asked.model_copy(update={"job_id": job_id})


async def test_the_same_small_grant_sent_again_answers_the_lines_it_gave(runtime):
    partner = await add_partner(runtime)
    activities = await add_activities(runtime, partner, ["LAEP Nord", "LAEP Sud"])
    user = await a_declarer(runtime, partner)
    request = request_for(user, activities, uuid.uuid4())
    first = await grant_jobs.grant_or_start(runtime, OPERATOR, request)
    again = await grant_jobs.grant_or_start(runtime, OPERATOR, request)
    assert len(first["lignes"]) == 2 and again == first
    assert {line["habilitation"] for line in first["lignes"]} == {str(request.job_id)}
    assert len(await events(runtime, "habilitation.role_granted.v1")) == 2
    # another request for the same lines is still refused as a duplicate: the replay is by request id only
    with pytest.raises(RpcFailure) as twice:
        await grant_jobs.grant_or_start(runtime, OPERATOR, request_for(user, activities, uuid.uuid4()))
    assert twice.value.code == "conflict"


async def test_two_copies_of_a_request_at_once_give_its_lines_once(runtime):
    partner = await add_partner(runtime)
    activities = await add_activities(runtime, partner, ["LAEP Est"])
    user = await a_declarer(runtime, partner)
    request = request_for(user, activities, uuid.uuid4())
    answers = await asyncio.gather(
        grant_jobs.grant_or_start(runtime, OPERATOR, request),
        grant_jobs.grant_or_start(runtime, OPERATOR, request),
        return_exceptions=True,
    )
    lines = [a["lignes"] for a in answers if isinstance(a, dict)]
    assert lines and all(line == lines[0] for line in lines)
    assert len(await events(runtime, "habilitation.role_granted.v1")) == 1


async def test_a_request_id_reused_for_another_user_is_refused(runtime):
    partner = await add_partner(runtime)
    activities = await add_activities(runtime, partner, ["LAEP Ouest"])
    first, second = await a_declarer(runtime, partner), await a_declarer(runtime, partner)
    job_id = uuid.uuid4()
    await grant_jobs.grant_or_start(runtime, OPERATOR, request_for(first, activities, job_id))
    with pytest.raises(RpcFailure) as reused:
        await grant_jobs.grant_or_start(runtime, OPERATOR, request_for(second, activities, job_id))
    assert reused.value.code == "conflict"
