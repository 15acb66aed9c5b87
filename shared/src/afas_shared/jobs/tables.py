"""The job table a service keeps for its long work (a campaign's opening, an import): where each job stands.

One row per job. Its ``cursor`` (the keyset position of the last item handled) advances in the same transaction as
the batch's own writes, so a restart resumes after the last committed batch and never handles an item twice.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlmodel import Field, SQLModel

from afas_shared.db.types import UtcDateTime
from afas_shared.messaging.tables import utcnow


class BackgroundJob(SQLModel, table=True):
    __tablename__ = "background_job"

    id: uuid.UUID = Field(primary_key=True)
    kind: str = Field(max_length=40)  # which step function runs it (``JobRunner`` steps)
    subject: str = Field(max_length=100, index=True)  # what it works on: a campaign id, an import's name
    requested_by: uuid.UUID | None = None
    cursor: str | None = Field(default=None, max_length=100)
    total: int | None = None  # items to handle, when known at the start (progress)
    processed: int = 0
    created: int = 0
    refused: str = "[]"  # JSON list of {"ligne", "motif"}: what the job turned down, for its final report
    payload: str = "{}"  # JSON input the job needs beyond its subject (an import's rows)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime())
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime())


def progress(job: BackgroundJob) -> dict[str, Any]:
    """The job as the pages and the API show it (French keys, no internal code but the kind's name)."""
    return {
        "job_id": str(job.id),
        "type": job.kind,
        "etat": "terminee" if job.finished_at is not None else "en_cours",
        "total": job.total,
        "traitees": job.processed,
        "creees": job.created,
        "refusees": json.loads(job.refused),
        "debut": job.created_at.isoformat(),
        "fin": job.finished_at.isoformat() if job.finished_at is not None else None,
    }


def create_job_table() -> None:
    """For a service's alembic revision; frozen here, never derived from the model."""
    op.create_table(
        "background_job",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False, index=True),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("cursor", sa.String(100), nullable=True),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("processed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("refused", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("payload", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
