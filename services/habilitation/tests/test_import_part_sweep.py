"""The pieces of an upload whose last piece never came are swept once the delay has passed since its newest piece;
a completed upload's pieces, an upload still arriving and undated pieces (from before migration 0008) are kept."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from afas_habilitation.adapters.job_tables import ImportPart
from afas_habilitation.application import import_jobs
from afas_shared.contracts.rpc.habilitation_jobs import ImportPartRequestV1
from services.habilitation.tests.job_harness import HEADER, NOW, add_partner, agent, build, csv_line

TTL = 3600.0


@pytest.fixture
async def runtime(template, tmp_path):
    built = build(template, tmp_path, import_part_ttl_seconds=TTL, job_wait_seconds=0)
    yield built
    await built.db.dispose()


async def piece(runtime, caller, upload: uuid.UUID, position: int, last: bool = False) -> dict:
    text = f"{HEADER}\n{csv_line(1)}\n" if position == 0 else csv_line(position + 1)
    data = text.encode()
    request = ImportPartRequestV1(
        upload_id=upload, position=position, last=last, csv_base64=base64.b64encode(data).decode()
    )
    return await import_jobs.receive_part(runtime, caller, request)


async def pieces(runtime) -> dict[uuid.UUID, int]:
    async with runtime.db.sessions() as session:
        rows = await session.execute(sa.select(ImportPart.upload_id, sa.func.count()).group_by(ImportPart.upload_id))
        return {upload: int(n) for upload, n in rows.all()}


def later(runtime, seconds: float) -> None:
    runtime.clock.set(NOW + timedelta(seconds=seconds))


async def test_an_upload_never_completed_is_swept_after_the_delay_since_its_newest_piece(runtime):
    me = agent()
    abandoned, slow = uuid.uuid4(), uuid.uuid4()
    await piece(runtime, me, abandoned, 0)
    await piece(runtime, me, abandoned, 1)
    await piece(runtime, me, slow, 0)
    later(runtime, TTL - 60)
    await piece(runtime, me, slow, 1)  # still arriving: its newest piece is recent
    assert await import_jobs.sweep_abandoned_parts(runtime) == 0
    later(runtime, TTL + 1)
    assert await import_jobs.sweep_abandoned_parts(runtime) == 2
    assert await pieces(runtime) == {slow: 2}
    later(runtime, 2 * TTL)
    assert await import_jobs.sweep_abandoned_parts(runtime) == 2
    assert await pieces(runtime) == {}


async def test_a_completed_upload_is_imported_even_if_its_job_waits_past_the_delay(runtime):
    await add_partner(runtime)
    me = agent()
    upload = uuid.uuid4()
    await piece(runtime, me, upload, 0)
    answer = await piece(runtime, me, upload, 1, last=True)  # the job exists; its first step has not run yet
    assert answer["etat"] == "en_cours"
    later(runtime, 10 * TTL)
    assert await import_jobs.sweep_abandoned_parts(runtime) == 0
    await import_jobs.importer(runtime).run_pending()
    assert await pieces(runtime) == {}  # dropped by the job's first step, which found them all
    report = await import_jobs.jobs.view(runtime, me, upload)
    assert (report["etat"], report["creees"]) == ("terminee", 2)


async def test_undated_pieces_are_dated_at_first_sight_and_kept_the_full_delay(runtime):
    upload = uuid.uuid4()
    async with runtime.unit_of_work() as uow:  # as a replica still on migration 0007 writes them
        uow.session.add(ImportPart(upload_id=upload, position=0, requested_by=uuid.uuid4(), data=b"x"))
    later(runtime, 5 * TTL)
    assert await import_jobs.sweep_abandoned_parts(runtime) == 0  # dated now, not removed
    later(runtime, 6 * TTL - 1)
    assert await import_jobs.sweep_abandoned_parts(runtime) == 0
    later(runtime, 6 * TTL + 1)
    assert await import_jobs.sweep_abandoned_parts(runtime) == 1
