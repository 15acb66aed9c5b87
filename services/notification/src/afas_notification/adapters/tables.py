"""Notification's own tables (no other service reads them)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from afas_shared.db.types import UtcDateTime
from afas_shared.read_models.grant_lines import GrantLineColumns

# --- read models fed by declaration's and habilitation's events ----------------------------------------------------


class CampaignCopy(SQLModel, table=True):
    """A Caf's calendar entry: when the declarations of a PS family, exercice and type open and are due."""

    __tablename__ = "campaign_copy"

    campaign_id: uuid.UUID = Field(primary_key=True)
    caf_code: str = Field(max_length=3, index=True)
    family: str = Field(max_length=30)
    exercice: int
    declaration_type: str = Field(max_length=30)
    opening_date: date
    deadline: date


class DeclarationCopy(SQLModel, table=True):
    """What reminders need of a declaration: its deadline, whether forms are complete, whether it is closed."""

    __tablename__ = "declaration_copy"

    declaration_id: uuid.UUID = Field(primary_key=True)
    campaign_id: uuid.UUID | None = None
    activity_id: uuid.UUID = Field(index=True)
    partner_id: uuid.UUID | None = None
    caf_code: str | None = Field(default=None, max_length=3)
    exercice: int | None = None
    declaration_type: str | None = Field(default=None, max_length=30)
    deadline: date | None = None
    expected: bool = False  # DeclarationExpectedV1 seen (the facts above are then known)
    version: int = 1  # revision of the declaration (1, then 2 after a refusal…)
    ready: bool = False  # the latest controls said every requested form is filled and nothing blocks
    ready_at: datetime | None = Field(default=None, sa_type=UtcDateTime())
    # The latest of transmitted / refused / validated (a DeclarationState), of which version, and that event's
    # place in the declaration's order (its aggregate_version, as declaration published it)
    outcome: str | None = Field(default=None, max_length=20)
    outcome_version: int = 0
    outcome_order: int = 0
    cancelled: bool = False


class FormCopy(SQLModel, table=True):
    __tablename__ = "form_copy"

    form_id: uuid.UUID = Field(primary_key=True)
    declaration_id: uuid.UUID = Field(index=True)
    kind: str = Field(max_length=20)
    site_id: uuid.UUID | None = None
    requested: bool = True
    filled: bool = False  # saved, and not sent back since
    form_version: int = 0  # of the latest save applied
    form_order: int = 0  # the aggregate_version of the latest save or send-back applied, as declaration published it
    # When the form last changed: its latest save or send-back (controls older than this are out of date)
    saved_at: datetime | None = Field(default=None, sa_type=UtcDateTime())


class GrantCopy(GrantLineColumns, table=True):
    """One grant line as habilitation announced it: who holds which role on which activity or site."""

    __tablename__ = "grant_copy"

    activity_id: uuid.UUID = Field(index=True)  # whom to remind about an activity's declaration


class ActivityName(SQLModel, table=True):
    """Activity names and Cafs, so a message names the activity and a partner sees its Cafs' calendars."""

    __tablename__ = "activity_name"

    activity_id: uuid.UUID = Field(primary_key=True)
    partner_id: uuid.UUID = Field(index=True)
    caf_code: str = Field(max_length=3)
    family: str = Field(max_length=30)
    name: str = Field(max_length=200)
    version: int


# --- the durable schedule and the messages ---------------------------------------------------------------------


class ReminderStage(SQLModel, table=True):
    """One planned reminder of a declaration: ``waiting`` until due, then ``done`` (its messages were written in
    the same transaction), ``skipped`` (superseded by a later due stage) or ``void`` (the declaration closed)."""

    __tablename__ = "reminder_stage"

    declaration_id: uuid.UUID = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=20)
    due_at: datetime = Field(sa_type=UtcDateTime(), index=True)
    state: str = Field(default="waiting", max_length=10)
    handled_at: datetime | None = Field(default=None, sa_type=UtcDateTime())


class Message(SQLModel, table=True):
    """One message to one person: its inbox entry and its e-mail, under a unique idempotency key.

    ``mail_state``: none (inbox only), pending, sending (claimed: an attempt is under way or its sender died),
    sent, undeliverable, cancelled (a reminder made pointless by the transmission before it left).
    """

    __tablename__ = "message"

    id: uuid.UUID = Field(primary_key=True)
    key: str = Field(max_length=200, unique=True)
    user_id: uuid.UUID | None = Field(default=None, index=True)
    email: str | None = Field(default=None, max_length=254)
    kind: str = Field(max_length=40)
    category: str = Field(max_length=10)
    declaration_id: uuid.UUID | None = Field(default=None, index=True)
    subject: str = Field(max_length=300)
    body_text: str
    body_html: str
    link: str | None = Field(default=None, max_length=500)
    # "<kind>:<link id>" of an activation or reset mail: its one-time URL is asked of identity when sent, never kept
    mail_link: str | None = Field(default=None, max_length=80)
    created_at: datetime = Field(sa_type=UtcDateTime())
    inbox: bool = True
    read_at: datetime | None = Field(default=None, sa_type=UtcDateTime())
    mail_state: str = Field(default="pending", max_length=15, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UtcDateTime())
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime())
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime())
    last_error: str | None = None
    message_id: str = Field(max_length=200)


class Preference(SQLModel, table=True):
    __tablename__ = "preference"

    user_id: uuid.UUID = Field(primary_key=True)
    email_reminders: bool = True
    email_notices: bool = True
    updated_at: datetime = Field(sa_type=UtcDateTime())


class CafReminderSetting(SQLModel, table=True):
    """A Caf's own reminder offsets (days before the deadline) and overdue delay."""

    __tablename__ = "caf_reminder_setting"

    caf_code: str = Field(primary_key=True, max_length=3)
    offsets: str = Field(max_length=100)
    overdue_days: int
    updated_at: datetime = Field(sa_type=UtcDateTime())


class IcsToken(SQLModel, table=True):
    """A user's personal calendar feed: only the SHA-256 of its secret token is kept."""

    __tablename__ = "ics_token"

    user_id: uuid.UUID = Field(primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UtcDateTime())
