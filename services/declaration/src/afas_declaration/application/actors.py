"""Who acts on a declaration, for its aggregate's transitions (``domain.declaration.Actor``): from the caller's
standing on the activity (``permissions.standing_in``) and its name as the user directory knows it."""

from __future__ import annotations

import uuid

from afas_declaration.domain.access_policy import Standing
from afas_declaration.domain.lifecycle import Actor
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.read_models.user_directory import KnownUser


def full_name(user: KnownUser | None) -> str | None:
    return f"{user.first_name} {user.last_name}" if user else None


def actor_of(
    caller: ForwardedCaller,
    who: Standing | None = None,
    user: KnownUser | None = None,
    fills: frozenset[uuid.UUID] = frozenset(),
) -> Actor:
    who = who or Standing()
    return Actor(
        user_id=caller.user_id,
        name=full_name(user),
        member=who.partner_member,
        approbateur=who.approbateur,
        instructor=who.instructor,
        fills=fills,
    )
