"""Settings common to every service (prefix ``AFAS_``) and the base of each service's own settings.

Each service subclasses :class:`ServiceSettings` with its own prefix (``AFAS_IDENTITY_`` …) so one
environment can configure all five processes without ambiguity.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Self, TypeVar

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from afas_shared.telemetry.otel_config import OtelConfig, read_otel_config

LOCAL_ONLY_SECRET = "local-only-change-me"


class Environment(StrEnum):
    LOCAL = "local"
    PRODUCTION = "production"


class Exporter(StrEnum):
    NONE = "none"
    CONSOLE = "console"
    OTLP = "otlp"


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AFAS_", extra="ignore")

    env: Environment = Field(
        default=Environment.LOCAL,
        description="`production` requires real secrets, database URLs, NATS passwords; `local`: a developer's machine",
    )
    nats_url: str = Field(
        default="nats://127.0.0.1:4222", description="URL of the NATS server (`tls://…` for a broker with TLS)"
    )
    # The CA that signed the broker's certificate, when it is not one the system trusts (a private CA): services
    # verify the broker's certificate with it on a broker with a `tls { }` block (URL `tls://…`).
    nats_tls_ca_file: Path | None = None
    nats_connect_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long connecting to the broker may take, its check of the service's password (bcrypt) "
        "included: on a busy box a shorter wait fails the handshake, and every service reconnects in a loop",
    )
    nats_ping_interval_seconds: int = Field(
        default=20,
        ge=1,
        description="Seconds between a connection's pings to the broker; three unanswered in a row and it reconnects "
        "and subscribes again: a connection gone dead without closing is noticed in about 80 s, not nats-py's 6 min",
    )
    bus_prefix: str = Field(
        default="",
        pattern=r"^[a-z0-9_]*$",
        description="Prefix of every subject and stream: empty in production, one per test run sharing a server",
    )
    bus_stream_replicas: int = Field(
        default=1,
        ge=1,
        le=5,
        description="Replicas of the JetStream streams the services create (3 on a three-server cluster)",
    )
    bus_duplicate_window_seconds: int = Field(
        default=120,
        ge=1,
        description="JetStream duplicate window: an event published again with the same id within it is dropped",
    )
    # A declaration of exercice N is expected from late N-1 (prévisionnelle) to mid N+1 (réel), and a refused one
    # comes back for revision after that: 36 months let a back office replay an exercice from its first event.
    bus_history_days: int = Field(
        default=1096,
        ge=1,
        description="Days the streams the Caf back office reads (habilitation, declaration, estimation) keep their "
        "events: 1096 = 36 months, a full exercice plus its revision (docs/consumers.md)",
    )
    bus_internal_history_days: int = Field(
        default=30,
        ge=1,
        description="Days identity's stream (accounts, sessions: internal, personal data) keeps its events",
    )
    # Deprecated aliases of the standard OTEL_* variables (afas_shared.telemetry.otel_config), read only where the
    # standard variable is absent
    telemetry_exporter: Exporter = Field(
        default=Exporter.NONE,
        description="Deprecated: use OTEL_TRACES_EXPORTER (traces exporter, `none`, `console` or `otlp`; "
        "setting OTEL_EXPORTER_OTLP_ENDPOINT alone already means `otlp`)",
    )
    telemetry_sample_ratio: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="Deprecated: use OTEL_TRACES_SAMPLER_ARG (share of new traces sampled, parent-based, 0 to 1)",
    )
    otlp_endpoint: str | None = Field(
        default=None,
        description="Deprecated: use OTEL_EXPORTER_OTLP_ENDPOINT (the collector's OTLP/HTTP base URL, "
        "`/v1/traces` and `/v1/metrics` appended)",
    )
    log_level: str = Field(
        default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$", description="Level of the JSON logs"
    )
    var_dir: Path = Field(
        default=Path("var"),
        description="Directory of local state: SQLite files by default, the local broker's credentials",
    )

    def otel(self) -> OtelConfig:
        """What the OTEL_* variables and their deprecated AFAS_* aliases ask for (read from the environment)."""
        return read_otel_config(
            legacy_exporter=self.telemetry_exporter.value if "telemetry_exporter" in self.model_fields_set else None,
            legacy_endpoint=self.otlp_endpoint,
            legacy_ratio=self.telemetry_sample_ratio,
        )

    @model_validator(mode="after")
    def _otel_variables(self) -> Self:
        self.otel()  # an OTEL_* value this process cannot honour stops it at start-up, naming the variable
        return self


S = TypeVar("S", bound="ServiceSettings")


class ServiceSettings(BaseSettings):
    """Fields every service has; subclasses only set ``env_prefix`` and add their own."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field(
        default="",
        description="The service's database (`postgresql+psycopg://…`); default: a SQLite file, refused in production",
    )
    http_host: str = Field(default="127.0.0.1", description="Address the HTTP servers listen on (`0.0.0.0` in a pod)")
    http_port: int = Field(default=8000, ge=1, le=65535, description="Public HTTP port")
    # /internal/* and /metrics are served only here, never on the public port (default: http_port + 100)
    internal_port: int | None = Field(default=None, ge=1, le=65535)
    # Proxies whose X-Forwarded-For is believed (a JSON list of addresses or CIDR networks, default none): behind an
    # ingress the client address, which login throttling and the audit trail use, is the one the proxy saw. Anyone
    # else's X-Forwarded-For is ignored, so a client cannot choose the address it is throttled and audited under.
    forwarded_allow_ips: list[str] = Field(default_factory=list)
    # Processes of this service on this machine, sharing its ports (afas_shared.worker_processes): several cores for
    # one service; in the cluster, one per pod and more pods instead
    workers: int = Field(default=1, ge=1, le=64)
    # How long a request to another service waits, by kind of call (afas_shared.messaging.call_budgets): pages'
    # reads and writes, logins (an argon2id hash), estimates (the calculation), the operator's bulk calls
    rpc_timeout_seconds: float = Field(default=2.0, gt=0)
    login_rpc_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long a login request to identity waits (an argon2id hash)"
    )
    estimate_rpc_timeout_seconds: float = Field(
        default=5.0, gt=0, description="How long a request for an estimate waits (the calculation)"
    )
    bulk_rpc_timeout_seconds: float = Field(default=60.0, gt=0, description="How long an operator's bulk call waits")
    # SQLite only: how long a unit of work waits for the write lock another writer holds before it fails
    database_busy_timeout_seconds: float = Field(default=10.0, gt=0)
    consumer_max_deliver: int = Field(
        default=5, ge=1, description="Deliveries of an event to a failing handler before it is kept as a dead letter"
    )
    # Messages a consumer fetches and applies in one transaction (afas_shared.messaging.consumer); 1: one
    # transaction per message, the former path
    consumer_batch_size: int = Field(default=100, ge=1, le=1000)
    consumer_backoff_seconds: list[float] = Field(
        default=[1.0, 5.0, 15.0, 60.0],
        min_length=1,
        description="Delays before redelivering an event whose handling failed (JSON list)",
    )
    consumer_ack_wait_seconds: float = Field(
        default=30.0, gt=0, description="An event delivered and not acknowledged within this is delivered again"
    )
    outbox_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often the outbox relay looks for events to publish when nothing woke it"
    )
    # Events kept until their aggregate arrives (read_models.early_events): past this delay they are reported
    early_event_alert_seconds: float = Field(default=3600.0, gt=0)
    early_event_check_seconds: float = Field(
        default=600.0, gt=0, description="How often the events kept for their aggregate are checked against that delay"
    )
    # This service's own NATS credential (afas_shared.nats_auth); no password = an anonymous connection,
    # which only a local, unauthenticated broker accepts.
    nats_user: str = ""
    nats_password: str = Field(
        default="",
        repr=False,
        description="This service's NATS password (Secret afas-<service>-nats); required in production",
    )

    common: CommonSettings = Field(default_factory=CommonSettings, exclude=True)

    @model_validator(mode="after")
    def _database_default(self) -> Self:
        if not self.database_url:
            if self.common.env is Environment.PRODUCTION:
                raise ValueError(f"{self.env_var('DATABASE_URL')} is required in production")
            path = self.common.var_dir / f"{self.service_name()}.db"
            self.database_url = f"sqlite:///{path}"
        return self

    @model_validator(mode="after")
    def _internal_port_default(self) -> Self:
        if self.internal_port is None:
            if self.http_port + 100 > 65535:
                raise ValueError(f"{self.env_var('INTERNAL_PORT')} is required when the HTTP port is above 65435")
            self.internal_port = self.http_port + 100
        if self.internal_port == self.http_port:
            raise ValueError(f"{self.env_var('INTERNAL_PORT')} must differ from {self.env_var('HTTP_PORT')}")
        return self

    @model_validator(mode="after")
    def _nats_credentials(self) -> Self:
        if not self.nats_user:
            self.nats_user = self.service_name()
        if not self.nats_password and self.common.env is Environment.PRODUCTION:
            raise ValueError(f"{self.env_var('NATS_PASSWORD')} is required in production")
        return self

    @classmethod
    def env_var(cls, field: str) -> str:
        return f"{cls.model_config.get('env_prefix', '')}{field.upper()}"

    @classmethod
    def service_name(cls) -> str:
        return cls.model_config.get("env_prefix", "AFAS_SERVICE_").removeprefix("AFAS_").strip("_").lower()

    def require_secret(self, field: str) -> str:
        """Refuse the built-in development secret outside local mode."""
        value = getattr(self, field)
        if self.common.env is not Environment.LOCAL and value == LOCAL_ONLY_SECRET:
            raise ValueError(f"{self.env_var(field)} must be set to a real secret outside local mode")
        return value


def describe_error(exc: ValidationError, env_prefix: str) -> str:
    """One line naming the environment variable at fault, for operators reading a crash log."""
    err = exc.errors()[0]
    loc = err.get("loc", ())
    msg = err["msg"].removeprefix("Value error, ")
    if loc:
        return f"configuration error: {env_prefix}{str(loc[0]).upper()}: {msg}"
    return f"configuration error: {msg}"


def load_or_exit(settings_cls: type[S]) -> S:
    try:
        common = CommonSettings()
        return settings_cls(common=common)
    except ValidationError as exc:
        prefix = "AFAS_" if exc.title == CommonSettings.__name__ else settings_cls.model_config.get("env_prefix", "")
        print(describe_error(exc, prefix), file=sys.stderr)
        raise SystemExit(2) from None
