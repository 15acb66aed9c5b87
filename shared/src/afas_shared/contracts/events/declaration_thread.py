"""Events of a declaration's secure thread (issue 19), published by the declaration service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from afas_shared.contracts.envelope import EventData


class ThreadMessagePostedV1(EventData):
    """Someone wrote in a declaration's thread: what the other side is told by mail. Never the message's content
    nor its file, which stay in the declaration service: the mail says only that a message waits on the platform."""

    producer = "declaration"
    version = 1
    event = "thread_message_posted"

    message_id: uuid.UUID
    declaration_id: uuid.UUID
    activity_id: uuid.UUID
    partner_id: uuid.UUID
    caf_code: str = Field(pattern=r"^\d{3}$")
    exercice: int
    declaration_type: str = Field(description="previsionnelle, actualisee_juin, actualisee_septembre or reelle")
    side: Literal["partenaire", "caf"] = Field(description="The side that wrote it: the other one is told.")
    author_id: uuid.UUID | None
    posted_at: datetime
    caf_agents: list[uuid.UUID] = Field(
        default_factory=list,
        description="The Caf's agents who took part in this declaration (wrote in its thread, decided a version): "
        "whom a partner's message is told to.",
    )
