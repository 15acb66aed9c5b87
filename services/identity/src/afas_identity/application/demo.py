"""Demo data for ``make run`` (local mode only): a Caf agent, the Cnaf's national paramétrage agent, a delegated
partner with valid conventions, its administrator and three declarants, all with the same demo password."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from afas_identity.adapters.tables import Partner, UserAccount
from afas_identity.application import conventions, groups, hashing, partners, users
from afas_identity.application.context import Caller
from afas_identity.domain.policy import Actor
from afas_shared.cafs import NATIONAL_CODE
from afas_shared.clock import paris_today
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import Environment

DEMO_PASSWORD = "Demo-Afas-2026!"
DEMO_SIRET = "21800021900004"
OPERATOR = Caller(Actor(user_id=None, kind="operator"), address="make run")

AGENT = {
    "identifier": "100000001",
    "last_name": "Lefèvre",
    "first_name": "Agnès",
    "email": "agnes.lefevre@caf-somme.example",
    "caf_roles": ["habilitations", "instruction", "parametrage"],
}
# The Cnaf's national paramétrage agent: the only demo account that changes a national barème value.
CNAF_AGENT = {
    "identifier": "100000009",
    "last_name": "Garnier",
    "first_name": "Hélène",
    "email": "helene.garnier@cnaf.example",
    "caf_roles": ["parametrage_national"],
}
ADMIN = {
    "identifier": "200000001",
    "last_name": "Martin",
    "first_name": "Claire",
    "email": "claire.martin@amiens.example",
}
DECLARANTS = [
    {"identifier": "200000002", "last_name": "Bernard", "first_name": "Karim", "email": "karim.bernard@amiens.example"},
    {"identifier": "200000003", "last_name": "Petit", "first_name": "Sophie", "email": "sophie.petit@amiens.example"},
    {"identifier": "200000004", "last_name": "Dubois", "first_name": "Lucas", "email": "lucas.dubois@amiens.example"},
]


def _user(person: dict[str, Any], model=users.UserInput, **extra: Any):
    return model(
        last_name=person["last_name"],
        first_name=person["first_name"],
        email=person["email"],
        email_confirmation=person["email"],
        **extra,
    )


async def seed(runtime: ServiceRuntime) -> dict[str, Any]:
    if runtime.settings.common.env is not Environment.LOCAL:
        raise RpcFailure("forbidden", "Les données de démonstration ne se chargent qu'en mode local.")
    async with runtime.db.sessions() as session:
        exists = (await session.execute(sa.select(Partner.id).where(Partner.siret == DEMO_SIRET))).first()
    if not exists:
        await _create(runtime)
    await _create_cnaf_agent(runtime)  # also into a demo loaded before the Cnaf agent existed
    return {
        "mot_de_passe": DEMO_PASSWORD,
        "comptes": [
            {
                "identifiant": AGENT["identifier"],
                "qui": f"{AGENT['first_name']} {AGENT['last_name']}",
                "role": "agent de la Caf de la Somme (habilitations, instruction, paramétrage)",
            },
            {
                "identifiant": CNAF_AGENT["identifier"],
                "qui": f"{CNAF_AGENT['first_name']} {CNAF_AGENT['last_name']}",
                "role": "agent de la Cnaf (paramétrage national des barèmes)",
            },
            {
                "identifiant": ADMIN["identifier"],
                "qui": f"{ADMIN['first_name']} {ADMIN['last_name']}",
                "role": "administratrice de la Commune d'Amiens (AFAS-HABILITER, AFAS-DECLARER)",
            },
            *(
                {
                    "identifiant": d["identifier"],
                    "qui": f"{d['first_name']} {d['last_name']}",
                    "role": "déclarant de la Commune d'Amiens (AFAS-DECLARER)",
                }
                for d in DECLARANTS
            ),
        ],
    }


async def _create(runtime: ServiceRuntime) -> None:
    await users.create_caf_agent(
        runtime,
        OPERATOR,
        "080",
        _user(AGENT, users.CafAgentInput, caf_roles=AGENT["caf_roles"]),
        identifier=AGENT["identifier"],
    )
    partner = await partners.register(
        runtime,
        OPERATOR,
        partners.PartnerInput(
            name="Commune d'Amiens", siret=DEMO_SIRET, kind="commune", caf_code="080", delegated=True
        ),
    )
    partner_id = partners.uuid.UUID(partner["id"])
    start = date(paris_today(runtime.clock.now()).year, 1, 1)
    for kind in ("convention_acces", "contrat_service", "bulletin_adhesion"):
        await conventions.sign(
            runtime, OPERATOR, partner_id, conventions.ConventionInput(kind=kind, opening_date=start)
        )
    people = [ADMIN, *DECLARANTS]
    for person in people:
        created = await users.create_partner_user(
            runtime, OPERATOR, partner_id, _user(person), identifier=person["identifier"]
        )
        user_id = partners.uuid.UUID(created["id"])
        await groups.add(runtime, OPERATOR, user_id, groups.MembershipInput(group="AFAS-DECLARER", start_date=start))
        if person is ADMIN:
            await groups.add(
                runtime, OPERATOR, user_id, groups.MembershipInput(group="AFAS-HABILITER", start_date=start)
            )
    digest = await hashing.hash_new(runtime, DEMO_PASSWORD)
    async with runtime.db.transaction() as session:
        await session.execute(
            sa.update(UserAccount)
            .where(UserAccount.identifier.in_([AGENT["identifier"], *(p["identifier"] for p in people)]))
            .values(password_hash=digest, status="actif")
        )


async def _create_cnaf_agent(runtime: ServiceRuntime) -> None:
    async with runtime.db.sessions() as session:
        found = await session.execute(
            sa.select(UserAccount.id).where(UserAccount.identifier == CNAF_AGENT["identifier"])
        )
        if found.first():
            return
    await users.create_caf_agent(
        runtime,
        OPERATOR,
        NATIONAL_CODE,
        _user(CNAF_AGENT, users.CafAgentInput, caf_roles=CNAF_AGENT["caf_roles"]),
        identifier=CNAF_AGENT["identifier"],
    )
    digest = await hashing.hash_new(runtime, DEMO_PASSWORD)
    async with runtime.db.transaction() as session:
        await session.execute(
            sa.update(UserAccount)
            .where(UserAccount.identifier == CNAF_AGENT["identifier"])
            .values(password_hash=digest, status="actif")
        )
