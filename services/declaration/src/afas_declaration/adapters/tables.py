"""Declaration's own tables (no other service reads them)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.db.types import UtcDateTime
from afas_shared.read_models.grant_lines import GrantLineColumns


class GrantLine(GrantLineColumns, table=True):
    """One grant line as habilitation announced it: what lets a user act here without asking habilitation."""

    __tablename__ = "grant_line"

    # The grant's partner; a line known by its decision only (see ``afas_shared.read_models.grant_lines``) has none
    partner_id: uuid.UUID = Field(default=uuid.UUID(int=0))


class ActivityCopy(SQLModel, table=True):
    """The activities habilitation announced: which declarations a campaign expects, and their forms."""

    __tablename__ = "activity_copy"

    activity_id: uuid.UUID = Field(primary_key=True)
    partner_id: uuid.UUID = Field(index=True)
    caf_code: str = Field(max_length=3, index=True)
    family: str = Field(max_length=30)
    nature: str = Field(max_length=40)
    name: str = Field(max_length=200)
    site_mode: str = Field(max_length=30)
    sites: str = "[]"  # JSON list of {"site_id", "name"}
    opening_date: date
    closing_date: date | None = None
    # One version per group of fields, each written by its own events (whatever their arrival order): the data
    # (registration, update) on ``version``, the closing date (registration, update, closure) on its own.
    version: int
    closing_version: int = 0


class Campaign(SQLModel, table=True):
    __tablename__ = "campaign"

    id: uuid.UUID = Field(primary_key=True)
    caf_code: str = Field(max_length=3, index=True)
    family: str = Field(max_length=30)
    exercice: int
    declaration_type: str = Field(max_length=30)
    form_version: str = Field(max_length=20)
    opening_date: date
    deadline: date
    opened: bool = False
    # The background job opening it (``application.campaign_opening``); ``opened`` once it finished
    opening_job_id: uuid.UUID | None = None
    created_by: uuid.UUID | None = None
    # Closed by the Caf or the operator (``application.campaign_admin``): no declaration is expected any more
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime())


class CampaignAction(SQLModel, table=True):
    """The audit trail of what was done to a campaign from outside its calendar: who, what, when, the outcome."""

    __tablename__ = "campaign_action"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UtcDateTime())
    campaign_id: uuid.UUID = Field(index=True)
    action: str = Field(max_length=30)  # open, close, reconcile
    actor_kind: str = Field(max_length=10)
    actor_user_id: uuid.UUID | None = None
    outcome: str = Field(max_length=200)


class Declaration(SQLModel, table=True):
    __tablename__ = "declaration"
    # One per campaign and activity (in the database since migration 0004): a campaign's opening and a registration
    # insert-if-absent against it (``application.expected_declarations``), neither taking the campaign's lock
    __table_args__ = (sa.UniqueConstraint("campaign_id", "activity_id", name="uq_declaration_per_campaign"),)

    id: uuid.UUID = Field(primary_key=True)
    campaign_id: uuid.UUID = Field(index=True)
    activity_id: uuid.UUID = Field(index=True)
    partner_id: uuid.UUID = Field(index=True)
    caf_code: str = Field(max_length=3)
    exercice: int
    declaration_type: str = Field(max_length=30)
    # The activity's name, copied when the declaration is created and kept in step when the activity is renamed
    # (``application.activity_copy``): « Mes déclarations » is ordered by it, so a Caf's first page reads a range of
    # the index (caf_code, exercice DESC, activity_name, id) of migration 0013 instead of sorting all its rows
    activity_name: str = Field(default="", max_length=200)
    state: str = Field(default=DeclarationState.a_saisir.value, max_length=30)
    version: int = 1
    # The latest control run (JSON list) and the approbateur's justifications keyed by control key (JSON object)
    controls: str = "[]"
    controlled_at: datetime | None = Field(default=None, sa_type=UtcDateTime())
    justifications: str = "{}"
    complement: str | None = None
    # Why the Caf refused the latest version, shown to the partner while it revises
    refusal_reason: str | None = None


class DeclarationForm(SQLModel, table=True):
    __tablename__ = "declaration_form"

    id: uuid.UUID = Field(primary_key=True)
    declaration_id: uuid.UUID = Field(index=True)
    kind: str = Field(max_length=20)
    site_id: uuid.UUID | None = None
    site_name: str | None = Field(default=None, max_length=200)
    requested: bool = True
    state: str = Field(default=DeclarationState.a_saisir.value, max_length=30)
    values: str = "{}"
    version: int = 0
    saved_by: uuid.UUID | None = None
    saved_by_name: str | None = Field(default=None, max_length=200)
    saved_at: datetime | None = Field(default=None, sa_type=UtcDateTime())
    # Set when the approbateur sends the form back to its provider; cleared by the next save
    sent_back_comment: str | None = None
    sent_back_by_name: str | None = Field(default=None, max_length=200)


class Transmission(SQLModel, table=True):
    """One transmitted version of a declaration: its frozen snapshot, its receipt, and the Caf's decision."""

    __tablename__ = "transmission"
    __table_args__ = (sa.UniqueConstraint("declaration_id", "version"),)

    id: uuid.UUID = Field(primary_key=True)
    declaration_id: uuid.UUID = Field(index=True)
    version: int
    snapshot: str
    hash: str = Field(max_length=64)
    signer_id: uuid.UUID
    signer_name: str = Field(max_length=200)
    transmitted_at: datetime = Field(sa_type=UtcDateTime())
    receipt: bytes = Field(sa_type=sa.LargeBinary())
    decision: str | None = Field(default=None, max_length=20)
    decision_reason: str | None = None
    decided_by: uuid.UUID | None = None
    decided_by_name: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime())


class PartnerCopy(SQLModel, table=True):
    """The partners identity announced: their name and SIRET go on the receipts."""

    __tablename__ = "partner_copy"

    partner_id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    siret: str = Field(max_length=14)
    caf_code: str = Field(max_length=3)
    version: int


class IdempotencyRecord(SQLModel, table=True):
    """The answer given to a create or a transmit under a client's Idempotency-Key, replayed on a retry."""

    __tablename__ = "idempotency_record"

    owner: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)
    status: int | None = None
    body: str | None = None
    created_at: datetime = Field(sa_type=UtcDateTime(), index=True)


class Attachment(SQLModel, table=True):
    """A supporting document (pièce justificative) of a declaration, written only once its object is wholly stored
    (``adapters.object_store``, object named by ``id``): a row here is a file anyone allowed may download."""

    __tablename__ = "attachment"

    id: uuid.UUID = Field(primary_key=True)
    declaration_id: uuid.UUID = Field(index=True)
    # The flagged control's justification it supports (its control key), None for the declaration as a whole
    control_key: str | None = Field(default=None, max_length=300)
    # Whose it is: the site of the form or control it belongs to (a site's provider sees its sites' files only)
    site_id: uuid.UUID | None = None
    site_name: str | None = Field(default=None, max_length=200)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=10)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by: uuid.UUID | None = None
    uploaded_by_name: str = Field(max_length=200)
    uploaded_at: datetime = Field(sa_type=UtcDateTime())


class AttachmentUpload(SQLModel, table=True):
    """An upload under way: written before its object is stored, removed with the ``Attachment`` row's commit. One
    left behind (the process died in between) names an object the sweep removes after the grace period."""

    __tablename__ = "attachment_upload"

    id: uuid.UUID = Field(primary_key=True)
    started_at: datetime = Field(sa_type=UtcDateTime(), index=True)


class CafDocument(SQLModel, table=True):
    """A document a Caf agent published to a partner, written only once its object is wholly stored (same object
    store and upload notes as ``Attachment``); ``first_opened_at`` is set by the partner's first download, once."""

    __tablename__ = "caf_document"

    id: uuid.UUID = Field(primary_key=True)
    partner_id: uuid.UUID = Field(index=True)
    caf_code: str = Field(max_length=3)
    nature: str = Field(max_length=30)
    title: str = Field(max_length=200)
    activity_id: uuid.UUID | None = None
    activity_name: str | None = Field(default=None, max_length=200)
    exercice: int | None = None
    name: str = Field(max_length=200)
    kind: str = Field(max_length=10)
    size: int
    sha256: str = Field(max_length=64)
    published_by: uuid.UUID | None = None
    published_by_name: str = Field(max_length=200)
    published_at: datetime = Field(sa_type=UtcDateTime())
    first_opened_at: datetime | None = Field(default=None, sa_type=UtcDateTime())
    first_opened_by: uuid.UUID | None = None
