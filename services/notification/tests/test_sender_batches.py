"""The sender claims and records mails a batch at a time (issue 16): two statements per batch whatever its size,
oldest due first, and a batch that outruns half its claim lease hands the rest back untried (attempt not counted)
so that no other sender takes a message still being sent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from afas_notification.adapters.tables import Message
from afas_notification.application import sender
from afas_shared.clock import ManualClock
from afas_shared.testing.fixtures import running
from services.notification.tests.mail_rows import reminder_mail

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Kept:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def send(self, message) -> None:
        self.ids.append(message["Message-ID"])


async def queue(runtime, count: int) -> list[str]:
    """``count`` due mails, the first one due first; their Message-IDs in that order."""
    ids = [f"<{uuid.uuid4().hex}@afas.test>" for _ in range(count)]
    async with runtime.db.transaction() as session:
        for i, message_id in enumerate(ids):
            session.add(reminder_mail(T0, next_attempt=T0 - timedelta(minutes=count - i), message_id=message_id))
    return ids


@contextmanager
def statements(runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(conn, cursor, statement, *rest) -> None:
        seen.append(statement)

    sa.event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", before)


@pytest.fixture
def send_due(monkeypatch):
    """The sender, called by the test alone: the service's periodic job (its first run comes at any moment after
    the start) finds a sender that does nothing."""
    real = sender.send_due

    async def idle(runtime, limit: int = 500) -> int:
        return 0

    monkeypatch.setattr(sender, "send_due", idle)
    return real


async def test_a_batch_is_claimed_by_one_statement_and_recorded_by_one(make_settings, send_due):
    settings = make_settings("notification", schedule_check_seconds=3600, mail_poll_seconds=3600)
    async with running(settings, clock=ManualClock(T0)) as runtime:
        mailer = runtime.state["mailer"] = Kept()
        counts = []
        for size in (3, sender.CLAIM_BATCH):
            ids = await queue(runtime, size)
            with statements(runtime) as seen:
                assert await send_due(runtime) == size
            assert mailer.ids[-size:] == ids  # oldest due first
            # the writes (the service's gauges read the table meanwhile): the release, one claim and one record
            # per batch, and the claim that finds nothing
            counts.append(sum(1 for s in seen if s.startswith("UPDATE message")))
        async with runtime.db.sessions() as session:
            rows = (await session.execute(sa.select(Message.mail_state, Message.attempts, Message.claimed_at))).all()
    assert set(rows) == {("sent", 1, None)}
    assert counts == [4, 4]  # the same statements for 3 mails as for a full batch


async def test_a_batch_outrunning_half_its_lease_hands_the_rest_back_untried(make_settings, send_due):
    settings = make_settings(
        "notification", schedule_check_seconds=3600, mail_poll_seconds=3600, mail_claim_lease_seconds=1e-6
    )
    async with running(settings, clock=ManualClock(T0)) as runtime:
        mailer = runtime.state["mailer"] = Kept()
        ids = await queue(runtime, 3)
        with statements(runtime) as seen:
            assert await send_due(runtime) == 3
        async with runtime.db.sessions() as session:
            rows = (await session.execute(sa.select(Message.mail_state, Message.attempts))).all()
    assert mailer.ids == ids  # each batch tried its first message only; the others were claimed again
    assert rows == [("sent", 1)] * 3  # the attempts handed back untried are not counted
    # the release, then 3 batches each claimed and recorded, then a claim that finds nothing
    assert sum(1 for s in seen if s.startswith("UPDATE message")) == 1 + 2 * 3 + 1
