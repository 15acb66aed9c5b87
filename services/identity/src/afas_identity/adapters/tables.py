from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from afas_shared.messaging.tables import utcnow


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"

    id: uuid.UUID = Field(primary_key=True)
    identifier: str = Field(max_length=9, unique=True)
    last_name: str = Field(max_length=100)
    first_name: str = Field(max_length=100)
    email: str = Field(max_length=254, index=True)
    partner_id: uuid.UUID | None = None
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
