from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from afas_notification.domain.reminders import parse_offsets
from afas_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AFAS_NOTIFICATION_", extra="ignore")

    http_port: int = Field(
        default=8004,
        ge=1,
        le=65535,
        description="Public HTTP port (health and readiness; /internal and /metrics on the internal port)",
    )
    # Outgoing mail
    smtp_host: str = Field(default="127.0.0.1", description="Outgoing mail relay host")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="Outgoing mail relay port")
    smtp_tls: Literal["none", "starttls", "tls"] = Field(
        default="none", description="TLS to the relay: none, STARTTLS on a plain connection, or TLS from the start"
    )
    smtp_username: str | None = Field(
        default=None, description="User of the relay's authentication (none: no authentication)"
    )
    smtp_password: str | None = Field(default=None, description="Password of the relay's authentication")
    smtp_timeout_seconds: float = Field(
        default=15.0, gt=0, le=120, description="How long one exchange with the relay may take"
    )
    mail_sender: str = Field(
        default="AFAS <ne-pas-repondre@afas.caf.example>", min_length=3, description="From address of every mail"
    )
    # Delays between failed sends (JSON list); once all were used the message is listed as undeliverable
    mail_retry_seconds: list[float] = Field(
        default=[60.0, 300.0, 900.0, 3600.0, 14400.0],
        min_length=1,
        description="Delays between failed sends (JSON list); once all were used the message is undeliverable",
    )
    # A message claimed by a sender that died before recording the outcome is resent after this long
    mail_claim_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="A message claimed by a sender that died before recording the outcome is resent after this long",
    )
    mail_poll_seconds: float = Field(
        default=5.0, gt=0, description="How often the mail queue is read for messages to send"
    )
    # Reminders (each Caf may set its own offsets)
    reminder_offsets: str = Field(
        default="15,3,1",
        description="Days before the deadline when reminders go out, comma-separated (each Caf may set its own)",
    )
    overdue_days: int = Field(
        default=1, ge=1, le=60, description="Days after the deadline when an overdue notice goes out"
    )
    reminder_hour: int = Field(default=8, ge=0, le=23, description="Paris local hour at which reminders go out")
    schedule_check_seconds: float = Field(
        default=60.0, gt=0, description="How often reminders and notices due are looked for"
    )
    # Where a partner's message goes when no agent of its Caf has taken part in the declaration yet
    caf_mailboxes: dict[str, str] = Field(
        default={},
        description=(
            "Each Caf's shared mailbox, told of a partner's message in a declaration's thread while none of its "
            'agents has taken part yet (JSON object, Caf code to address: {"080": "partenaires@caf80.example"})'
        ),
    )
    # Base of the links in mails and ICS feeds (the gateway's public address)
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base of the links in mails and calendar feeds (the gateway's public address)",
    )

    @field_validator("reminder_offsets")
    @classmethod
    def _offsets(cls, value: str) -> str:
        return ",".join(str(d) for d in parse_offsets(value))

    @field_validator("caf_mailboxes")
    @classmethod
    def _mailboxes(cls, value: dict[str, str]) -> dict[str, str]:
        for code, address in value.items():
            if not (len(code) == 3 and code.isdigit()):
                raise ValueError(f"code de Caf sur 3 chiffres attendu, pas {code!r}")
            if address.count("@") != 1 or address.startswith("@") or address.endswith("@"):
                raise ValueError(f"adresse de courriel attendue pour la Caf {code}, pas {address!r}")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return value.rstrip("/")
