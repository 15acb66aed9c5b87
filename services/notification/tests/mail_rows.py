"""A mail row as the tests put it in the ``message`` table: a reminder to Léa Roux, in the state and at the times a
test needs (the sender's and the metrics' tests each queue such mails)."""

from __future__ import annotations

import uuid
from datetime import datetime

from afas_notification.adapters.tables import Message


def reminder_mail(
    created: datetime,
    *,
    next_attempt: datetime | None = None,
    state: str = "pending",
    message_id: str | None = None,
    key: str | None = None,
) -> Message:
    message_id = message_id or f"<{uuid.uuid4().hex}@afas.test>"
    return Message(
        id=uuid.uuid4(),
        key=key or message_id,
        email="lea.roux@asso.example",
        kind="rappel",
        category="rappel",
        subject="Rappel",
        body_text="Bonjour",
        body_html="<p>Bonjour</p>",
        created_at=created,
        mail_state=state,
        next_attempt_at=next_attempt,
        message_id=message_id,
    )
