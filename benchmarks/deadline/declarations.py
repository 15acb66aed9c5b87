"""The N declarations of the day, put in place as the platform's users would: the Caf agent registers N EAJE
activities for the demo partner, its administrator grants himself the three roles on them (activity data,
financial data, approbateur), the agent validates the approbateur lines; the forecast campaign the demo opened meets
each new activity and opens its declaration. Then the benchmark reads which declarations exist from the
declaration service's database (a list through the API would measure pagination, not the set-up)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date

import httpx
import sqlalchemy as sa

BENCH_NAME = "Banc de charge"  # the activities' name prefix: how the benchmark finds its declarations again
PARTNER = "Commune d'Amiens"
AGENT, ADMIN, PASSWORD = "100000001", "200000001", "Demo-Afas-2026!"
ROLES = ("fda", "fdf", "approbateur")
GRANT_CHUNK = 100  # activities per grant request
SETUP_FLOWS = 8  # concurrent set-up requests: the set-up is not what is measured
PATIENCE_SECONDS = 600.0  # events crossing services on a loaded box


async def login(client: httpx.AsyncClient, identifier: str) -> str:
    answer = await client.post("/api/v1/auth/login", json={"identifiant": identifier, "mot_de_passe": PASSWORD})
    answer.raise_for_status()
    return answer.json()["jeton"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _retrying(call, what: str) -> httpx.Response:
    """Habilitation learns partners, users and activities from events: a 409/422/503 may mean « not yet »."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        answer = await call()
        if answer.status_code < 300:
            return answer
        if answer.status_code not in (409, 422, 503) or time.monotonic() > deadline:
            raise RuntimeError(f"{what} : {answer.status_code} {answer.text[:300]}")
        await asyncio.sleep(0.5)


async def _activities(client: httpx.AsyncClient, agent: str, partner: str, n: int) -> list[str]:
    gate = asyncio.Semaphore(SETUP_FLOWS)
    opening = date(date.today().year - 1, 1, 1).isoformat()

    async def one(i: int) -> str:
        body = {
            "type": "eaje_psu",
            "nature": "multi_accueil",
            "nom": f"{BENCH_NAME} {i:05d}",
            "places": 40,
            "date_ouverture": opening,
            "dossier_afc": f"9{i:05d}",
            "ideq": f"BENCH{i:05d}",
            "partenaire_id": partner,
        }
        async with gate:
            answer = await _retrying(
                lambda: client.post("/api/v1/activities", json=body, headers=_bearer(agent)), f"activité {i}"
            )
        return answer.json()["id"]

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def _grants(client: httpx.AsyncClient, agent: str, admin: str, partner: str, activities: list[str]) -> None:
    users = (await client.get(f"/api/v1/partners/{partner}/users", headers=_bearer(admin))).json()
    me = next(u["id"] for u in users if u["identifiant"] == ADMIN)
    for role in ROLES:
        for start in range(0, len(activities), GRANT_CHUNK):
            scope = [{"activite_id": a, "lieu_id": None} for a in activities[start : start + GRANT_CHUNK]]
            body = {"utilisateur_id": me, "role": role, "perimetre": scope, "date_debut": "2026-01-01"}
            answer = await _retrying(
                lambda body=body: client.post("/api/v1/grants", json=body, headers=_bearer(admin)),
                f"habilitation {role}",
            )
            if role == "approbateur":
                await _validate(client, agent, [line["id"] for line in answer.json()])


async def _validate(client: httpx.AsyncClient, agent: str, lines: list[str]) -> None:
    gate = asyncio.Semaphore(SETUP_FLOWS)

    async def one(line: str) -> None:
        async with gate:
            await _retrying(
                lambda: client.post(f"/api/v1/grants/{line}/validate", headers=_bearer(agent)), "validation"
            )

    await asyncio.gather(*(one(line) for line in lines))


def bench_declarations(declaration_db_url: str) -> list[str]:
    """The ids of the benchmark's declarations that are open, as the declaration service stores them."""
    engine = sa.create_engine(declaration_db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT d.id FROM declaration d JOIN activity_copy a ON a.activity_id = d.activity_id "
                    "WHERE a.name LIKE :prefix ORDER BY a.name"
                ),
                {"prefix": f"{BENCH_NAME} %"},
            )
            # SQLite keeps a UUID as 32 hex digits, PostgreSQL as a uuid: the API's form either way
            return [str(uuid.UUID(str(row[0]))) for row in rows]
    finally:
        engine.dispose()


async def put_in_place(gateway: str, declaration_db_url: str, n: int) -> list[str]:
    """N open declarations the administrator may fill, check and transmit; their ids."""
    async with httpx.AsyncClient(base_url=gateway, timeout=60) as client:
        agent, admin = await login(client, AGENT), await login(client, ADMIN)
        partners = (await client.get("/api/v1/partners", headers=_bearer(admin))).json()
        partner = next(p["id"] for p in partners if p["raison_sociale"] == PARTNER)
        activities = await _activities(client, agent, partner, n)
        await _grants(client, agent, admin, partner, activities)
        deadline = time.monotonic() + PATIENCE_SECONDS
        while True:
            found = bench_declarations(declaration_db_url)
            ready = await _visible(client, admin, found[-1]) if len(found) == n else False
            if ready:
                return found
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(found)} déclarations ouvertes sur {n} après {PATIENCE_SECONDS:.0f} s")
            await asyncio.sleep(1)


async def _visible(client: httpx.AsyncClient, admin: str, declaration: str) -> bool:
    # the grants reach the declaration service by events too: the last one readable means the set-up is through
    answer = await client.get(f"/api/v1/declarations/{declaration}", headers=_bearer(admin))
    return answer.status_code == 200 and len(answer.json().get("formulaires", [])) >= 2
