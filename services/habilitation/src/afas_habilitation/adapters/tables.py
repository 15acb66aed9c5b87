"""Habilitation's own tables (no other service reads them)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from afas_shared.db.types import UtcDateTime
from afas_shared.messaging.tables import utcnow


class KnownPartner(SQLModel, table=True):
    """Partners as identity announced them: activities belong to one, grants are given within one."""

    __tablename__ = "known_partner"

    partner_id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    siret: str = Field(max_length=14, index=True)
    caf_code: str = Field(max_length=3)
    delegated: bool = True
    # One version per group of fields, each written by its own events (whatever their arrival order): the identity
    # (registration, update) on ``version``, the delegation (registration, delegation changed) on its own.
    version: int
    delegation_version: int = 0


class Activity(SQLModel, table=True):
    __tablename__ = "activity"

    id: uuid.UUID = Field(primary_key=True)
    partner_id: uuid.UUID = Field(index=True)
    caf_code: str = Field(max_length=3, index=True)
    family: str = Field(max_length=30)
    nature: str = Field(max_length=40)
    name: str = Field(max_length=200)
    site_mode: str = Field(max_length=30)
    opening_date: date
    closing_date: date | None = None
    capacity: int | None = None
    equipment_id: str | None = Field(default=None, max_length=12, unique=True)
    afc_file: str | None = Field(default=None, max_length=10)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime())


class Site(SQLModel, table=True):
    __tablename__ = "site"

    id: uuid.UUID = Field(primary_key=True)
    activity_id: uuid.UUID = Field(foreign_key="activity.id", index=True)
    name: str = Field(max_length=200)
    position: int


class RoleGrant(SQLModel, table=True):
    """One line of a grant: a role for a user on one activity or one site. Ended, never deleted."""

    __tablename__ = "role_grant"

    id: uuid.UUID = Field(primary_key=True)
    group_id: uuid.UUID = Field(index=True)
    user_id: uuid.UUID = Field(index=True)
    partner_id: uuid.UUID = Field(index=True)
    role: str = Field(max_length=20)
    activity_id: uuid.UUID = Field(index=True)
    site_id: uuid.UUID | None = None
    start_date: date
    end_date: date | None = None
    end_reason: str | None = Field(default=None, max_length=30)
    validation: str = Field(max_length=20)
    decided_by: uuid.UUID | None = None
    decision_reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime())


class DeclarerMembership(SQLModel, table=True):
    """Periods during which a user is in AFAS-DECLARER, as identity announced them."""

    __tablename__ = "declarer_membership"

    id: int | None = Field(default=None, primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    partner_id: uuid.UUID
    start_date: date
    end_date: date | None = None
    version: int = 0  # the user's version when identity announced it (0: before versions were kept)


class DeclarerDeparture(SQLModel, table=True):
    """Each time a user left AFAS-DECLARER, at the user's version: a membership announced before it (a lower
    version) ends then, even when the departure was handled first."""

    __tablename__ = "declarer_departure"

    user_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    end_date: date


class AccountState(SQLModel, table=True):
    """The account's state as identity last announced it (the user's version): suspended or closed accounts may
    receive no grant; ``actif`` once reactivated."""

    __tablename__ = "account_state"

    user_id: uuid.UUID = Field(primary_key=True)
    state: str = Field(max_length=12)
    version: int = 0


BARRED = ("suspendu", "clos")  # account states that may receive no grant
