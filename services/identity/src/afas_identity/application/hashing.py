"""Password hashing with the parameters from the settings, on a worker thread.

argon2-cffi calls the C library through cffi, which releases the GIL for the call (``make bench-logins`` measures
two hashes on two threads against two in a row): a thread keeps the event loop answering while a hash runs, without
a process pool's copying and start-up.
"""

from __future__ import annotations

import asyncio

from afas_identity.domain.passwords import (
    HashParameters,
    hash_password,
    needs_rehash,
    verify_against_dummy,
    verify_password,
)
from afas_shared.runtime import ServiceRuntime


def parameters(runtime: ServiceRuntime) -> HashParameters:
    settings = runtime.settings
    return HashParameters(
        memory_kib=settings.password_memory_kib,
        time_cost=settings.password_time_cost,
        parallelism=settings.password_parallelism,
    )


async def hash_new(runtime: ServiceRuntime, password: str) -> str:
    return await asyncio.to_thread(hash_password, password, parameters(runtime))


async def verify(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(verify_password, password_hash, password)


async def verify_unknown(runtime: ServiceRuntime, password: str) -> None:
    """The time of a real verification with today's parameters, for an identifier that has no password."""
    await asyncio.to_thread(verify_against_dummy, password, parameters(runtime))


async def rehashed(runtime: ServiceRuntime, password_hash: str, password: str) -> str | None:
    """A new hash when ``password_hash`` (just verified against ``password``) was made with other parameters."""
    if not needs_rehash(password_hash, parameters(runtime)):
        return None
    return await hash_new(runtime, password)
