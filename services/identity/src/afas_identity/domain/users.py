"""User accounts: nominative, one person one identifier."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field

from afas_shared.contracts.events.identity import UserCreatedV1


def new_identifier() -> str:
    """Personal 9-digit login identifier, as in the Caf screens (never starting with 0)."""
    return str(secrets.randbelow(900_000_000) + 100_000_000)


@dataclass
class NewUser:
    last_name: str
    first_name: str
    email: str
    partner_id: uuid.UUID | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    identifier: str = field(default_factory=new_identifier)
    version: int = 1

    def created_event(self) -> UserCreatedV1:
        return UserCreatedV1(
            user_id=self.id,
            identifier=self.identifier,
            last_name=self.last_name,
            first_name=self.first_name,
            email=self.email,
            partner_id=self.partner_id,
        )
