"""The platform the benchmark measures: ``make run``'s machinery (tools/run_local.py: a local nats-server with one
credential per service, the five services as OS processes, the demo data) on the benchmark's own databases.

PostgreSQL: five databases made for the run on the given server and dropped at the end; SQLite: files in a
temporary directory, removed with it."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from afas_shared.local_nats import free_port
from afas_shared.testing.backends import Backends

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")
# Every flow of the benchmark comes from one address with a handful of accounts: the gateway's per-client limits,
# made for people, would measure the limiter instead of the platform. Identity's login lockout (failures) stays.
UNLIMITED_CLIENT = {
    "AFAS_DECLARATION_RATE_LIMIT_PER_SECOND": "100000",
    "AFAS_DECLARATION_RATE_LIMIT_BURST": "100000",
    "AFAS_DECLARATION_LOGIN_RATE_LIMIT_PER_MINUTE": "1000000",
}


@dataclass
class Running:
    gateway: str
    admin_token: str
    pids: dict[str, int]  # service (and nats-server) -> process id
    database_urls: dict[str, str]


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through ``platform``'s cleanup, where the default action would not


def _run_local(var_dir: Path) -> ModuleType:
    # run_local reads AFAS_VAR_DIR when imported: the run's directory, never the developer's var/
    os.environ["AFAS_VAR_DIR"] = str(var_dir)
    sys.path.insert(0, str(ROOT / "tools"))
    import run_local

    return run_local


@contextmanager
def platform(database: str, pg_admin_url: str) -> Iterator[Running]:
    """The five services started on ``database`` (``postgresql`` or ``sqlite``), demo data loaded; all stopped and
    the databases dropped on the way out — on SIGTERM too (a run stopped with ``kill`` must not leave five
    services and their databases behind on a shared box)."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="afas-bench-deadline-") as tmp:
        var_dir = Path(tmp)
        (var_dir / "logs").mkdir()
        backends = Backends(run_id=f"bench{os.getpid()}", tmp=var_dir, pg_admin_url=pg_admin_url or None)
        if database == "sqlite":
            backends.pg_admin_url = None
        run_local = _run_local(var_dir)
        local = run_local.Platform()
        try:
            urls = {service: backends.database_url(service) for service in SERVICES}
            for service, url in urls.items():
                local.env[f"AFAS_{service.upper()}_DATABASE_URL"] = url
                # ports the system hands out, never `make run`'s usual ones: a developer's platform, another
                # benchmark or a test run may hold those on a shared box
                local.env[f"AFAS_{service.upper()}_HTTP_PORT"] = str(free_port())
                local.env[f"AFAS_{service.upper()}_INTERNAL_PORT"] = str(free_port())
            local.env.update(UNLIMITED_CLIENT)
            local.start_nats()
            local.start_mail_sink()
            local.start_services()
            local.wait_ready()
            local.load_demo_data()
            pids = {name: proc.pid for name, proc in local.children}
            if local.nats is not None and local.nats.process is not None:
                pids["nats-server"] = local.nats.process.pid
            yield Running(
                gateway=f"http://127.0.0.1:{local.ports['declaration']}",
                admin_token=local.env.get("AFAS_DECLARATION_ADMIN_TOKEN", run_local.LOCAL_ADMIN_TOKEN),
                pids=pids,
                database_urls=urls,
            )
        except Exception:
            print(f"journaux des services : {var_dir / 'logs'}", file=sys.stderr)
            for service in SERVICES:
                log = var_dir / "logs" / f"{service}.log"
                if log.exists():
                    tail = log.read_text(errors="replace").splitlines()[-15:]
                    print(f"--- {service}\n" + "\n".join(tail), file=sys.stderr)
            raise
        finally:
            local.stop()
            backends.close()
            kept = ROOT / "var" / "bench-deadline" / f"{database}-{os.getpid()}"
            shutil.copytree(var_dir / "logs", kept, dirs_exist_ok=True)  # the why of any error, after the run
            print(f"journaux des services gardés dans {kept}", file=sys.stderr)
