"""The mail sender: claims due messages a batch at a time, sends them over SMTP, records the outcomes.

Delivery guarantee, stated honestly: SMTP has no idempotent submit, so no sender can make "delivered to the server"
and "recorded as sent" one atomic step. This one narrows the gap to one claimed batch and makes the rest safe:

1. **claim** (own transaction, one statement for the batch): up to ``CLAIM_BATCH`` due messages go
   ``pending -> sending``, ``attempts + 1``, ``claimed_at = now``: the attempts are on record *before* the server is
   contacted (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so replicas never take the same row; the update is
   conditional on ``pending``, which guards SQLite, where this process is the only writer);
2. **send** each, with a ``Message-ID`` derived from the message's idempotency key (recipient, declaration, kind);
3. **record** (own transaction, one statement for the batch): ``sent``, or back to ``pending`` after a backoff delay,
   or ``undeliverable`` once every delay was used (or at once when the server refused for good, 5xx).

A batch never runs longer than half the claim lease (``mail_claim_lease_seconds``): the messages it had no time
for are handed back (``pending``, the attempt not counted) in the same record, so no other sender takes a message
still being sent. A process killed after the server's ``250 OK`` and before step 3 leaves that batch's rows
``sending``; once their lease has run out they go back to ``pending`` and are sent again *with the same Message-ID*.
So delivery to SMTP is at-least-once, and the only possible duplicates are the messages of that single batch,
each carrying the same Message-ID as its first copy (mail stores and clients that de-duplicate by Message-ID show
it once). A graceful stop never causes one: the send under way finishes, the batch's other messages are handed
back, and the outcomes are recorded before the task ends.
Messages planned but not yet claimed are simply sent after the restart: none is lost, none sent twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
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
from afas_shared.db.types import UtcDateTime
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


# Messages claimed, then recorded, together: two statements per batch instead of two per message; also the most a
# crash between a delivery and its record can have sent twice (the second copy under the same Message-ID)
CLAIM_BATCH = 20
# What a message the batch had no time for is recorded as: due again at once, its attempt not counted
HANDED_BACK = {"mail_state": "pending", "undo_attempt": 1}


async def send_due(runtime: ServiceRuntime, limit: int = 500) -> int:
    """Send what is due now (periodic job); returns how many messages were delivered to the server."""
    async with _lock(runtime):  # one sender per process; replicas are kept apart by the claim itself
        await release_expired_claims(runtime)
        sent, taken = 0, 0
        while taken < limit:
            claimed = await _claim_batch(runtime, min(CLAIM_BATCH, limit - taken))
            if not claimed:
                break
            taken += len(claimed)
            stop = asyncio.Event()
            # Shielded: a stop (task cancelled) lets the send under way finish and the batch record its outcomes.
            attempt = asyncio.ensure_future(_attempt_batch(runtime, claimed, stop))
            try:
                sent += await asyncio.shield(attempt)
            except asyncio.CancelledError:
                stop.set()
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


_CLAIMED = (
    Message.id,
    Message.user_id,
    Message.email,
    Message.subject,
    Message.body_text,
    Message.body_html,
    Message.message_id,
    Message.kind,
    Message.attempts,
    Message.mail_link,
    Message.next_attempt_at,
    Message.created_at,
)


async def _claim_batch(runtime: ServiceRuntime, size: int) -> list[dict[str, Any]]:
    """Up to ``size`` due messages, oldest due first, claimed by one statement; their recipients read by one more."""
    now = runtime.clock.now()
    due = (
        sa.select(Message.id)
        .where(Message.mail_state == "pending", Message.next_attempt_at <= now)
        .order_by(Message.next_attempt_at, Message.created_at)
        .limit(size)
    )
    if runtime.db.backend == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claim = (
        sa.update(Message)
        .where(Message.id.in_(due), Message.mail_state == "pending")
        .values(mail_state="sending", attempts=Message.attempts + 1, claimed_at=now)
        .returning(*_CLAIMED)
        .execution_options(synchronize_session=False)
    )
    async with runtime.db.transaction() as session:
        rows = sorted((await session.execute(claim)).all(), key=lambda r: (r.next_attempt_at, r.created_at))
        # Queued before the user was known here: the address and the first name known now
        unknown = {r.user_id for r in rows if r.user_id is not None and (r.email is None or _unnamed(r.body_text))}
        users = {}
        if unknown:
            known = await session.execute(sa.select(KnownUser).where(KnownUser.user_id.in_(unknown)))
            users = {u.user_id: u for u in known.scalars()}
    return [_claimed(row, users.get(row.user_id)) for row in rows]


def _unnamed(text: str) -> bool:
    return templates.NAME_PLACEHOLDER in text


def _claimed(row: Any, user: KnownUser | None) -> dict[str, Any]:
    email, text, page = row.email, row.body_text, row.body_html
    if row.user_id is not None and (email is None or _unnamed(text)):
        email = email or (user.email if user else None)
        text, page = templates.with_first_name(text, page, user.first_name if user else None)
    return {
        "id": row.id,
        "to": email,
        "subject": row.subject,
        "text": text,
        "html": page,
        "message_id": row.message_id,
        "kind": row.kind,
        "attempts": row.attempts,
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


async def _attempt_batch(runtime: ServiceRuntime, claimed: list[dict[str, Any]], stop: asyncio.Event) -> int:
    """Send the batch's messages one after the other, then record every outcome by one statement; returns how many
    were delivered. Once half the lease is spent, or the sender is stopping, the rest is handed back."""
    budget = runtime.settings.mail_claim_lease_seconds / 2
    started = time.monotonic()
    outcomes = []
    for message in claimed:
        # the first message is always tried: every batch moves the queue on, however small the lease
        if outcomes and (stop.is_set() or time.monotonic() - started > budget):
            outcomes.append((message["id"], HANDED_BACK))
        else:
            outcomes.append((message["id"], await _attempt(runtime, message)))
    await _record_all(runtime, outcomes)
    return sum(1 for _, outcome in outcomes if outcome["mail_state"] == "sent")


async def _attempt(runtime: ServiceRuntime, claimed: dict[str, Any]) -> dict[str, Any]:
    """One message sent: the outcome to record."""
    settings = runtime.settings
    try:
        if not claimed["to"]:
            raise UnknownRecipient("adresse du destinataire inconnue")
        if claimed.get("mail_link"):
            linked = await _with_one_time_link(runtime, claimed)
            if linked is None:
                return {"mail_state": "cancelled", "last_error": "lien expiré"}
            claimed = linked
        email = build_email(claimed, settings.mail_sender, runtime.clock.now())
        await asyncio.to_thread(mailer_of(runtime).send, email)
    except PermanentFailure as exc:
        return _failure(runtime, claimed, str(exc), permanent=True)
    except Exception as exc:
        return _failure(runtime, claimed, f"{type(exc).__name__}: {exc}", permanent=False)
    return {"mail_state": "sent", "sent_at": runtime.clock.now()}


async def _with_one_time_link(runtime: ServiceRuntime, claimed: dict[str, Any]) -> dict[str, Any] | None:
    """The mail with its one-time URL, asked of identity now (never stored here, never logged).

    A link that no longer works (used, superseded by a newer one, expired) is not mailed: None, the message is
    cancelled. Identity not answering is a failure like the mail server's: retried later.
    """
    kind, _, link_id = claimed["mail_link"].partition(":")
    try:
        asked = MailLinkRequestV1(link_id=link_id, kind=kind).model_dump(mode="json", by_alias=True)
        reply = await runtime.request("identity", "mail_link", asked)
    except RemoteError as exc:
        if exc.error not in ("invalid", "not_found"):
            raise
        log.info("message %s not sent: its one-time link is no longer valid", claimed["id"])
        return None
    url = reply["result"]["url"]
    text, page = templates.with_link(claimed["text"], claimed["html"], url)
    return {**claimed, "text": text, "html": page}


# The record of every outcome of a batch, one statement (executed once per message's values): only rows still
# claimed change; no next attempt unless back to pending, and an attempt handed back untried is not counted.
_RECORD = (
    sa.update(Message.__table__)
    .where(Message.__table__.c.id == sa.bindparam("b_id"), Message.__table__.c.mail_state == "sending")
    .values(
        mail_state=sa.bindparam("b_state"),
        next_attempt_at=sa.bindparam("b_next", type_=UtcDateTime()),
        last_error=sa.bindparam("b_error"),
        sent_at=sa.bindparam("b_sent", type_=UtcDateTime()),
        attempts=Message.__table__.c.attempts - sa.bindparam("b_undo", type_=sa.Integer()),
        claimed_at=None,
    )
)


async def _record_all(runtime: ServiceRuntime, outcomes: list[tuple[uuid.UUID, dict[str, Any]]]) -> None:
    now = runtime.clock.now()
    rows = []
    for message_id, outcome in outcomes:
        if outcome is not HANDED_BACK:  # every attempt's outcome passes here; a message handed back had none
            count_mail(outcome["mail_state"])
        rows.append(
            {
                "b_id": message_id,
                "b_state": outcome["mail_state"],
                "b_next": outcome.get("next_attempt_at", now if outcome is HANDED_BACK else None),
                "b_error": outcome.get("last_error"),
                "b_sent": outcome.get("sent_at"),
                "b_undo": outcome.get("undo_attempt", 0),
            }
        )
    if rows:
        async with runtime.db.transaction() as session:
            await session.execute(_RECORD, rows)


def _failure(runtime: ServiceRuntime, claimed: dict[str, Any], error: str, permanent: bool) -> dict[str, Any]:
    delay = None if permanent else retry_delay(claimed["attempts"], runtime.settings.mail_retry_seconds)
    if delay is None:
        log.error("message %s undeliverable after %d attempt(s): %s", claimed["id"], claimed["attempts"], error)
        return {"mail_state": "undeliverable", "last_error": error}
    log.warning(
        "message %s not sent (attempt %d), retry in %.0fs: %s", claimed["id"], claimed["attempts"], delay, error
    )
    retry_at = runtime.clock.now() + timedelta(seconds=delay)
    return {"mail_state": "pending", "next_attempt_at": retry_at, "last_error": error}
