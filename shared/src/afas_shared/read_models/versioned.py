"""Read models fed by events: apply a change only if it is newer than what is stored.

Delivery order is not trusted; ``aggregate_version`` decides (a stale or repeated event is a no-op).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel


async def apply_versioned(
    session: AsyncSession, model: type[SQLModel], key: Any, version: int, values: dict[str, Any]
) -> bool:
    """Insert or update the row ``key`` to ``values`` at ``version``; False when the event was stale."""
    row = await session.get(model, key)
    if row is None:
        session.add(model(**values, version=version))
        return True
    if row.version >= version:
        return False
    for name, value in values.items():
        setattr(row, name, value)
    row.version = version
    return True
