"""The CSV import as a background job (issue 16): sent in parts, answered at once, imported in batches that each
commit, resumed after a crash without creating anything twice, its report following the file's lines."""

from __future__ import annotations

import base64
import uuid

import pytest
import sqlalchemy as sa

from afas_habilitation.adapters.job_tables import ImportRecord
from afas_habilitation.application import catalogue_import, import_jobs, jobs
from afas_shared.contracts.rpc.habilitation_jobs import ImportPartRequestV1
from afas_shared.jobs.runner import Overtaken
from afas_shared.messaging.rpc import RpcFailure
from services.habilitation.tests.job_harness import (
    HEADER,
    OPERATOR,
    activities,
    add_partner,
    agent,
    build,
    csv_line,
    events,
)


@pytest.fixture
async def runtime(template, tmp_path):
    built = build(template, tmp_path, import_batch_size=4, job_wait_seconds=0)
    yield built
    await built.db.dispose()


async def send(runtime, caller, text: str, part_size: int = 100) -> dict:
    """The file in parts of ``part_size`` bytes, cut anywhere (inside an accented letter too), as the gateway does."""
    data, upload = text.encode(), uuid.uuid4()
    parts = [data[i : i + part_size] for i in range(0, len(data), part_size)]
    for position, part in enumerate(parts):
        request = ImportPartRequestV1(
            upload_id=upload,
            position=position,
            last=position == len(parts) - 1,
            csv_base64=base64.b64encode(part).decode(),
        )
        answer = await import_jobs.receive_part(runtime, caller, request)
    return answer


def file_of(*lines: str) -> str:
    return "\n".join((HEADER, *lines)) + "\n"


async def test_a_file_in_parts_is_imported_by_batches_with_a_report_by_line(runtime):
    await add_partner(runtime)
    lines = [csv_line(i) for i in range(1, 10)]
    lines[4] = csv_line(5).replace("2024-01-01", "2024-13-01")  # line 6: a bad date
    lines.append(csv_line(11, siret="11111111111111"))  # line 11: unknown partner
    me = agent()
    started = await send(runtime, me, file_of(*lines))
    assert started["etat"] == "en_cours" and started["suivi"] == f"/api/v1/jobs/{started['job_id']}"
    batches = await import_jobs.importer(runtime).run_pending()
    assert batches == 1 + 3  # the file cut into records, then 10 records by 4
    report = await jobs.view(runtime, me, uuid.UUID(started["job_id"]))
    assert (report["etat"], report["total"], report["traitees"], report["creees"]) == ("terminee", 10, 10, 8)
    assert [r["ligne"] for r in report["refusees"]] == [6, 11]
    assert "colonne date_ouverture : date invalide" in report["refusees"][0]["motif"]
    assert "partenaire de SIRET 11111111111111 inconnu" in report["refusees"][1]["motif"]
    assert len(await activities(runtime)) == 8
    async with runtime.db.sessions() as session:  # the file's records went with the last batch, the counts stay
        assert await session.scalar(sa.select(sa.func.count()).select_from(ImportRecord)) == 0
    registered = await events(runtime, "habilitation.activity_registered.v1")
    assert sorted(e["equipment_id"] for e in registered) == sorted(a.equipment_id for a in await activities(runtime))


async def test_a_batch_that_dies_rolls_back_and_the_resumed_job_creates_nothing_twice(runtime, monkeypatch):
    await add_partner(runtime)
    me = agent()
    started = await send(runtime, me, file_of(*(csv_line(i, name=f"ALSH « Été » n° {i}") for i in range(1, 11))))
    job_id = uuid.UUID(started["job_id"])
    assert await import_jobs.import_batch(runtime, job_id, 4)  # cut into records
    assert await import_jobs.import_batch(runtime, job_id, 4)  # lines 2–5 committed
    real = catalogue_import.apply_rows

    async def dies_after_writing(uow, caller, rows):
        await real(uow, caller, rows)
        raise RuntimeError("killed mid-batch")

    monkeypatch.setattr(import_jobs, "apply_rows", dies_after_writing)
    with pytest.raises(RuntimeError):
        await import_jobs.import_batch(runtime, job_id, 4)
    assert len(await activities(runtime)) == 4  # the dead batch left nothing
    monkeypatch.setattr(import_jobs, "apply_rows", real)
    await import_jobs.importer(runtime).run_pending()  # a restart's periodic run resumes it
    report = await jobs.view(runtime, me, job_id)
    assert (report["etat"], report["creees"], report["traitees"]) == ("terminee", 10, 10)
    assert len(await activities(runtime)) == 10
    assert len(await events(runtime, "habilitation.activity_registered.v1")) == 10
    again = await send(runtime, me, file_of(*(csv_line(i, name=f"ALSH « Été » n° {i}") for i in range(1, 11))))
    await import_jobs.importer(runtime).run_pending()
    second = await jobs.view(runtime, me, uuid.UUID(again["job_id"]))
    assert (second["creees"], second["inchangees"], second["modifiees"]) == (0, 10, 0)


async def test_a_worker_overtaken_on_a_batch_rolls_back(runtime, monkeypatch):
    await add_partner(runtime)
    started = await send(runtime, agent(), file_of(*(csv_line(i) for i in range(1, 6))))
    job_id = uuid.UUID(started["job_id"])
    await import_jobs.import_batch(runtime, job_id, 4)
    async with runtime.db.sessions() as session:
        seen = await import_jobs.fresh_job(session, job_id)  # what a second replica read before the first committed
    await import_jobs.import_batch(runtime, job_id, 4)

    async def stale(session, wanted):
        return seen

    monkeypatch.setattr(import_jobs, "fresh_job", stale)
    with pytest.raises(Overtaken):
        await import_jobs.import_batch(runtime, job_id, 4)
    assert len(await activities(runtime)) == 4
    assert len(await events(runtime, "habilitation.activity_registered.v1")) == 4


async def test_the_job_is_followed_by_its_author_its_caf_or_the_operator_only(runtime):
    await add_partner(runtime)
    me = agent()
    started = await send(runtime, me, file_of(csv_line(1)))
    job_id = uuid.UUID(started["job_id"])
    for follower in (me, agent(), OPERATOR):
        assert (await jobs.view(runtime, follower, job_id))["job_id"] == str(job_id)
    with pytest.raises(RpcFailure) as other_caf:
        await jobs.view(runtime, agent(caf="060"), job_id)
    assert other_caf.value.code == "forbidden"
    with pytest.raises(RpcFailure) as unknown:
        await jobs.view(runtime, OPERATOR, uuid.uuid4())
    assert unknown.value.code == "not_found"


async def test_a_bad_header_or_a_file_not_in_utf8_ends_the_job_with_its_reason(runtime):
    me = agent()
    started = await send(runtime, me, "nom;famille\nx;y\n")
    await import_jobs.importer(runtime).run_pending()
    report = await jobs.view(runtime, me, uuid.UUID(started["job_id"]))
    assert report["etat"] == "terminee" and "en-tête invalide" in report["refusees"][0]["motif"]
    upload = uuid.uuid4()
    latin = (HEADER + "\n" + csv_line(1, name="Crèche")).encode("latin-1")
    request = ImportPartRequestV1(upload_id=upload, position=0, last=True, csv_base64=base64.b64encode(latin).decode())
    await import_jobs.receive_part(runtime, me, request)
    await import_jobs.importer(runtime).run_pending()
    report = await jobs.view(runtime, me, upload)
    assert report["refusees"] == [{"ligne": 1, "motif": "Ligne 1 : Le fichier doit être encodé en UTF-8."}]


async def test_only_caf_agents_import_and_parts_stay_their_senders(runtime):
    partner = agent()
    partner = partner.__class__(kind="partner", user_id=uuid.uuid4(), partner_id=uuid.uuid4())
    request = ImportPartRequestV1(upload_id=uuid.uuid4(), position=0, last=False, csv_base64="")
    with pytest.raises(RpcFailure) as refused:
        await import_jobs.receive_part(runtime, partner, request)
    assert refused.value.code == "forbidden"
    await import_jobs.receive_part(runtime, agent(), request)
    last = ImportPartRequestV1(upload_id=request.upload_id, position=1, last=True, csv_base64="")
    with pytest.raises(RpcFailure) as someone_else:
        await import_jobs.receive_part(runtime, agent(), last)
    assert someone_else.value.code == "forbidden"


def test_a_part_holds_up_to_its_limit_once_decoded():
    from afas_shared.contracts.limits import CATALOGUE_IMPORT_PART_BYTES as LIMIT

    full = ImportPartRequestV1(upload_id=uuid.uuid4(), position=0, csv_base64=base64.b64encode(b"\xc3" * LIMIT))
    assert len(full.csv_base64) == LIMIT  # 699,052 base64 characters on the bus
    with pytest.raises(ValueError, match="at most 524288"):
        ImportPartRequestV1(upload_id=uuid.uuid4(), position=0, csv_base64=base64.b64encode(b"x" * (LIMIT + 1)))
