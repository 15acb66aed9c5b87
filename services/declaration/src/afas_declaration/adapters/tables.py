"""Declaration's own tables (no other service reads them)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Field, SQLModel


class GrantLine(SQLModel, table=True):
    """One grant line as habilitation announced it: what lets a user act here without asking habilitation."""

    __tablename__ = "grant_line"

    grant_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    partner_id: uuid.UUID
    role: str = Field(max_length=20)
    activity_id: uuid.UUID
    site_id: uuid.UUID | None = None
    start_date: date
    end_date: date | None = None
    validation: str = Field(max_length=20)
    # Separate from end_date: a line ended today must stop acting at once, not at midnight.
    ended: bool = False
