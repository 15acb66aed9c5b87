from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from afas_notification.domain.reminders import parse_offsets
from afas_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AFAS_NOTIFICATION_", extra="ignore")

    http_port: int = Field(default=8004, ge=1, le=65535)
    # Outgoing mail
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    mail_sender: str = Field(default="AFAS <ne-pas-repondre@afas.caf.example>", min_length=3)
    # Delays between failed sends (JSON list); once all were used the message is listed as undeliverable
    mail_retry_seconds: list[float] = Field(default=[60.0, 300.0, 900.0, 3600.0, 14400.0], min_length=1)
    # A message claimed by a sender that died before recording the outcome is resent after this long
    mail_claim_lease_seconds: float = Field(default=120.0, gt=0)
    mail_poll_seconds: float = Field(default=5.0, gt=0)
    # Reminders (each Caf may set its own offsets)
    reminder_offsets: str = "15,3,1"
    overdue_days: int = Field(default=1, ge=1, le=60)
    reminder_hour: int = Field(default=8, ge=0, le=23, description="Paris local hour at which reminders go out")
    schedule_check_seconds: float = Field(default=60.0, gt=0)
    # Base of the links in mails and ICS feeds (the gateway's public address)
    public_base_url: str = "http://127.0.0.1:8000"

    @field_validator("reminder_offsets")
    @classmethod
    def _offsets(cls, value: str) -> str:
        return ",".join(str(d) for d in parse_offsets(value))

    @field_validator("public_base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return value.rstrip("/")
