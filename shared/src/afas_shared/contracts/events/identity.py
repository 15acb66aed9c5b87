from __future__ import annotations

import uuid

from pydantic import EmailStr, Field

from afas_shared.contracts.envelope import EventData


class UserCreatedV1(EventData):
    """A partner or Caf user account was created. Carries no secret: activation travels separately."""

    producer = "identity"
    event = "user_created"
    version = 1

    user_id: uuid.UUID = Field(description="Stable technical id of the user.")
    identifier: str = Field(pattern=r"^\d{9}$", description="Personal 9-digit login identifier.")
    last_name: str = Field(min_length=1, max_length=100, description="Nom.")
    first_name: str = Field(min_length=1, max_length=100, description="Prénom.")
    email: EmailStr = Field(description="Nominative mail address.")
    partner_id: uuid.UUID | None = Field(default=None, description="Partner the user belongs to; none for Caf staff.")
