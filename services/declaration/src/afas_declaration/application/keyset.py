"""Keyset pagination: a list read one page at a time, after (or before) the last row seen in a stable order.

A page costs what it shows, whatever the list's length: the database seeks the cursor's key in the order's index
instead of skipping rows (an offset reads every row it skips), and rows inserted meanwhile never shift the next page
(no gap, no repeat). The cursor is opaque to the client: base64 of the list's name, the direction and the key of
the row it continues from. Each list names its key (``SortKey``s, the last one unique) and builds its own query.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from afas_declaration.application.errors import Invalid

BAD_CURSOR = "Curseur de pagination invalide : reprenez la liste depuis sa première page."
FORWARD, BACKWARD = "apres", "avant"


@dataclass(frozen=True)
class SortKey:
    """One column of a list's order: its label in the query's rows, and how a cursor's JSON value is read back."""

    column: Any  # a SQLAlchemy column expression (``ColumnElement``), never NULL
    label: str
    parse: Callable[[Any], Any]
    descending: bool = False


def as_uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))


def as_datetime(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(value)
    return value


def as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(value)
    return value


@dataclass(frozen=True)
class PageRequest:
    """What the client asked: how many rows (None: the settings' default) and after which cursor (None: the start)."""

    limite: int | None = None
    curseur: str | None = None


@dataclass(frozen=True)
class Position:
    """Where a page starts: after (forward) or before (backward) the key of a row seen, or at the list's start."""

    backward: bool = False
    key: tuple[Any, ...] | None = None


def page_size(request: PageRequest, default: int, maximum: int) -> int:
    if request.limite is None:
        return default
    if not 1 <= request.limite <= maximum:
        raise Invalid(f"La taille de page doit être comprise entre 1 et {maximum}.", "limite")
    return request.limite


def encode(list_name: str, direction: str, key: tuple[Any, ...]) -> str:
    values = [str(v) if isinstance(v, uuid.UUID | datetime) else v for v in key]
    raw = json.dumps([list_name, direction, values], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(list_name: str, token: str | None, keys: Sequence[SortKey]) -> Position:
    """The position a client's cursor names; a cursor altered, truncated or of another list is a 422 naming it."""
    if token is None:
        return Position()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        name, direction, values = json.loads(raw)
        if name != list_name or direction not in (FORWARD, BACKWARD) or len(values) != len(keys):
            raise ValueError(token)
        return Position(direction == BACKWARD, tuple(k.parse(v) for k, v in zip(keys, values, strict=True)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Invalid(BAD_CURSOR, "curseur") from None


def beyond(keys: Sequence[SortKey], key: tuple[Any, ...], *, backward: bool = False) -> sa.ColumnElement[bool]:
    """Rows strictly after ``key`` in the list's order (strictly before it when ``backward``): the lexicographic
    comparison spelled out column by column, as the keys mix ascending and descending columns."""
    clauses = []
    for index, sort in enumerate(keys):
        later = (sort.column < key[index]) if sort.descending != backward else (sort.column > key[index])
        equal = [k.column == key[i] for i, k in enumerate(keys[:index])]
        clauses.append(sa.and_(*equal, later))
    return sa.or_(*clauses)


def ordering(keys: Sequence[SortKey], *, backward: bool = False, source: Any = None) -> list[Any]:
    """The list's ORDER BY (reversed when reading backward); on ``source``'s columns of the keys' labels when given
    (a subquery holding the page)."""
    columns = [source.c[k.label] if source is not None else k.column for k in keys]
    return [c.desc() if k.descending != backward else c.asc() for k, c in zip(keys, columns, strict=True)]


def counts(
    counted: sa.Select, keys: Sequence[SortKey], at: Position, keyed: sa.Select | None = None
) -> tuple[Any, Any]:
    """Scalar subqueries for the page's own query: the list's total (``counted``), and how many rows precede the
    page's start (the key of a forward cursor included: the page begins after it), counted on ``keyed`` when the
    total's FROM lacks a table of the keys."""
    total = counted.correlate(None).scalar_subquery()  # its own rows: never correlated with the page's
    if at.key is None:
        return total, sa.literal(0)
    counted = (keyed if keyed is not None else counted).correlate(None)
    preceding = beyond(keys, at.key, backward=True)
    if not at.backward:
        preceding = sa.not_(beyond(keys, at.key))
    return total, counted.where(preceding).scalar_subquery()


def paged(select: sa.Select, keys: Sequence[SortKey], at: Position, size: int) -> sa.Select:
    """The page's rows (one more, to know whether another page follows), in the direction read."""
    if at.key is not None:
        select = select.where(beyond(keys, at.key, backward=at.backward))
    return select.order_by(*ordering(keys, backward=at.backward)).limit(size + 1)


@dataclass(frozen=True)
class Window:
    """A page read: its rows in the list's order, and the cursors around it."""

    rows: list[Any]
    next_key: tuple[Any, ...] | None
    previous_key: tuple[Any, ...] | None
    start: int  # the 1-based rank of the first row (0: an empty page)


def window(rows: Sequence[Any], keys: Sequence[SortKey], at: Position, size: int, preceding: int) -> Window:
    """Rows read by ``paged`` (in its direction) cut to the page, with what lies on either side of it."""
    more = len(rows) > size
    kept = list(rows[:size])
    if at.backward:
        kept.reverse()
    first_rank = (preceding - len(kept) + 1) if at.backward else preceding + 1

    def key_of(row: Any) -> tuple[Any, ...]:
        return tuple(getattr(row, k.label) for k in keys)

    has_next = bool(kept) and (more if not at.backward else True)
    has_previous = bool(kept) and (more if at.backward else at.key is not None)
    return Window(
        rows=kept,
        next_key=key_of(kept[-1]) if has_next else None,
        previous_key=key_of(kept[0]) if has_previous else None,
        start=first_rank if kept else 0,
    )


def reply(list_name: str, page: Window, elements: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """The page as the API and the pages answer it (``elements``: the page's rows shaped by their list)."""
    return {
        "elements": elements,
        "total": total,
        "debut": page.start,
        "fin": page.start + len(elements) - 1 if elements else 0,
        "curseur_suivant": encode(list_name, FORWARD, page.next_key) if page.next_key else None,
        "curseur_precedent": encode(list_name, BACKWARD, page.previous_key) if page.previous_key else None,
    }
