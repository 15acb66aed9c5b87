"""The gateway sends a CSV import to habilitation in parts, and never answers 503 for an import or a bulk grant that
started (its answer lost on the way: the job is asked for by the id the gateway gave it)."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import HTTPException

from afas_declaration.gateway.api.activity_routes import send_import
from afas_shared.contracts.limits import CATALOGUE_IMPORT_PART_BYTES
from services.declaration.tests.conftest import USE_CASE_NOW
from services.declaration.tests.use_case_harness import DeclarationRuntime


class Agent:
    """The signed-in Caf agent as the gateway forwards it (the claims travel beside the request)."""

    def rpc(self, **payload: Any) -> dict[str, Any]:
        return {**payload, "actor": {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "080"}}


def job(job_id: str, etat: str = "en_cours") -> dict[str, Any]:
    return {
        "job_id": job_id,
        "type": "activity_import",
        "libelle": "Import du catalogue d'activités",
        "etat": etat,
        "suivi": f"/api/v1/jobs/{job_id}",
        "total": None,
        "traitees": 0,
        "creees": 0,
        "refusees": [],
        "debut": "2026-03-02T09:00:00+00:00",
        "fin": None,
    }


@pytest.fixture
async def gateway(declaration_database: Path, tmp_path: Path):
    runtime = DeclarationRuntime(declaration_database, tmp_path, USE_CASE_NOW)
    yield runtime
    await runtime.close()


async def test_a_file_goes_in_parts_cut_anywhere_and_the_last_answers(gateway):
    body = ("ideq;nom\n" + "".join(f"E{i:07d};Crèche « Été » n° {i}\n" for i in range(40_000))).encode()
    received: dict[int, bytes] = {}

    async def keep(request: dict[str, Any]) -> dict[str, Any]:
        received[request["position"]] = base64.b64decode(request["csv_base64"])
        state = "terminee" if request["last"] else "reception"
        return {"result": job(request["upload_id"], state)}

    gateway.bus.answer("habilitation", "import_part", keep)
    answer = await send_import(gateway.runtime, Agent(), body)
    assert len(received) == -(-len(body) // CATALOGUE_IMPORT_PART_BYTES) >= 2
    assert b"".join(received[p] for p in sorted(received)) == body
    assert all(len(part) <= CATALOGUE_IMPORT_PART_BYTES for part in received.values())
    assert answer["etat"] == "terminee"
    lasts = [r.payload["last"] for r in gateway.bus.requests]
    assert lasts == [False] * (len(lasts) - 1) + [True]


async def test_a_lost_answer_to_the_last_part_is_the_job_when_it_started(gateway):
    started: set[str] = set()
    stores = [True]

    async def busy_on_the_last(request: dict[str, Any]) -> dict[str, Any]:
        if request["last"]:
            if stores[0]:  # stored and started, but the answer does not come back in time
                started.add(request["upload_id"])
            return {"error": "unavailable", "detail": "Le service des habilitations ne répond pas."}
        return {"result": job(request["upload_id"], "reception")}

    async def follow(request: dict[str, Any]) -> dict[str, Any]:
        if request["job_id"] in started:
            return {"result": job(request["job_id"])}
        return {"error": "not_found", "detail": "Traitement introuvable."}

    gateway.bus.answer("habilitation", "import_part", busy_on_the_last)
    gateway.bus.answer("habilitation", "job", follow)
    answer = await send_import(gateway.runtime, Agent(), "ideq;nom\nE0000001;Crèche\n".encode())
    assert answer["etat"] == "en_cours" and answer["job_id"] in started
    stores[0] = False  # now the last part is lost before it is stored: no job, the 503 stands
    with pytest.raises(HTTPException) as unavailable:
        await send_import(gateway.runtime, Agent(), "ideq;nom\nE0000001;Crèche\n".encode())
    assert unavailable.value.status_code == 503


async def test_a_grant_over_many_activities_answers_202_with_its_job_even_when_its_answer_is_lost(gateway):
    from afas_declaration.gateway.api.grant_routes import grant_or_job
    from afas_shared.contracts.rpc.habilitation import GrantRequestV1

    def request() -> GrantRequestV1:
        return GrantRequestV1.model_validate(
            {"utilisateur_id": str(uuid.uuid4()), "role": "fdf", "toutes_activites": True, "job_id": str(uuid.uuid4())}
        )

    started: set[str] = set()

    async def as_a_job(asked: dict[str, Any]) -> dict[str, Any]:
        started.add(asked["job_id"])
        return {"result": {"traitement": job(asked["job_id"]) | {"type": "bulk_grant"}}}

    async def follow(asked: dict[str, Any]) -> dict[str, Any]:
        if asked["job_id"] in started:
            return {"result": job(asked["job_id"]) | {"type": "bulk_grant"}}
        return {"error": "not_found", "detail": "Traitement introuvable."}

    gateway.bus.answer("habilitation", "grant_or_start", as_a_job)
    gateway.bus.answer("habilitation", "job", follow)
    answer = await grant_or_job(gateway.runtime, Agent(), request())
    assert answer.status_code == 202 and b'"etat":"en_cours"' in answer.body

    async def lost(asked: dict[str, Any]) -> dict[str, Any]:
        await as_a_job(asked)  # the job started, its answer never came back
        return {"error": "unavailable", "detail": "Le service des habilitations ne répond pas."}

    gateway.bus.answer("habilitation", "grant_or_start", lost)
    asked = request()
    answer = await grant_or_job(gateway.runtime, Agent(), asked)
    assert answer.status_code == 202 and str(asked.job_id).encode() in answer.body
