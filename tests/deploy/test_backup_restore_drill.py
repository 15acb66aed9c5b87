"""The restore drill of docs/operations/backup-and-restore.md, on the local PostgreSQL: a service database made by
the service's own code is dumped with pg_dump, restored into a new database with pg_restore, and the restored copy
passes deploy/postgres/restore_check.py (Alembic head, the same rows table by table, outbox and inbox as in the
source); a damaged copy does not. Both databases are dropped at the end.

habilitation is the drilled service: its consumers fill its tables and its inbox (identity's events about a partner
and its user, delivered as the bus would), and its migrations run as at a pod's start. Skipped, saying why, when
PostgreSQL or the Debian client tools (postgresql-client: pg_dump, pg_restore) are not there.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import subprocess
import sys
import uuid
from datetime import date

import psycopg
import pytest
from psycopg import sql

from afas_habilitation import bootstrap
from afas_habilitation.config import Settings
from afas_shared.contracts.events.identity import GroupMembershipAddedV1, PartnerRegisteredV1, PartnerUpdatedV1
from afas_shared.db import migrations
from afas_shared.settings import CommonSettings
from afas_shared.testing.delivery import deliver, event
from tests.deploy.k8s_manifest_checks import REPO_ROOT

CHECK_PATH = REPO_ROOT / "deploy" / "postgres" / "restore_check.py"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _admin_url() -> str:
    configured = os.environ.get("AFAS_TEST_DATABASE_URL", "").replace("postgresql+psycopg://", "postgresql://", 1)
    return configured if configured.startswith("postgresql://") else DEFAULT_ADMIN_URL


def _restore_check():
    spec = importlib.util.spec_from_file_location("restore_check", CHECK_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def databases():
    """Two fresh database names on the local server, dropped afterwards whatever happened."""
    missing = [tool for tool in ("pg_dump", "pg_restore", "psql") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (Debian: apt-get install postgresql-client)")
    try:
        admin = psycopg.connect(_admin_url(), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {_admin_url()}: {exc}")
    suffix = uuid.uuid4().hex[:10]
    names = (f"afas_drill_{suffix}", f"afas_drill_{suffix}_restored")
    with admin:
        for name in names:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield [_admin_url().rsplit("/", 1)[0] + f"/{name}" for name in names]
    finally:
        # DROP DATABASE waits for a checkpoint of the whole server (seconds on a server other tests keep busy): the
        # drops run in a psql of their own that the test does not wait for.
        drops = "; ".join(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names)
        subprocess.Popen(
            [
                "psql",
                "--no-psqlrc",
                "--quiet",
                f"--dbname={_admin_url()}",
                *(f"--command={d}" for d in drops.split("; ")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )


async def _fill_through_the_service(url: str, tmp_path) -> None:
    """habilitation migrated as at start, then identity's events handled by its own consumers (rows and inbox)."""
    database_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    migrations.upgrade("afas_habilitation", database_url)
    settings = Settings(
        common=CommonSettings(nats_url="nats://127.0.0.1:9", var_dir=tmp_path), database_url=database_url
    )
    runtime = bootstrap.build(settings, configure_logs=False)
    runtime.migrated = True
    partner, user = uuid.uuid4(), uuid.uuid4()
    common = {"siret": "12345678901234", "kind": "association", "caf_code": "080"}
    history = [
        event(PartnerRegisteredV1(partner_id=partner, name="Centre social", delegated=True, **common), partner),
        event(PartnerUpdatedV1(partner_id=partner, name="Centre social des Halles", **common), partner, 2),
        event(
            GroupMembershipAddedV1(
                user_id=user, partner_id=partner, group="AFAS-DECLARER", start_date=date(2026, 1, 1)
            ),
            user,
        ),
    ]
    try:
        assert [await deliver(runtime, envelope) for envelope in history] == ["handled"] * 3
    finally:
        await runtime.db.dispose()
        runtime.tracer_provider.shutdown()


async def test_a_dump_restored_into_a_new_database_is_consistent(databases, tmp_path):
    source, restored = databases
    await _fill_through_the_service(source, tmp_path)
    dump = tmp_path / "habilitation.dump"
    # the commands of the runbook: custom format, no owner (the restoring role owns what it restores)
    for command in (
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source],
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump)],
    ):
        await asyncio.to_thread(subprocess.run, command, check=True)

    check = _restore_check()
    problems, notes = check.check("habilitation", restored, source)
    assert problems == []
    snapshot = check.snapshot(restored)
    assert snapshot.rows["inbox"] == 3 and snapshot.rows["known_partner"] == 1
    assert snapshot.revision == check.head_revision("habilitation", restored)
    assert check.main(["habilitation", restored, "--against", source]) == 0

    # The check can fail: a row lost and a migration not recorded are both reported.
    with psycopg.connect(restored, autocommit=True) as connection:
        connection.execute("DELETE FROM inbox WHERE ctid IN (SELECT ctid FROM inbox LIMIT 1)")
        connection.execute("UPDATE alembic_version SET version_num = 'not_a_revision'")
    problems, _ = check.check("habilitation", restored, source)
    assert any(p.startswith("table inbox: 2 row(s) restored, 3 in the source") for p in problems)
    assert any("alembic revision 'not_a_revision'" in p for p in problems)
