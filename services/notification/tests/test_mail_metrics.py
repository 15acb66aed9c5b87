"""Mails are counted by outcome where the sender records each attempt: sent, or failed and planned again."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY

from afas_notification.application import sender
from afas_shared.telemetry.bus_gauges import CONSUMER_PENDING, DEAD_LETTERS_WAITING
from afas_shared.testing.fixtures import eventually, running
from services.notification.tests.mail_rows import reminder_mail


def sampled(name: str, service: str) -> dict[str, float]:
    """The gauge's values for one service, by durable (or consumer)."""
    return {
        sample.labels.get("durable") or sample.labels["consumer"]: sample.value
        for family in REGISTRY.collect()
        if family.name == name
        for sample in family.samples
        if sample.labels.get("service") == service
    }


def counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("afas_mails_total", {"outcome": outcome}) or 0.0


async def _queue(runtime, key: str) -> None:
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        due = now - timedelta(seconds=1)
        session.add(reminder_mail(now, next_attempt=due, key=key, message_id=f"<{key}@afas.test>"))


async def test_sent_and_failed_attempts_are_counted(notif_settings, smtp):
    before = {"sent": counted("sent"), "retry": counted("retry")}
    async with running(notif_settings()) as notification:
        await _queue(notification, "premier")
        await sender.send_due(notification)  # or the service's own sender job, whichever claims it first
        await eventually(lambda: counted("sent") == before["sent"] + 1)
        assert len(smtp.mailbox.messages()) == 1
        smtp.stop()  # the relay goes away: the next attempt fails and is planned again
        await _queue(notification, "second")
        await sender.send_due(notification)
        await eventually(lambda: counted("retry") == before["retry"] + 1)
    assert counted("sent") == before["sent"] + 1


async def test_the_runtime_samples_its_durables_lag_and_dead_letters_by_itself(notif_settings):
    for gauge in (CONSUMER_PENDING, DEAD_LETTERS_WAITING):
        gauge.clear()  # what earlier tests' services reported goes
    async with running(notif_settings()) as notification:
        durables = {consumer.name for consumer in notification.bus.consumers}
        assert len(durables) > 5
        # the runtime's periodic job, not the test, took the samples (once at start, then every 15 s)
        lag = await eventually(lambda: sampled("afas_consumer_pending_messages", "notification").keys() >= durables)
        assert lag
        assert await eventually(lambda: sampled("afas_dead_letters_waiting", "notification").keys() >= durables)
        assert set(sampled("afas_dead_letters_waiting", "notification").values()) == {0.0}
