"""The mail sender: claims due messages one at a time, sends them over SMTP, records the outcome.

Delivery guarantee, stated honestly: SMTP has no idempotent submit, so no sender can make "delivered to the server"
and "recorded as sent" one atomic step. This one narrows the gap to a single message and makes the rest safe:

1. **claim** (own transaction): ``pending -> sending``, ``attempts + 1``, ``claimed_at = now``: the attempt is on
   record *before* the server is contacted (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so replicas never take the
   same row; a conditional update guards SQLite, where this process is the only writer);
2. **send** with a ``Message-ID`` derived from the message's idempotency key (recipient, declaration, kind);
3. **record** (own transaction): ``sent``, or back to ``pending`` after a backoff delay, or ``undeliverable``
   once every delay was used (or at once when the server refused for good, 5xx).

A process killed after the server's ``250 OK`` and before step 3 leaves the row ``sending``; once its lease
(``mail_claim_lease_seconds``) has run out it goes back to ``pending`` and is sent again *with the same Message-ID*.
So delivery to SMTP is at-least-once, and the only possible duplicate is that single in-flight message, which
carries the same Message-ID as the first copy (mail stores and clients that de-duplicate by Message-ID show it
once). A graceful stop never causes it: the send under way finishes and records its outcome before the task ends.
Messages planned but not yet claimed are simply sent after the restart: none is lost, none sent twice.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Protocol

import sqlalchemy as sa

from afas_notification.adapters.metrics import count_mail
from afas_notification.adapters.smtp import PermanentFailure, SmtpMailer
from afas_notification.adapters.tables import Message
from afas_notification.domain import templates
from afas_notification.domain.reminders import retry_delay
from afas_shared.contracts.rpc.identity import MailLinkRequestV1
from afas_shared.messaging.rpc import RemoteError
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class UnknownRecipient(Exception):
    """No address for the user yet (identity's announcement not here yet): retried like a server failure."""


def mailer_of(runtime: ServiceRuntime) -> Mailer:
    return runtime.state.setdefault("mailer", SmtpMailer(runtime.settings))


def _lock(runtime: ServiceRuntime) -> asyncio.Lock:
    return runtime.state.setdefault("sender_lock", asyncio.Lock())


async def send_due(runtime: ServiceRuntime, limit: int = 500) -> int:
    """Send what is due now (periodic job); returns how many messages were delivered to the server."""
    async with _lock(runtime):  # one sender per process; replicas are kept apart by the claim itself
        await release_expired_claims(runtime)
        sent = 0
        for _ in range(limit):
            claimed = await _claim_one(runtime)
            if claimed is None:
                break
            # Shielded: a stop (task cancelled) lets the send under way finish and record its outcome.
            attempt = asyncio.ensure_future(_attempt(runtime, claimed))
            try:
                sent += await asyncio.shield(attempt)
            except asyncio.CancelledError:
                await attempt
                raise
        return sent


async def release_expired_claims(runtime: ServiceRuntime) -> int:
    """Claims older than the lease belong to a sender that died: their messages are due again (same Message-ID)."""
    now = runtime.clock.now()
    expired = now - timedelta(seconds=runtime.settings.mail_claim_lease_seconds)
    async with runtime.db.transaction() as session:
        result = await session.execute(
            sa.update(Message)
            .where(Message.mail_state == "sending", Message.claimed_at < expired)
            .values(mail_state="pending", next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    if result.rowcount:
        log.warning("%d message(s) claimed by a stopped sender are due again", result.rowcount)
    return result.rowcount


async def _claim_one(runtime: ServiceRuntime) -> dict[str, Any] | None:
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        query = (
            sa.select(Message)
            .where(Message.mail_state == "pending", Message.next_attempt_at <= now)
            .order_by(Message.next_attempt_at, Message.created_at)
            .limit(1)
        )
        if runtime.db.backend == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = (await session.execute(query)).scalars().first()
        if row is None:
            return None
        taken = await session.execute(
            sa.update(Message)
            .where(Message.id == row.id, Message.mail_state == "pending")
            .values(mail_state="sending", attempts=Message.attempts + 1, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            return None
        email, text, page = row.email, row.body_text, row.body_html
        if row.user_id is not None and (email is None or templates.NAME_PLACEHOLDER in text):
            user = await session.get(KnownUser, row.user_id)
            email = email or (user.email if user else None)
            # Queued before the user was known here: greeted by the first name known now.
            text, page = templates.with_first_name(text, page, user.first_name if user else None)
        return {
            "id": row.id,
            "to": email,
            "subject": row.subject,
            "text": text,
            "html": page,
            "message_id": row.message_id,
            "kind": row.kind,
            "attempts": row.attempts + 1,
            "mail_link": row.mail_link,
        }


def build_email(claimed: dict[str, Any], sender: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = claimed["to"]
    message["Subject"] = claimed["subject"]
    message["Date"] = format_datetime(now)
    message["Message-ID"] = claimed["message_id"]
    message["Auto-Submitted"] = "auto-generated"
    message["X-AFAS-Kind"] = claimed["kind"]
    message.set_content(claimed["text"])
    message.add_alternative(claimed["html"], subtype="html")
    return message


async def _attempt(runtime: ServiceRuntime, claimed: dict[str, Any]) -> int:
    settings = runtime.settings
    try:
        if not claimed["to"]:
            raise UnknownRecipient("adresse du destinataire inconnue")
        if claimed.get("mail_link"):
            claimed = await _with_one_time_link(runtime, claimed)
            if claimed is None:
                return 0
        email = build_email(claimed, settings.mail_sender, runtime.clock.now())
        await asyncio.to_thread(mailer_of(runtime).send, email)
    except PermanentFailure as exc:
        await _record_failure(runtime, claimed, str(exc), permanent=True)
        return 0
    except Exception as exc:
        await _record_failure(runtime, claimed, f"{type(exc).__name__}: {exc}", permanent=False)
        return 0
    await _record(runtime, claimed["id"], mail_state="sent", sent_at=runtime.clock.now(), last_error=None)
    return 1


async def _with_one_time_link(runtime: ServiceRuntime, claimed: dict[str, Any]) -> dict[str, Any] | None:
    """The mail with its one-time URL, asked of identity now (never stored here, never logged).

    A link that no longer works (used, superseded by a newer one, expired) is not mailed: the message is cancelled.
    Identity not answering is a failure like the mail server's: retried later.
    """
    kind, _, link_id = claimed["mail_link"].partition(":")
    try:
        asked = MailLinkRequestV1(link_id=link_id, kind=kind).model_dump(mode="json", by_alias=True)
        reply = await runtime.request("identity", "mail_link", asked)
    except RemoteError as exc:
        if exc.error not in ("invalid", "not_found"):
            raise
        log.info("message %s not sent: its one-time link is no longer valid", claimed["id"])
        await _record(runtime, claimed["id"], mail_state="cancelled", next_attempt_at=None, last_error="lien expiré")
        return None
    url = reply["result"]["url"]
    text, page = templates.with_link(claimed["text"], claimed["html"], url)
    return {**claimed, "text": text, "html": page}


async def _record(runtime: ServiceRuntime, message_id: uuid.UUID, **values: Any) -> None:
    count_mail(values.get("mail_state"))  # every attempt's outcome passes here
    async with runtime.db.transaction() as session:
        await session.execute(
            sa.update(Message)
            .where(Message.id == message_id, Message.mail_state == "sending")
            .values(claimed_at=None, **values)
            .execution_options(synchronize_session=False)
        )


async def _record_failure(runtime: ServiceRuntime, claimed: dict[str, Any], error: str, permanent: bool) -> None:
    delay = None if permanent else retry_delay(claimed["attempts"], runtime.settings.mail_retry_seconds)
    if delay is None:
        log.error("message %s undeliverable after %d attempt(s): %s", claimed["id"], claimed["attempts"], error)
        await _record(runtime, claimed["id"], mail_state="undeliverable", next_attempt_at=None, last_error=error)
    else:
        log.warning(
            "message %s not sent (attempt %d), retry in %.0fs: %s", claimed["id"], claimed["attempts"], delay, error
        )
        retry_at = runtime.clock.now() + timedelta(seconds=delay)
        await _record(runtime, claimed["id"], mail_state="pending", next_attempt_at=retry_at, last_error=error)
