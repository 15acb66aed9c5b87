"""When a grant line acts: the one rule every copy of habilitation's grant lines is read by.

It mirrors habilitation's own (``afas_habilitation.domain.grants``): a line acts from its start date to its end date
included, unless it was ended, once the Caf validated it when it needed to (an approbateur waits for its Caf). Pure
(no I/O), so a service's domain may ask it too; ``acting_clause`` is the same rule as SQL, for a query that selects
by it (a list scoped to the activities a user acts on), kept beside it and tested against it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Protocol

import sqlalchemy as sa

# Not yet decided, or refused by the Caf: the line never acted.
NOT_ACTING = frozenset({"pending", "rejected"})


class GrantTerms(Protocol):
    """What the rule reads of a grant line (a row of a service's copy, or a value built by a test)."""

    @property
    def role(self) -> str: ...

    @property
    def activity_id(self) -> uuid.UUID: ...

    @property
    def site_id(self) -> uuid.UUID | None: ...

    @property
    def start_date(self) -> date: ...

    @property
    def end_date(self) -> date | None: ...

    @property
    def validation(self) -> str: ...

    @property
    def ended(self) -> bool: ...


def in_force(line: GrantTerms, today: date) -> bool:
    """Within its dates and not ended, whatever the Caf decided (an ended line stops at once, not at midnight)."""
    return not line.ended and line.start_date <= today and (line.end_date is None or line.end_date >= today)


def acts(line: GrantTerms, today: date) -> bool:
    """In force, and validated by the Caf when it had to be."""
    return in_force(line, today) and line.validation not in NOT_ACTING


def acting_clause(table: Any, today: date) -> sa.ColumnElement[bool]:
    """``acts`` as a WHERE clause on a table of grant lines (``GrantLineColumns``)."""
    return sa.and_(
        sa.not_(table.ended),
        table.start_date <= today,
        sa.or_(table.end_date.is_(None), table.end_date >= today),
        table.validation.not_in(sorted(NOT_ACTING)),
    )
