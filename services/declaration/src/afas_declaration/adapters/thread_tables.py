"""The secure thread's table (issue 19): one row per message, its file's listing and its read receipt."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from afas_shared.db.types import UtcDateTime


class ThreadMessage(SQLModel, table=True):
    """A message of a declaration's thread. ``side``: who wrote it (partenaire, caf); ``kind``: message, or the
    system messages refus, annulation (the Caf's decision) and renvoi (a form sent back to its provider, whose
    ``site_id`` is the form's site). Read by the other side once: ``read_at`` and who opened it first."""

    __tablename__ = "thread_message"

    id: uuid.UUID = Field(primary_key=True)
    declaration_id: uuid.UUID
    side: str = Field(max_length=10)
    kind: str = Field(max_length=12)
    site_id: uuid.UUID | None = None
    body: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    author_id: uuid.UUID | None = None
    author_name: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UtcDateTime())
    file_name: str | None = Field(default=None, max_length=200)
    file_kind: str | None = Field(default=None, max_length=10)
    file_size: int | None = None
    file_sha256: str | None = Field(default=None, max_length=64)
    read_at: datetime | None = Field(default=None, sa_type=UtcDateTime())
    read_by_name: str | None = Field(default=None, max_length=200)
