"""Grant lines and activity names from habilitation's events, and the notices they call for: role granted or
ended, approbateur pending, validated or rejected by the Caf."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_notification.adapters.tables import ActivityName, GrantCopy, Preference
from afas_notification.application import messages
from afas_notification.domain import reminders, templates
from afas_notification.domain.templates import NAME_PLACEHOLDER
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.habilitation import (
    ActivityRegisteredV1,
    ActivityUpdatedV1,
    GrantEndedV1,
    GrantRejectedV1,
    GrantValidatedV1,
    RoleGrantedV1,
)
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.grant_lines import Granted, GrantLines
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.read_models.versioned import apply_groups_batch, apply_versioned
from afas_shared.runtime import ServiceRuntime

# A decision or an end that overtook its grant has its notice sent, and its line names no recipient of reminders
# until the grant arrives (``afas_shared.read_models.grant_lines``).
GRANT_LINES = GrantLines(GrantCopy)


def _activity_values(a: ActivityRegisteredV1 | ActivityUpdatedV1) -> dict[str, Any]:
    return {
        "activity_id": a.activity_id,
        "partner_id": a.partner_id,
        "caf_code": a.caf_code,
        "family": a.family,
        "name": a.name,
    }


async def on_activity_state(
    runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[ActivityRegisteredV1 | ActivityUpdatedV1]
) -> None:
    a = envelope.data
    await apply_versioned(uow.session, ActivityName, a.activity_id, envelope.aggregate_version, _activity_values(a))


async def on_activity_states(
    runtime: ServiceRuntime, uow: UnitOfWork, envelopes: Sequence[Envelope[ActivityRegisteredV1 | ActivityUpdatedV1]]
) -> list[bool]:
    """``on_activity_state`` for a consumer's batch (issue 16): one read and one upsert for all the names."""
    changes = [(e.data.activity_id, e.aggregate_version, {"version": _activity_values(e.data)}) for e in envelopes]
    return [bool(done) for done in await apply_groups_batch(uow.session, ActivityName, changes)]


async def _activity_name(uow: UnitOfWork, activity_id: uuid.UUID) -> str | None:
    activity = await uow.session.get(ActivityName, activity_id)
    return activity.name if activity else None


class Known:
    """What a batch's notices need, read by one query each (activity names, first names, mail preferences), where
    one event reads its own."""

    def __init__(self) -> None:
        self.names: dict[uuid.UUID, str] = {}
        self.first_names: dict[uuid.UUID, str] = {}
        self.preferences: dict[uuid.UUID, Preference] = {}

    @classmethod
    async def load(cls, session: AsyncSession, activity_ids: set[uuid.UUID], user_ids: set[uuid.UUID]) -> Known:
        known = cls()
        if activity_ids:
            query = sa.select(ActivityName.activity_id, ActivityName.name)
            known.names = dict((await session.execute(query.where(ActivityName.activity_id.in_(activity_ids)))).all())
        if user_ids:
            query = sa.select(KnownUser.user_id, KnownUser.first_name).where(KnownUser.user_id.in_(user_ids))
            known.first_names = dict((await session.execute(query)).all())
            rows = await session.execute(sa.select(Preference).where(Preference.user_id.in_(user_ids)))
            known.preferences = {p.user_id: p for p in rows.scalars()}
        return known


async def _notify(runtime: ServiceRuntime, uow: UnitOfWork, kind: str, grant_id, user_id, render, known=None) -> None:
    """The notice; ``known``: what a batch read for all its notices (else read here)."""
    link = f"{runtime.settings.public_base_url}/"
    if known is None:
        rendered, mail = render(await messages.first_name(uow.session, user_id), link), None
    else:
        rendered = render(known.first_names.get(user_id, NAME_PLACEHOLDER), link)
        mail = messages.wanted(known.preferences.get(user_id), rendered.category)
    await messages.enqueue(
        uow.session,
        key=reminders.notice_key(kind, str(grant_id), user_id),
        kind=kind,
        rendered=rendered,
        now=runtime.clock.now(),
        sender=runtime.settings.mail_sender,
        user_id=user_id,
        link=link,
        mail=mail,
    )


async def on_role_granted(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[RoleGrantedV1]) -> None:
    g = envelope.data
    if await GRANT_LINES.grant(uow.session, g) is not Granted.NEW:
        # A replay; or a line decided before it arrived, whose decision was notified already: a "role granted"
        # notice after it would contradict it
        return
    await _granted(runtime, uow, g, await _activity_name(uow, g.activity_id))


async def on_roles_granted(
    runtime: ServiceRuntime, uow: UnitOfWork, envelopes: Sequence[Envelope[RoleGrantedV1]]
) -> list[bool]:
    """``on_role_granted`` for a consumer's batch (issue 16): the lines read by one query, what the notices need by
    one query each; a notice for each new line only, as one by one."""
    granted = await GRANT_LINES.grant_all(uow.session, [e.data for e in envelopes])
    new = [e.data for e, g in zip(envelopes, granted, strict=True) if g is Granted.NEW]
    known = await Known.load(uow.session, {g.activity_id for g in new}, {g.user_id for g in new})
    for g in new:
        await _granted(runtime, uow, g, known.names.get(g.activity_id), known)
    return [g is not Granted.REPLAYED for g in granted]


async def _granted(runtime: ServiceRuntime, uow: UnitOfWork, g: RoleGrantedV1, name, known: Known | None = None):
    if g.role == "approbateur" and g.validation == "pending":
        await _notify(
            runtime,
            uow,
            "approbateur_en_attente",
            g.grant_id,
            g.user_id,
            lambda first, link: templates.approbateur_pending(name, first, link),
            known,
        )
    else:
        await _notify(
            runtime,
            uow,
            "role_accorde",
            g.grant_id,
            g.user_id,
            lambda first, link: templates.role_granted(g.role, name, first, link),
            known,
        )


async def on_grant_validated(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[GrantValidatedV1]) -> None:
    line = await GRANT_LINES.decide(uow.session, envelope.data)
    if line is None:  # validated already: nothing notified again
        return
    await _validated(runtime, uow, line, await _activity_name(uow, line.activity_id), envelope.data)


async def on_grants_validated(
    runtime: ServiceRuntime, uow: UnitOfWork, envelopes: Sequence[Envelope[GrantValidatedV1]]
) -> list[bool]:
    """``on_grant_validated`` for a consumer's batch (issue 16), as ``on_roles_granted``."""
    lines = await GRANT_LINES.decide_all(uow.session, [e.data for e in envelopes])
    return await _notify_applied(runtime, uow, envelopes, lines, _validated)


async def on_grant_rejected(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[GrantRejectedV1]) -> None:
    line = await GRANT_LINES.decide(uow.session, envelope.data)
    if line is None:  # rejected already: nothing notified again
        return
    await _rejected(runtime, uow, line, await _activity_name(uow, line.activity_id), envelope.data)


async def on_grants_rejected(
    runtime: ServiceRuntime, uow: UnitOfWork, envelopes: Sequence[Envelope[GrantRejectedV1]]
) -> list[bool]:
    """``on_grant_rejected`` for a consumer's batch (issue 16)."""
    lines = await GRANT_LINES.decide_all(uow.session, [e.data for e in envelopes])
    return await _notify_applied(runtime, uow, envelopes, lines, _rejected)


async def on_grant_ended(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[GrantEndedV1]) -> None:
    line = await GRANT_LINES.end(uow.session, envelope.data)
    if line is None:  # ended as early already
        return
    await _ended(runtime, uow, line, await _activity_name(uow, line.activity_id), envelope.data)


async def on_grants_ended(
    runtime: ServiceRuntime, uow: UnitOfWork, envelopes: Sequence[Envelope[GrantEndedV1]]
) -> list[bool]:
    """``on_grant_ended`` for a consumer's batch (issue 16): a partner's user leaving ends all their lines at once."""
    return await _notify_applied(
        runtime, uow, envelopes, await GRANT_LINES.end_all(uow.session, [e.data for e in envelopes]), _ended
    )


async def _notify_applied(runtime: ServiceRuntime, uow: UnitOfWork, envelopes, lines, notice) -> list[bool]:
    """A batch's notices once its events are applied: one per line the event changed (``lines``, None for a counted
    no-op), with what the notices need read by one query each; whether each event was handled."""
    changed = [(line, e.data) for line, e in zip(lines, envelopes, strict=True) if line is not None]
    known = await Known.load(uow.session, {x.activity_id for x, _ in changed}, {x.user_id for x, _ in changed})
    for line, data in changed:
        await notice(runtime, uow, line, known.names.get(line.activity_id), data, known)
    return [line is not None for line in lines]


async def _validated(runtime: ServiceRuntime, uow: UnitOfWork, line, name, _: GrantValidatedV1, known=None) -> None:
    await _notify(
        runtime,
        uow,
        "approbateur_valide",
        line.grant_id,
        line.user_id,
        lambda first, link: templates.approbateur_validated(name, first, link),
        known,
    )


async def _rejected(runtime: ServiceRuntime, uow: UnitOfWork, line, name, data: GrantRejectedV1, known=None) -> None:
    await _notify(
        runtime,
        uow,
        "approbateur_refuse",
        line.grant_id,
        line.user_id,
        lambda first, link: templates.approbateur_rejected(name, data.reason, first, link),
        known,
    )


async def _ended(runtime: ServiceRuntime, uow: UnitOfWork, line, name, data: GrantEndedV1, known=None) -> None:
    role = line.role
    await _notify(
        runtime,
        uow,
        "role_fin",
        line.grant_id,
        line.user_id,
        lambda first, link: templates.role_ended(role, name, data.end_date, first, link),
        known,
    )
