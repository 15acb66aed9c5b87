"""Grant lines and activity names from habilitation's events, and the notices they call for: role granted or
ended, approbateur pending, validated or rejected by the Caf."""

from __future__ import annotations

import uuid
from datetime import date

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
from afas_shared.read_models.versioned import apply_versioned, stale
from afas_shared.runtime import ServiceRuntime

# A decision or an end may overtake its grant (each event type has its own consumer, and a backlog may hold the
# grant longer than the retries last): its notice goes out, and the line is kept with a start no date reaches, so it
# names no recipient of reminders, until the grant arrives and fills it in, keeping what was decided.
NOT_YET_GRANTED = date.max


async def on_activity_state(
    runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[ActivityRegisteredV1 | ActivityUpdatedV1]
) -> None:
    a = envelope.data
    values = {
        "activity_id": a.activity_id,
        "partner_id": a.partner_id,
        "caf_code": a.caf_code,
        "family": a.family,
        "name": a.name,
    }
    await apply_versioned(uow.session, ActivityName, a.activity_id, envelope.aggregate_version, values)


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
    line = await uow.session.get(GrantCopy, g.grant_id)
    if line is not None and line.start_date == NOT_YET_GRANTED:  # decided before it arrived: keep the decision
        line.user_id, line.role, line.activity_id = g.user_id, g.role, g.activity_id
        line.site_id, line.start_date = g.site_id, g.start_date
        if g.end_date is not None:
            line.end_date = min(line.end_date, g.end_date) if line.end_date else g.end_date
        if line.validation not in ("validated", "rejected"):
            line.validation = g.validation
        return  # its decision was notified already: a "role granted" notice after it would contradict it
    if line is not None:
        stale()  # the grant is a line's first event: a replay (even under a new id), a counted no-op
        return
    uow.session.add(
        GrantCopy(
            grant_id=g.grant_id,
            user_id=g.user_id,
            role=g.role,
            activity_id=g.activity_id,
            site_id=g.site_id,
            start_date=g.start_date,
            end_date=g.end_date,
            validation=g.validation,
        )
    )
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


async def _known(uow: UnitOfWork, envelope: Envelope[GrantValidatedV1 | GrantRejectedV1 | GrantEndedV1]) -> GrantCopy:
    """The line the event is about; one that names no recipient yet when the decision overtook the grant."""
    d = envelope.data
    line = await uow.session.get(GrantCopy, d.grant_id)
    if line is None:
        line = GrantCopy(
            grant_id=d.grant_id,
            user_id=d.user_id,
            role="",
            activity_id=d.activity_id,
            start_date=NOT_YET_GRANTED,
            validation="pending",
        )
        uow.session.add(line)
    return line


def _decided(line: GrantCopy, validation: str) -> bool:
    """Record the Caf's decision; False (a counted no-op, nothing notified again) when decided so already."""
    if line.validation == validation:
        return stale()
    line.validation = validation
    return True


async def on_grant_validated(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[GrantValidatedV1]) -> None:
    line = await _known(uow, envelope)
    if not _decided(line, "validated"):
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
    line = await _known(uow, envelope)
    if not _decided(line, "rejected"):
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
    line, end = await _known(uow, envelope), envelope.data.end_date
    if line.ended and line.end_date is not None and line.end_date <= end:
        stale()  # ended as early already: a replay, a counted no-op
        return
    line.ended = True
    line.end_date = min(line.end_date, end) if line.end_date else end
    name, role = await _activity_name(uow, line.activity_id), line.role
    await _notify(
        runtime,
        uow,
        "role_fin",
        line.grant_id,
        line.user_id,
        lambda first, link: templates.role_ended(role, name, end, first, link),
    )
