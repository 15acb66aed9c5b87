"""Reminder planning, as pure functions: the stages of a declaration's reminders, which one is due at an
instant, who must act next on a declaration, and the idempotency key of each message.

Times are Europe/Paris: a reminder of day D goes out at ``hour`` o'clock, Paris time, on D (summer or winter).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from afas_shared.clock import PARIS

OPENING = "ouverture"


@dataclass(frozen=True, order=True)
class Stage:
    """One step of a declaration's reminder sequence: ``ouverture``, ``j-15``, ``j-3``, ``j-1``, ``j+1``."""

    due_at: datetime
    kind: str = field(compare=False)


def parse_offsets(text: str) -> tuple[int, ...]:
    """``"15,3,1"`` -> (15, 3, 1): days before the deadline, distinct, positive, largest first."""
    try:
        values = {int(part) for part in text.replace(" ", "").split(",") if part}
    except ValueError:
        raise ValueError("offsets must be whole numbers of days separated by commas, e.g. 15,3,1") from None
    if not values or any(v < 1 or v > 120 for v in values):
        raise ValueError("each offset must be between 1 and 120 days")
    return tuple(sorted(values, reverse=True))


def deadline_kind(days_before: int) -> str:
    return f"j-{days_before}"


def overdue_kind(days_after: int) -> str:
    return f"j+{days_after}"


def paris_moment(day: date, hour: int) -> datetime:
    """``hour`` o'clock in Paris on ``day``, as an aware UTC instant."""
    return datetime.combine(day, time(hour), tzinfo=PARIS).astimezone(UTC)


def stages(available_at: datetime, deadline: date, offsets: Iterable[int], overdue_days: int, hour: int) -> list[Stage]:
    """The reminder sequence of a declaration available from ``available_at`` and due on ``deadline``.

    Stages before the declaration became available are left out (a Caf that opens a campaign 10 days before its
    deadline gets no J-15); the overdue reminder comes ``overdue_days`` after the deadline.
    """
    planned = [Stage(available_at, OPENING)]
    for days in offsets:
        moment = paris_moment(deadline - timedelta(days=days), hour)
        if moment > available_at:
            planned.append(Stage(moment, deadline_kind(days)))
    planned.append(
        Stage(
            max(paris_moment(deadline + timedelta(days=overdue_days), hour), available_at), overdue_kind(overdue_days)
        )
    )
    return sorted(planned)


def latest_due(waiting: Iterable[Stage], now: datetime) -> tuple[Stage | None, list[Stage]]:
    """Of the stages not yet handled, the one to send now and those it supersedes.

    After a stop, only the newest due reminder is sent (a J-3 received on J-1 would mislead); the older due ones
    are skipped, never sent late. Stages still in the future stay waiting.
    """
    due = sorted(s for s in waiting if s.due_at <= now)
    if not due:
        return None, []
    return due[-1], due[:-1]


# --- who must act next ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormState:
    form_id: uuid.UUID
    kind: str  # activite or financier
    site_id: uuid.UUID | None
    requested: bool
    filled: bool


@dataclass(frozen=True)
class GrantState:
    user_id: uuid.UUID
    role: str  # fda, fdf or approbateur
    site_id: uuid.UUID | None


PROVIDER_ROLE = {"activite": "fda", "financier": "fdf"}
TASK_APPROVE = "transmettre"


def task_of(form: FormState) -> str:
    return f"saisir_{form.kind}"


def who_must_act(
    closed: bool, ready: bool, forms: Iterable[FormState], acting: Iterable[GrantState]
) -> dict[uuid.UUID, set[str]]:
    """The users who must act next on a declaration, with what each must do.

    Nobody once transmitted (or cancelled). The approbateur when every requested form is filled (or the controls
    said ready). Otherwise the providers of each requested form still to fill: the FDA of its site (or of the whole
    activity) for activity data, the FDF for financial data, and the approbateur for a form nobody provides.
    """
    if closed:
        return {}
    lines = list(acting)
    approbateurs = {g.user_id for g in lines if g.role == "approbateur"}
    to_fill = [f for f in forms if f.requested and not f.filled]
    if ready or not to_fill:
        return {user: {TASK_APPROVE} for user in approbateurs}
    tasks: dict[uuid.UUID, set[str]] = {}
    for form in to_fill:
        role = PROVIDER_ROLE.get(form.kind)
        providers = {
            g.user_id for g in lines if g.role == role and (g.site_id is None or g.site_id == form.site_id)
        } or approbateurs
        for user in providers:
            tasks.setdefault(user, set()).add(task_of(form))
    return tasks


# --- idempotency ---------------------------------------------------------------------------------------------------


def reminder_key(recipient: uuid.UUID, declaration_id: uuid.UUID, kind: str) -> str:
    """One reminder of a kind per recipient and declaration, ever: the unique key of the message."""
    return f"rappel:{kind}:{declaration_id}:{recipient}"


def notice_key(kind: str, about: str, recipient: uuid.UUID | str) -> str:
    return f"avis:{kind}:{about}:{recipient}"


def message_id(key: str, sender: str) -> str:
    """The RFC 5322 Message-ID of a message, derived from its key: a resend after a crash carries the same one."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "afas.local"
    return f"<{digest}@{domain}>"


def retry_delay(attempts: int, backoff: list[float]) -> float | None:
    """Seconds before the next try after ``attempts`` failed ones; None once every delay was used."""
    if attempts > len(backoff):
        return None
    return backoff[attempts - 1]
