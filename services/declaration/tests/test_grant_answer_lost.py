"""A small grant (answered with its lines) whose answer is lost on the way is not a 503: the gateway finds no job of
that id and sends the same request again, which habilitation answers with the lines it gave; a service that really
does not answer still gives 503."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import HTTPException

from afas_declaration.gateway.api.grant_routes import grant_or_job
from afas_shared.contracts.rpc.habilitation import GrantRequestV1
from services.declaration.tests.conftest import USE_CASE_NOW
from services.declaration.tests.test_import_upload import Agent
from services.declaration.tests.use_case_harness import DeclarationRuntime

UNAVAILABLE = {"error": "unavailable", "detail": "Le service des habilitations ne répond pas."}
NO_JOB = {"error": "not_found", "detail": "Traitement introuvable."}


@pytest.fixture
async def gateway(declaration_database: Path, tmp_path: Path):
    runtime = DeclarationRuntime(declaration_database, tmp_path, USE_CASE_NOW)
    yield runtime
    await runtime.close()


def line(group: str, activity: uuid.UUID) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "habilitation": group,
        "utilisateur_id": str(uuid.uuid4()),
        "utilisateur": "Claire Martin",
        "role": "fdf",
        "role_libelle": "Fournisseur de données",
        "activite_id": str(activity),
        "activite": "LAEP Nord",
        "lieu_id": None,
        "date_debut": "2026-03-02",
        "date_fin": None,
        "validation": "Sans objet",
        "etat": "Actif",
        "fin_possible": True,
    }


def small_grant() -> GrantRequestV1:
    asked = GrantRequestV1.model_validate(
        {"utilisateur_id": str(uuid.uuid4()), "role": "fdf", "perimetre": [{"activite_id": str(uuid.uuid4())}]}
    )
    return asked.model_copy(update={"job_id": uuid.uuid4()})


async def test_a_small_grant_whose_answer_is_lost_answers_the_lines_it_gave(gateway):
    given: dict[str, list[dict[str, Any]]] = {}  # habilitation's side: the lines each request id gave
    attempts: list[str] = []

    async def grant_or_start(asked: dict[str, Any]) -> dict[str, Any]:
        attempts.append(asked["job_id"])
        first = asked["job_id"] not in given
        lines = given.setdefault(asked["job_id"], [line(asked["job_id"], asked["perimetre"][0]["activite_id"])])
        return UNAVAILABLE if first else {"result": {"lignes": lines}}  # done the first time, its answer lost

    gateway.bus.answer("habilitation", "grant_or_start", grant_or_start)
    gateway.bus.answer("habilitation", "job", lambda asked: _async(NO_JOB))
    asked = small_grant()
    answer = await grant_or_job(gateway.runtime, Agent(), asked)
    assert answer == given[str(asked.job_id)] and attempts == [str(asked.job_id)] * 2


async def test_a_grant_service_that_does_not_answer_is_still_503(gateway):
    gateway.bus.answer("habilitation", "grant_or_start", lambda asked: _async(UNAVAILABLE))
    gateway.bus.answer("habilitation", "job", lambda asked: _async(NO_JOB))
    with pytest.raises(HTTPException) as unavailable:
        await grant_or_job(gateway.runtime, Agent(), small_grant())
    assert unavailable.value.status_code == 503


async def _async(value: dict[str, Any]) -> dict[str, Any]:
    return value
