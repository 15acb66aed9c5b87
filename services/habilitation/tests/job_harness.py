"""Habilitation's use cases without a broker: its real runtime (settings, database, unit of work, outbox) on a SQLite
file of its own, migrated once per session and copied per test. Nothing is started: the tests call the use cases and
run the job batches themselves; the events a use case queued are read back from the outbox table."""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from afas_habilitation import SERVICE, __version__
from afas_habilitation.adapters.tables import Activity, KnownPartner
from afas_habilitation.config import Settings
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import ManualClock
from afas_shared.db import migrations
from afas_shared.messaging.tables import OutboxRecord
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import CommonSettings

UNUSED_BROKER = "nats://127.0.0.1:9"  # never dialled: the runtime is not started
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SIRET, CAF = "21800021900012", "080"
HEADER = (
    "partenaire_siret;caf;famille;nature;nom;mode_lieux;lieux;date_ouverture;date_fermeture;places;ideq;dossier_afc"
)


def agent(caf: str = CAF, user_id: uuid.UUID | None = None) -> ForwardedCaller:
    return ForwardedCaller(
        kind="caf", user_id=user_id or uuid.uuid4(), caf_code=caf, caf_roles=frozenset({"habilitations"})
    )


OPERATOR = ForwardedCaller(kind="operator", user_id=uuid.uuid4())


def migrated_database(directory: Path) -> Path:
    path = directory / "habilitation-template.db"
    migrations.upgrade("afas_habilitation", f"sqlite:///{path}")
    return path


def build(template: Path, directory: Path, **settings: Any) -> ServiceRuntime:
    database = directory / "habilitation.db"
    shutil.copyfile(template, database)
    runtime = ServiceRuntime(
        SERVICE,
        __version__,
        "afas_habilitation",
        Settings(
            common=CommonSettings(nats_url=UNUSED_BROKER, var_dir=directory),
            database_url=f"sqlite:///{database}",
            **settings,
        ),
        configure_logs=False,
    )
    runtime.clock = ManualClock(NOW)
    runtime.migrated = True
    return runtime


async def add_partner(runtime: ServiceRuntime, siret: str = SIRET, caf: str = CAF) -> uuid.UUID:
    partner_id = uuid.uuid4()
    async with runtime.unit_of_work() as uow:
        uow.session.add(
            KnownPartner(partner_id=partner_id, name=f"Partenaire {siret}", siret=siret, caf_code=caf, version=1)
        )
    return partner_id


async def add_user(runtime: ServiceRuntime, partner_id: uuid.UUID) -> uuid.UUID:
    user_id = uuid.uuid4()
    async with runtime.unit_of_work() as uow:
        uow.session.add(
            KnownUser(
                user_id=user_id,
                identifier="123456789",
                last_name="Martin",
                first_name="Claire",
                email="claire@asso.fr",
                partner_id=partner_id,
                version=1,
            )
        )
    return user_id


def csv_line(i: int, siret: str = SIRET, caf: str = CAF, name: str | None = None) -> str:
    name = name or f"ALSH n° {i:05d}"
    return f"{siret};{caf};alsh;periscolaire;{name};mono_lieu;École {i};2024-01-01;;40;B{i:08d};{800000 + i}"


async def activities(runtime: ServiceRuntime) -> list[Activity]:
    async with runtime.db.sessions() as session:
        return list((await session.execute(sa.select(Activity).order_by(Activity.equipment_id))).scalars())


async def events(runtime: ServiceRuntime, type_: str) -> list[dict[str, Any]]:
    """The events queued in the outbox (committed), of one type, their data."""
    async with runtime.db.sessions() as session:
        rows = (await session.execute(sa.select(OutboxRecord))).scalars()
        found = [json.loads(r.payload) for r in rows]
    return [e["data"] for e in found if e["type"] == type_]
