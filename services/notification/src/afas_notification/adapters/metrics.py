"""Mail outcomes and the mails waiting, for the mail dashboard, the undeliverable-mail and the mail-backlog alerts.

Counted where the sender records an attempt's outcome (``application.sender._record_all``), by the state the message
goes to: ``sent``; ``retry`` (the attempt failed, another is planned); ``undeliverable`` (every delay used, or the
server refused for good); ``cancelled`` (its one-time link no longer valid). Labels are these words only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime

import sqlalchemy as sa
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from afas_notification.adapters.tables import Message
from afas_shared.db.engine import Database

MAILS = Counter("afas_mails_total", "Mail attempts by outcome: sent, retry, undeliverable, cancelled", ["outcome"])
OUTCOMES = {"sent": "sent", "pending": "retry", "undeliverable": "undeliverable", "cancelled": "cancelled"}


def count_mail(state: object) -> None:
    if isinstance(state, str) and state in OUTCOMES:
        MAILS.labels(OUTCOMES[state]).inc()


# --- the mails waiting (sampled, never per request) -------------------------------------------------------------------

SAMPLE_SECONDS = 60.0
WAITING_STATES = ("pending", "sending")


class MailQueueGauge(Collector):
    """``afas_mails_waiting{state}``: mails not yet handed to the relay — ``pending`` (due, or planned again after a
    failed attempt) and ``sending`` (claimed by a sender); ``afas_mails_oldest_due_seconds``: how long the oldest mail
    that is due has waited (0 when none is). A sender that stopped or cannot keep up shows in the second long before
    anyone misses a reminder. Every replica samples the same table: dashboards and alerts take ``max`` over pods."""

    def __init__(self) -> None:
        self.waiting: dict[str, int] = {}
        self.oldest_due_seconds = 0.0

    def collect(self) -> Iterator[GaugeMetricFamily]:
        waiting = GaugeMetricFamily(
            "afas_mails_waiting", "Mails not yet handed to the relay, by state", labels=["state"]
        )
        for state in WAITING_STATES:
            waiting.add_metric([state], self.waiting.get(state, 0))
        yield waiting
        yield GaugeMetricFamily(
            "afas_mails_oldest_due_seconds",
            "Seconds the oldest mail due to be sent has waited (0: none due)",
            value=self.oldest_due_seconds,
        )


MAIL_QUEUE = MailQueueGauge()
REGISTRY.register(MAIL_QUEUE)


async def sample_mail_queue(db: Database, now: datetime) -> MailQueueGauge:
    """Two indexed reads (mail_state): the waiting mails counted by state, and the oldest due one's date."""
    state = Message.mail_state
    due_since = sa.func.coalesce(Message.next_attempt_at, Message.created_at)
    async with db.sessions() as session:
        counted = await session.execute(
            sa.select(state, sa.func.count()).where(state.in_(WAITING_STATES)).group_by(state)  # type: ignore[attr-defined]
        )
        waiting = {str(s): int(n) for s, n in counted.all()}
        oldest = await session.scalar(
            sa.select(sa.func.min(due_since)).where(
                state == "pending",
                sa.or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),  # type: ignore[union-attr, operator]
            )
        )
    if isinstance(oldest, str):  # SQLite hands an aggregate's datetime back as text
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    MAIL_QUEUE.waiting = waiting
    MAIL_QUEUE.oldest_due_seconds = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return MAIL_QUEUE


def mail_queue_sampler(db: Database, now: Callable[[], datetime]) -> Callable[[], Awaitable[None]]:
    """The periodic job for ``ServiceRuntime.every`` (``now``: the runtime's clock, read at each sample)."""

    async def mails_waiting() -> None:
        await sample_mail_queue(db, now())

    return mails_waiting
