"""The volume read: one Caf (the Somme's, 080) with 20,000 declarations of another partner, and the demo
partner's administrator approbateur of 50 activities (its declarations included), written straight into the
declaration service's database as its consumers would have left it (activity copies, declarations, their two forms,
grant lines). Written, not replayed through the API: the benchmark measures reading them, and 20,000 activities
through habilitation's events would take the benchmark's whole budget."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date

import httpx
import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Declaration, DeclarationForm, GrantLine, PartnerCopy

CAF = "080"
AGENT, APPROBATEUR, PASSWORD = "100000001", "200000001", "Demo-Afas-2026!"
DEMO_PARTNER = "Commune d'Amiens"
CHUNK = 2000  # rows per INSERT
STATES = ("a_saisir", "en_cours", "controlee", "a_saisir", "en_cours")  # what a list holds before the deadline


@dataclass(frozen=True)
class Volume:
    caf_declaration: str  # one of the Caf's 20,000
    approbateur_declaration: str  # one of the approbateur's 50


async def login(gateway: str, identifier: str) -> str:
    async with httpx.AsyncClient(base_url=gateway, timeout=60) as client:
        answer = await client.post("/api/v1/auth/login", json={"identifiant": identifier, "mot_de_passe": PASSWORD})
        answer.raise_for_status()
        return answer.json()["jeton"]


async def _approbateur_ids(gateway: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The demo partner's id and its administrator's user id, as the API gives them."""
    token = await login(gateway, APPROBATEUR)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=gateway, timeout=60, headers=headers) as client:
        partners = (await client.get("/api/v1/partners")).json()
        partner = next(p["id"] for p in partners if p["raison_sociale"] == DEMO_PARTNER)
        users = (await client.get(f"/api/v1/partners/{partner}/users")).json()
        user = next(u["id"] for u in users if u["identifiant"] == APPROBATEUR)
    return uuid.UUID(partner), uuid.UUID(user)


def _declarations(conn, campaign, partner_id: uuid.UUID, count: int, prefix: str) -> list[uuid.UUID]:
    activities, declarations, forms = [], [], []
    for i in range(count):
        activity_id, declaration_id, site_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        name = f"{prefix} {i:05d}"
        activities.append(
            {
                "activity_id": activity_id,
                "partner_id": partner_id,
                "caf_code": CAF,
                "family": campaign.family,
                "nature": "multi_accueil",
                "name": name,
                "site_mode": "mono_lieu",
                "sites": json.dumps([{"site_id": str(site_id), "name": name}]),
                "opening_date": date(2020, 1, 1),
                "version": 1,
            }
        )
        declarations.append(
            {
                "id": declaration_id,
                "campaign_id": campaign.id,
                "activity_id": activity_id,
                "partner_id": partner_id,
                "activity_name": name,
                "caf_code": CAF,
                "exercice": campaign.exercice,
                "declaration_type": campaign.declaration_type,
                "state": STATES[i % len(STATES)],
            }
        )
        for kind, site in (("activite", site_id), ("financier", None)):
            forms.append(
                {
                    "id": uuid.uuid4(),
                    "declaration_id": declaration_id,
                    "kind": kind,
                    "site_id": site,
                    "site_name": name if site else None,
                }
            )
    for table, rows in ((ActivityCopy, activities), (Declaration, declarations), (DeclarationForm, forms)):
        for start in range(0, len(rows), CHUNK):
            conn.execute(sa.insert(table.__table__), rows[start : start + CHUNK])  # type: ignore[attr-defined]
    return [d["id"] for d in declarations]


async def put_in_place(gateway: str, database_url: str, caf_declarations: int, approbateur_declarations: int) -> Volume:
    partner_id, user_id = await _approbateur_ids(gateway)
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            campaign = conn.execute(
                sa.text(
                    "SELECT id, family, exercice, declaration_type FROM campaign "
                    "WHERE caf_code = :caf ORDER BY exercice DESC LIMIT 1"
                ),
                {"caf": CAF},
            ).one()
            other = uuid.uuid4()
            conn.execute(
                sa.insert(PartnerCopy.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "partner_id": other,
                        "name": "Banc de lecture",
                        "siret": "21800021900099",
                        "caf_code": CAF,
                        "version": 1,
                    }
                ],
            )
            caf_ids = _declarations(conn, campaign, other, caf_declarations, "Banc de lecture")
            own = _declarations(conn, campaign, partner_id, approbateur_declarations, "Approbation")
            activities = conn.execute(
                sa.select(Declaration.activity_id).where(Declaration.id.in_(own))  # type: ignore[attr-defined]
            ).scalars()
            grants = [
                {
                    "grant_id": uuid.uuid4(),
                    "user_id": user_id,
                    "partner_id": partner_id,
                    "role": "approbateur",
                    "activity_id": activity,
                    "start_date": date(2020, 1, 1),
                    "validation": "validated",
                }
                for activity in activities
            ]
            conn.execute(sa.insert(GrantLine.__table__), grants)  # type: ignore[attr-defined]
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                # As autovacuum leaves a table that has been in service: statistics for the planner, and the
                # visibility map that lets a count read the index alone (a fresh bulk insert has none)
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))
    finally:
        engine.dispose()
    return Volume(caf_declaration=str(caf_ids[0]), approbateur_declaration=str(own[0]))
