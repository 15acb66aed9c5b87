"""Grant lines and activity names from habilitation's events, and the notices they call for: role granted or
ended, approbateur pending, validated or rejected by the Caf."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from afas_notification.adapters.tables import ActivityName, GrantCopy
from afas_notification.application import messages
from afas_notification.domain import reminders, templates
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


async def _notify(runtime: ServiceRuntime, uow: UnitOfWork, kind: str, grant_id: uuid.UUID, user_id, render) -> None:
    link = f"{runtime.settings.public_base_url}/"
    await messages.enqueue(
        uow.session,
        key=reminders.notice_key(kind, str(grant_id), user_id),
        kind=kind,
        rendered=render(await messages.first_name(uow.session, user_id), link),
        now=runtime.clock.now(),
        sender=runtime.settings.mail_sender,
        user_id=user_id,
        link=link,
    )


async def on_role_granted(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[RoleGrantedV1]) -> None:
    g = envelope.data
    if await GRANT_LINES.grant(uow.session, g) is not Granted.NEW:
        # A replay; or a line decided before it arrived, whose decision was notified already: a "role granted"
        # notice after it would contradict it
        return
    name = await _activity_name(uow, g.activity_id)
    if g.role == "approbateur" and g.validation == "pending":
        await _notify(
            runtime,
            uow,
            "approbateur_en_attente",
            g.grant_id,
            g.user_id,
            lambda first, link: templates.approbateur_pending(name, first, link),
        )
    else:
        await _notify(
            runtime,
            uow,
            "role_accorde",
            g.grant_id,
            g.user_id,
            lambda first, link: templates.role_granted(g.role, name, first, link),
        )


async def on_grant_validated(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[GrantValidatedV1]) -> None:
    line = await GRANT_LINES.decide(uow.session, envelope.data)
    if line is None:  # validated already: nothing notified again
        return
    name = await _activity_name(uow, line.activity_id)
    await _notify(
        runtime,
        uow,
        "approbateur_valide",
        line.grant_id,
        line.user_id,
        lambda first, link: templates.approbateur_validated(name, first, link),
    )


async def on_grant_rejected(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[GrantRejectedV1]) -> None:
    line = await GRANT_LINES.decide(uow.session, envelope.data)
    if line is None:  # rejected already: nothing notified again
        return
    name, reason = await _activity_name(uow, line.activity_id), envelope.data.reason
    await _notify(
        runtime,
        uow,
        "approbateur_refuse",
        line.grant_id,
        line.user_id,
        lambda first, link: templates.approbateur_rejected(name, reason, first, link),
    )


async def on_grant_ended(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[GrantEndedV1]) -> None:
    line, end = await GRANT_LINES.end(uow.session, envelope.data), envelope.data.end_date
    if line is None:  # ended as early already
        return
    name, role = await _activity_name(uow, line.activity_id), line.role
    await _notify(
        runtime,
        uow,
        "role_fin",
        line.grant_id,
        line.user_id,
        lambda first, link: templates.role_ended(role, name, end, first, link),
    )
