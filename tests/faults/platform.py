"""The platform of the fault drills: five services as separate OS processes (``python -m afas_<service>``, as
``make run`` starts them) on the test backends (afas_shared.testing.backends), reached over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path

import sqlalchemy as sa

from afas_shared.local_nats import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")
ADMIN_TOKEN = "faults-operator-token"
DEMO_PASSWORD = "Demo-Afas-2026!"
# One place for every wait of the drills: generous, the box may be loaded (2 cores, five services, a broker)
TIMEOUT = float(os.environ.get("AFAS_FAULTS_TIMEOUT_SECONDS", "90"))
LONG = os.environ.get("AFAS_FAULTS_LONG") == "1"


def http(method: str, url: str, body=None, token: str | None = None, headers: dict | None = None, timeout=15):
    """(status, json body); status 0 when the connection failed or timed out (a partner retries on it)."""
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            try:
                return resp.status, json.loads(raw or b"{}")
            except ValueError:
                return resp.status, {}
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw or b"{}")
        except ValueError:
            return err.code, {}
    except (urllib.error.URLError, HTTPException, ConnectionError, TimeoutError, OSError):
        return 0, {}  # incl. an answer cut short by the gateway's death (IncompleteRead): the partner retries


def wait_for(check, timeout: float = TIMEOUT, interval: float = 0.3, what: str = "condition"):
    """Poll ``check`` until truthy (returned); fail with its last value. Never a fixed sleep as an assertion."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not met within {timeout:.0f}s (last value: {last!r})")


@dataclass
class Platform:
    tmp: Path
    nats_url: str
    prefix: str
    database_urls: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    internal_ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    engines: dict[str, sa.Engine] = field(default_factory=dict)
    mails: object | None = None  # tools/mail_sink.MailSink: a real SMTP server keeping every mail sent

    def __post_init__(self) -> None:
        (self.tmp / "logs").mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AFAS_")}
        env.update(
            {
                "AFAS_VAR_DIR": str(self.tmp),
                "AFAS_NATS_URL": self.nats_url,
                "AFAS_BUS_PREFIX": self.prefix,
                "AFAS_DECLARATION_ADMIN_TOKEN": ADMIN_TOKEN,
                "AFAS_IDENTITY_OPERATOR_TOKEN": ADMIN_TOKEN,
            }
        )
        for service in SERVICES:
            up = service.upper()
            self.ports[service], self.internal_ports[service] = free_port(), free_port()
            env[f"AFAS_{up}_HTTP_PORT"] = str(self.ports[service])
            env[f"AFAS_{up}_INTERNAL_PORT"] = str(self.internal_ports[service])
            env[f"AFAS_{up}_DATABASE_URL"] = self.database_urls[service]
            env[f"AFAS_{up}_RPC_TIMEOUT_SECONDS"] = "5"
        # A key whose transmit died with the gateway is free again after this lease: shorter than the default 60 s in
        # the bounded drills (still far more than a transmit takes), the default in the long ones
        if not LONG:
            env["AFAS_DECLARATION_IDEMPOTENCY_LEASE_SECONDS"] = "15"
        gateway = f"http://127.0.0.1:{self.ports['declaration']}"
        env["AFAS_IDENTITY_PUBLIC_URL"] = env["AFAS_NOTIFICATION_PUBLIC_BASE_URL"] = gateway
        self.env = env

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['declaration']}"

    # --- processes ----------------------------------------------------------------------------------------

    def spawn(self, service: str) -> None:
        with open(self.tmp / "logs" / f"{service}.log", "ab") as log:
            self.procs[service] = subprocess.Popen(
                [sys.executable, "-m", f"afas_{service}"],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def start(self) -> None:
        sys.path.insert(0, str(ROOT / "tools"))
        from mail_sink import MailSink

        self.mails = MailSink(self.tmp / "mails")
        port = self.mails.start()
        self.env["AFAS_NOTIFICATION_SMTP_HOST"], self.env["AFAS_NOTIFICATION_SMTP_PORT"] = "127.0.0.1", str(port)
        for service in SERVICES:
            self.spawn(service)
        self.wait_ready()

    def mail_ids(self) -> list[str]:
        """The Message-ID of every mail the SMTP server received, in arrival order (a resend keeps its id)."""
        from email import message_from_bytes

        return [
            message_from_bytes(p.read_bytes()).get("Message-ID", "") for p in sorted((self.tmp / "mails").glob("*.eml"))
        ]

    def ready(self, service: str) -> bool:
        return http("GET", f"http://127.0.0.1:{self.ports[service]}/readyz", timeout=3)[0] == 200

    def wait_ready(self, services=SERVICES) -> float:
        started = time.monotonic()
        for service in services:
            wait_for(lambda s=service: self.procs[s].poll() is None and self.ready(s), what=f"{service} ready")
        return time.monotonic() - started

    def signal(self, service: str, sig: int) -> None:
        self.procs[service].send_signal(sig)

    def kill(self, service: str) -> None:
        proc = self.procs[service]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=TIMEOUT)

    def restart(self, service: str) -> float:
        """Start a killed service again; seconds until it is ready."""
        started = time.monotonic()
        self.spawn(service)
        wait_for(lambda: self.procs[service].poll() is None and self.ready(service), what=f"{service} ready again")
        return time.monotonic() - started

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGCONT)
                    proc.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        for engine in self.engines.values():
            engine.dispose()
        if self.mails is not None:
            self.mails.stop()

    def log_tail(self, service: str, lines: int = 40) -> str:
        text = (self.tmp / "logs" / f"{service}.log").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    # --- each service's own database, read by the drills' invariants -------------------------------------

    def db(self, service: str) -> sa.Engine:
        if service not in self.engines:
            self.engines[service] = sa.create_engine(self.database_urls[service], poolclass=sa.pool.NullPool)
        return self.engines[service]

    def query(self, service: str, sql: str, **params) -> list[tuple]:
        with self.db(service).connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql), params)]

    # --- the public API ---------------------------------------------------------------------------------

    def login(self, identifier: str) -> str:
        def attempt():
            status, body = http(
                "POST", f"{self.gateway}/api/v1/auth/login", {"identifiant": identifier, "mot_de_passe": DEMO_PASSWORD}
            )
            return body.get("jeton") if status == 200 else None

        return wait_for(attempt, what=f"login {identifier}")

    def load_demo(self) -> None:
        sys.path.insert(0, str(ROOT / "tools"))
        import demo_catalogue

        status, demo = http("POST", f"{self.gateway}/api/v1/admin/demo", None, ADMIN_TOKEN, timeout=TIMEOUT)
        assert status == 200, (status, demo)
        port = self.internal_ports["habilitation"]
        wait_for(
            lambda: len(http("GET", f"http://127.0.0.1:{port}/internal/v1/users")[1] or []) >= len(demo["comptes"]),
            what="demo users copied into habilitation",
        )

        def plain(method, url, body=None, token=None, query=None, timeout=15):
            return http(method, f"{url}?{query}" if query else url, body, token, timeout=timeout)

        demo_catalogue.load(plain, self.gateway)


@contextmanager
def demo_platform(backends, nats_url: str, tmp: Path) -> Iterator[Platform]:
    """The services started on ``nats_url`` and the run's databases, demo data loaded; stopped on the way out."""
    p = Platform(
        tmp=tmp,
        nats_url=nats_url,
        prefix=backends.bus_prefix(),
        database_urls={s: backends.migrated_database_url(s) for s in SERVICES},
    )
    try:
        p.start()
        p.load_demo()
        yield p
    finally:
        p.stop()
