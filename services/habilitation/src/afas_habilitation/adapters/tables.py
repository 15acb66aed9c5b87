from __future__ import annotations

import uuid

from sqlmodel import Field, SQLModel


class PartnerUser(SQLModel, table=True):
    """Users who may receive declaration roles, as identity announced them."""

    __tablename__ = "partner_user"

    user_id: uuid.UUID = Field(primary_key=True)
    identifier: str = Field(max_length=9)
    last_name: str = Field(max_length=100)
    first_name: str = Field(max_length=100)
    email: str = Field(max_length=254)
    partner_id: uuid.UUID | None = None
    version: int
