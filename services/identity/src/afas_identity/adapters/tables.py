"""Identity's own tables (no other service reads them)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from afas_shared.db.types import UtcDateTime
from afas_shared.messaging.tables import utcnow

TZ = UtcDateTime()


class Partner(SQLModel, table=True):
    __tablename__ = "partner"

    id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    siret: str = Field(max_length=14, unique=True)
    kind: str = Field(max_length=20)
    caf_code: str = Field(max_length=3, index=True)
    delegated: bool = True
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class Convention(SQLModel, table=True):
    __tablename__ = "convention"

    id: uuid.UUID = Field(primary_key=True)
    partner_id: uuid.UUID = Field(foreign_key="partner.id", index=True)
    caf_code: str = Field(max_length=3)
    kind: str = Field(max_length=30)
    label: str = Field(max_length=200)
    opening_date: date
    closing_date: date | None = None
    status: str = Field(default="ouvert", max_length=10)
    signed_at: datetime | None = Field(default=None, sa_type=TZ)
    version: int = 1


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"

    id: uuid.UUID = Field(primary_key=True)
    identifier: str = Field(max_length=9, unique=True)
    last_name: str = Field(max_length=100)
    first_name: str = Field(max_length=100)
    email: str = Field(max_length=254, index=True)
    partner_id: uuid.UUID | None = None
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    kind: str = Field(default="partner", max_length=10)
    caf_code: str | None = Field(default=None, max_length=3)
    caf_roles: str = ""  # comma-separated back-office roles of a Caf agent
    phone: str | None = Field(default=None, max_length=20)
    mobility: str = Field(default="sedentaire", max_length=10)
    opening_date: date | None = None
    closing_date: date | None = None
    status: str = Field(default="en_attente", max_length=12)
    suspension_reason: str | None = None
    password_hash: str | None = None
    password_change_required: bool = False
    last_login_at: datetime | None = Field(default=None, sa_type=TZ)
    previous_login_at: datetime | None = Field(default=None, sa_type=TZ)


class GroupMembership(SQLModel, table=True):
    __tablename__ = "group_membership"

    id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True)
    partner_id: uuid.UUID = Field(index=True)
    group: str = Field(max_length=20)
    start_date: date
    end_date: date | None = None


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_session"

    id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    created_at: datetime = Field(sa_type=TZ)
    last_activity_at: datetime = Field(sa_type=TZ)
    expires_at: datetime = Field(sa_type=TZ)
    revoked_at: datetime | None = Field(default=None, sa_type=TZ)
    revoke_reason: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=64)


class LoginThrottleRow(SQLModel, table=True):
    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=100)
    failures: int = 0
    last_failure_at: datetime | None = Field(default=None, sa_type=TZ)
    locked_until: datetime | None = Field(default=None, sa_type=TZ)


class OneTimeLink(SQLModel, table=True):
    __tablename__ = "one_time_link"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: uuid.UUID = Field(index=True)
    purpose: str = Field(max_length=20)
    created_at: datetime = Field(sa_type=TZ)
    expires_at: datetime = Field(sa_type=TZ)
    used_at: datetime | None = Field(default=None, sa_type=TZ)


class LinkKeyRow(SQLModel, table=True):
    """The secret from which one-time link tokens are derived (HMAC of the link's reference); never leaves identity."""

    __tablename__ = "link_key"

    name: str = Field(primary_key=True, max_length=40)
    secret: str = Field(max_length=128)
    created_at: datetime = Field(sa_type=TZ)


class SigningKeyRow(SQLModel, table=True):
    __tablename__ = "signing_key"

    kid: str = Field(primary_key=True, max_length=64)
    private_pem: str
    created_at: datetime = Field(sa_type=TZ)
    retired_at: datetime | None = Field(default=None, sa_type=TZ)


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=TZ)
    actor_user_id: uuid.UUID | None = None
    actor_kind: str = Field(max_length=10)
    actor_address: str | None = Field(default=None, max_length=64)
    partner_id: uuid.UUID | None = Field(default=None, index=True)
    action: str = Field(max_length=60)
    target: str | None = Field(default=None, max_length=100)
    outcome: str = Field(max_length=10)
    detail: str = "{}"
