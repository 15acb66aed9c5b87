"""The mails waiting are sampled for the mail dashboard and the backlog alert: pending and sending counted, and the
age of the oldest mail that is due (one planned again for later is waiting, not late)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from afas_notification.adapters.metrics import sample_mail_queue
from afas_notification.adapters.tables import Message
from afas_shared.db.engine import Database
from services.notification.tests.mail_rows import reminder_mail

NOW = datetime(2026, 5, 29, 9, 0, tzinfo=UTC)


def mail(state: str, created: datetime, next_attempt: datetime | None = None) -> Message:
    return reminder_mail(created, next_attempt=next_attempt, state=state)


def exported(name: str, labels: dict[str, str] | None = None) -> float | None:
    return REGISTRY.get_sample_value(name, labels or {})


async def test_waiting_mails_and_the_oldest_due_are_sampled(make_settings):
    db = Database(make_settings("notification").database_url)
    try:
        sampled = await sample_mail_queue(db, NOW)
        assert (sampled.waiting, sampled.oldest_due_seconds) == ({}, 0.0)
        assert exported("afas_mails_waiting", {"state": "pending"}) == 0
        async with db.transaction() as session:
            session.add_all(
                [
                    mail("pending", NOW - timedelta(minutes=10)),  # due since it was queued: 600 s late
                    mail("pending", NOW - timedelta(hours=3), NOW + timedelta(hours=1)),  # planned again: not due
                    mail("pending", NOW - timedelta(hours=2), NOW - timedelta(minutes=4)),  # due again 4 min ago
                    mail("sending", NOW - timedelta(minutes=1)),
                    mail("sent", NOW - timedelta(days=1)),
                    mail("undeliverable", NOW - timedelta(days=2)),
                ]
            )
        await sample_mail_queue(db, NOW)
        assert exported("afas_mails_waiting", {"state": "pending"}) == 3
        assert exported("afas_mails_waiting", {"state": "sending"}) == 1
        assert exported("afas_mails_oldest_due_seconds") == 600.0
        await sample_mail_queue(db, NOW - timedelta(minutes=20))  # earlier: nothing was due yet
        assert exported("afas_mails_oldest_due_seconds") == 0.0
    finally:
        await db.dispose()
