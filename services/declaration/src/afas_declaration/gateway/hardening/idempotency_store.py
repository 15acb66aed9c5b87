"""Idempotency-Key: a client that retries a create or a transmit (timeout, lost answer) gets the first answer
again instead of a second effect.

The key is scoped to its owner (the user, or the operator) so that nobody replays another's answer; the
request's fingerprint (route + body) must match, or the reuse is refused. A first call reserves the key before
acting, so a concurrent retry is told to wait rather than acting twice. A reservation lasts a lease
(``AFAS_DECLARATION_IDEMPOTENCY_LEASE_SECONDS``, more than the longest request): a request that never finished
(the gateway died) does not hold its key longer, a retry after the lease takes the key over and runs. A finished
request's answer is kept a day and replayed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from afas_declaration.adapters.tables import IdempotencyRecord
from afas_declaration.application import request_outcome
from afas_shared.runtime import ServiceRuntime

KEEP_FOR = timedelta(days=1)
# How often a process deletes the answers older than KEEP_FOR: not on every request (a statement per transmit at the
# deadline peak, issue 16) — a day's answers wait at most this much longer, and a replay checks their age anyway
SWEEP_EVERY = timedelta(minutes=1)
MAX_KEY_LENGTH = 200
DEFAULT_LEASE = timedelta(seconds=60)


class IdempotencyConflict(Exception):
    """The key is being used for another request, or its first use is still running; ``message`` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def fingerprint(route: str, body: Any) -> str:
    text = json.dumps([route, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def once(
    runtime: ServiceRuntime,
    owner: str,
    key: str | None,
    request_fingerprint: str,
    action: Callable[[], Awaitable[tuple[int, Any]]],
    kept_as: Callable[[int, Any], Any] | None = None,
) -> tuple[int, Any]:
    """Run ``action`` (returning status and JSON body) at most once per (owner, key); replay its answer after."""
    if key is None:
        return await action()
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise IdempotencyConflict(f"En-tête Idempotency-Key invalide (1 à {MAX_KEY_LENGTH} caractères).")
    now = runtime.clock.now()
    try:
        async with runtime.db.transaction() as session:
            if _sweep_due(runtime, now):
                await session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - KEEP_FOR))
            session.add(IdempotencyRecord(owner=owner, key=key, fingerprint=request_fingerprint, created_at=now))
    except IntegrityError:
        if not await _take_over_expired(runtime, owner, key, request_fingerprint, now):
            return await _replay(runtime, owner, key, request_fingerprint)
    mine = (IdempotencyRecord.owner == owner, IdempotencyRecord.key == key, IdempotencyRecord.created_at == now)
    kept: list[tuple[int, Any]] = []

    async def keep(session: AsyncSession, status: int, answer: Any) -> None:
        # In the use case's own transaction: committed with its effect, or not at all
        body = kept_as(status, answer) if kept_as is not None else answer
        await session.execute(
            sa.update(IdempotencyRecord)
            .where(*mine, IdempotencyRecord.status.is_(None))
            .values(status=status, body=json.dumps(body, ensure_ascii=False))
        )
        kept.append((status, body))

    try:
        with request_outcome.settled_by(keep):
            status, body = await action()
    except BaseException:
        # A refused or failed first call leaves nothing done: the client may retry under the same key.
        async with runtime.db.transaction() as session:
            await session.execute(sa.delete(IdempotencyRecord).where(*mine, IdempotencyRecord.status.is_(None)))
        raise
    if kept and kept[-1] == (status, body):
        return status, body  # the use case kept this very answer with its effect: nothing more to write
    async with runtime.db.transaction() as session:
        # Only its own reservation: one taken over after the lease belongs to the retry now. The answer as sent
        # replaces the one the use case kept with its effect, where the route's serialisation differs from it.
        await session.execute(
            sa.update(IdempotencyRecord).where(*mine).values(status=status, body=json.dumps(body, ensure_ascii=False))
        )
    return status, body


def _sweep_due(runtime: ServiceRuntime, now: datetime) -> bool:
    """Whether this process's turn to delete the expired answers has come (once per ``SWEEP_EVERY``)."""
    last = runtime.state.get("idempotency_swept_at")
    if last is not None and timedelta(0) <= now - last < SWEEP_EVERY:
        return False
    runtime.state["idempotency_swept_at"] = now
    return True


def lease(runtime: ServiceRuntime) -> timedelta:
    seconds = getattr(runtime.settings, "idempotency_lease_seconds", None)
    return timedelta(seconds=seconds) if seconds else DEFAULT_LEASE


async def _take_over_expired(
    runtime: ServiceRuntime, owner: str, key: str, request_fingerprint: str, now: datetime
) -> bool:
    """Renew for this request a reservation whose lease ran out (its request died unfinished; a retry of it), or a
    key whose day is over that no sweep deleted yet (forgotten: any request may use it again); one request wins."""
    async with runtime.db.transaction() as session:
        taken = await session.execute(
            sa.update(IdempotencyRecord)
            .where(
                IdempotencyRecord.owner == owner,
                IdempotencyRecord.key == key,
                sa.or_(
                    sa.and_(
                        IdempotencyRecord.fingerprint == request_fingerprint,
                        IdempotencyRecord.status.is_(None),
                        IdempotencyRecord.created_at <= now - lease(runtime),
                    ),
                    IdempotencyRecord.created_at < now - KEEP_FOR,
                ),
            )
            .values(created_at=now, fingerprint=request_fingerprint, status=None, body=None)
        )
    return taken.rowcount == 1


async def _replay(runtime: ServiceRuntime, owner: str, key: str, request_fingerprint: str) -> tuple[int, Any]:
    async with runtime.db.sessions() as session:
        record = await session.get(IdempotencyRecord, (owner, key))
    if record is None:
        raise IdempotencyConflict("Cette clé d'idempotence vient d'être libérée : renvoyez la demande.")
    if record.fingerprint != request_fingerprint:
        raise IdempotencyConflict("Cette clé d'idempotence a déjà servi pour une autre demande.")
    if record.status is None:
        seconds = int(lease(runtime).total_seconds())
        raise IdempotencyConflict(
            "Une demande avec cette clé d'idempotence est en cours : "
            f"patientez (au plus {seconds} s), puis renvoyez-la."
        )
    return record.status, json.loads(record.body)
