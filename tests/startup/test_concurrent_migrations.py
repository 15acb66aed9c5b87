"""Two replicas of each service starting at once migrate one database without failing (issue 15, point 6).

Each pair runs as two OS processes released together on the test's backend: the machine's PostgreSQL in
CI (``AFAS_TEST_DATABASE_URL``: the advisory lock is what is proven) or, without one, one SQLite file per
service (the file lock is). The backend is named in the failure message and in the run's summary, so a
run never passes without saying what it proved.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from afas_shared.contracts.bus_permissions import SERVICES
from afas_shared.db.engine import backend_name, sync_url
from afas_shared.db.migrations import alembic_config

# Imports everything first, says so, waits for the start signal, then migrates: both replicas hit the database
# together.
REPLICA = """
import importlib, sys, time
from pathlib import Path
from afas_shared.db import migrations
package, url, go, ready = sys.argv[1:5]
importlib.import_module(package)
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.005)
migrations.upgrade(package, url)
"""
IMPORTS_TIMEOUT_SECONDS = 120.0  # a replica's imports, on a loaded runner


@pytest.mark.parametrize("service", SERVICES)
def test_two_replicas_migrating_at_once_both_succeed(backends, tmp_path, service, report_measurement):
    url = backends.database_url(f"{service}_replicas")
    package = f"afas_{service}"
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in range(2)]
    replicas = [
        subprocess.Popen(
            [sys.executable, "-c", REPLICA, package, url, str(go), str(flag)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for flag in ready
    ]
    # both have imported alembic and the service's package before the signal, whatever the runner's load
    deadline = time.monotonic() + IMPORTS_TIMEOUT_SECONDS
    while not all(flag.exists() for flag in ready):
        exited = [p.returncode for p in replicas if p.poll() is not None]
        if exited or time.monotonic() > deadline:
            for replica in replicas:
                replica.kill()
            errors = [replica.stderr.read().decode()[-2000:] for replica in replicas]
            pytest.fail(f"a replica did not get ready (exit codes {exited}): {errors}")
        time.sleep(0.01)
    started = time.monotonic()
    go.touch()
    results = [(p.wait(timeout=180), p.stderr.read().decode()[-3000:]) for p in replicas]
    elapsed = time.monotonic() - started
    backend = backend_name(url)
    for code, stderr in results:
        assert code == 0, f"a replica's migration failed on {backend}:\n{stderr}"
    head = ScriptDirectory.from_config(alembic_config(package, url)).get_current_head()
    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            versions = list(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()
    assert versions == [head], f"{backend}: {versions} instead of the single head {head}"
    report_measurement(f"{service}: two replicas migrated together on {backend} in {elapsed:.1f}s")


def test_the_file_lock_sits_beside_the_sqlite_file(tmp_path):
    from afas_shared.db.migrations import upgrade

    url = f"sqlite:///{tmp_path / 'identity.db'}"
    upgrade("afas_identity", url)
    assert Path(f"{tmp_path / 'identity.db'}.migrate.lock").exists()
