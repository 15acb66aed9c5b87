"""The answer a request will get, written in the same transaction as its effect when the client asked to get it
again on a retry (an Idempotency-Key): a process that dies between the commit and the answer cannot leave the key
without its answer — the retry then gets the first answer, not « already done » (issue 16's fault drill).

The gateway says how to keep an answer (``settled_by``); a use case that commits an effect worth replaying calls
``settle`` in its unit of work. Outside such a request, ``settle`` does nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Settle = Callable[[AsyncSession, int, Any], Awaitable[None]]
_settle: ContextVar[Settle | None] = ContextVar("afas_request_outcome", default=None)


@contextmanager
def settled_by(keep: Settle) -> Iterator[None]:
    token = _settle.set(keep)
    try:
        yield
    finally:
        _settle.reset(token)


async def settle(session: AsyncSession, status: int, answer: Any) -> None:
    """Keep ``answer`` (status and JSON body) for the request being served, in ``session``'s transaction."""
    keep = _settle.get()
    if keep is not None:
        await keep(session, status, answer)
