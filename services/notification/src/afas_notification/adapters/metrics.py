"""Mail outcomes, for the mail dashboard and the undeliverable-mail alert.

Counted where the sender records an attempt's outcome (``application.sender._record_all``), by the state the message
goes to: ``sent``; ``retry`` (the attempt failed, another is planned); ``undeliverable`` (every delay used, or the
server refused for good); ``cancelled`` (its one-time link no longer valid). Labels are these words only.
"""

from __future__ import annotations

from prometheus_client import Counter

MAILS = Counter("afas_mails_total", "Mail attempts by outcome: sent, retry, undeliverable, cancelled", ["outcome"])
OUTCOMES = {"sent": "sent", "pending": "retry", "undeliverable": "undeliverable", "cancelled": "cancelled"}


def count_mail(state: object) -> None:
    if isinstance(state, str) and state in OUTCOMES:
        MAILS.labels(OUTCOMES[state]).inc()
