from __future__ import annotations

import uuid

from sqlmodel import Field, SQLModel


class UserProfile(SQLModel, table=True):
    """Users as the gateway shows them (names for lists and histories)."""

    __tablename__ = "user_profile"

    user_id: uuid.UUID = Field(primary_key=True)
    identifier: str = Field(max_length=9)
    last_name: str = Field(max_length=100)
    first_name: str = Field(max_length=100)
    email: str = Field(max_length=254)
    partner_id: uuid.UUID | None = None
    version: int
