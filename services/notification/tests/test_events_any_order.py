"""Events that meet in notification's read models, in any order (issue 15): a form's events and its declaration's
controls agree on ``ready`` whatever their order and are handled under one key; a stale or repeated event is a
counted no-op; a notice queued before its user was known greets the user by name once known."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from afas_notification.adapters.tables import CampaignCopy, DeclarationCopy, FormCopy, Message
from afas_notification.application import sender
from afas_shared.clock import ManualClock
from afas_shared.contracts.events.declaration import (
    CampaignOpenedV1,
    DeclarationControlledV1,
    FormSavedV1,
    FormSentBackV1,
)
from afas_shared.contracts.events.habilitation import GrantEndedV1, GrantValidatedV1, RoleGrantedV1
from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.testing.credentials import ask_as
from afas_shared.testing.delivery import deliver, event
from afas_shared.testing.fixtures import running
from afas_shared.testing.grants import pending_approbateur_grant

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Declaration:
    def __init__(self) -> None:
        self.id, self.activity, self.form = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def saved(self, version: int, at: datetime):
        data = FormSavedV1(
            form_id=self.form,
            declaration_id=self.id,
            activity_id=self.activity,
            kind="activite",
            form_version=version,
            saved_by=uuid.uuid4(),
        )
        # ordered as declaration publishes a form's events: version × 10, its send-back + 1
        return event(data, self.form, version * 10, time=at)

    def sent_back(self, version: int, at: datetime):
        data = FormSentBackV1(
            form_id=self.form,
            declaration_id=self.id,
            activity_id=self.activity,
            kind="activite",
            comment="À revoir",
            sent_back_by=uuid.uuid4(),
        )
        return event(data, self.form, version * 10 + 1, time=at)

    def controlled(self, ready: bool, at: datetime, version: int = 1):
        data = DeclarationControlledV1(
            declaration_id=self.id,
            activity_id=self.activity,
            declaration_version=version,
            blocking=0 if ready else 1,
            flagged=0,
            ready=ready,
        )
        return event(data, self.id, version * 10, time=at)

    async def copy(self, runtime) -> tuple[DeclarationCopy, FormCopy]:
        async with runtime.db.sessions() as session:
            return await session.get(DeclarationCopy, self.id), await session.get(FormCopy, self.form)


def test_a_forms_events_are_handled_under_its_declarations_key(make_settings):
    from afas_notification.entrypoints.bus import KEYS

    d = Declaration()
    assert {KEYS[type(e.data)](e) for e in (d.saved(1, T0), d.sent_back(1, T0))} == {str(d.id)}


@pytest.mark.parametrize("controls_first", [True, False])
async def test_a_save_after_the_controls_calls_for_controlling_again_in_either_order(make_settings, controls_first):
    d = Declaration()
    controls, later_save = d.controlled(True, T0), d.saved(2, T0 + timedelta(minutes=5))
    async with running(make_settings("notification")) as runtime:
        await deliver(runtime, d.saved(1, T0 - timedelta(minutes=5)))
        for e in [controls, later_save] if controls_first else [later_save, controls]:
            assert await deliver(runtime, e) == "handled"
        declaration, form = await d.copy(runtime)
    assert (declaration.ready, form.filled, form.form_version) == (False, True, 2)


async def test_a_save_and_the_controls_handled_at_once_never_interleave(make_settings):
    """Handled together (a fetched batch), under the declaration's key: whichever commits last sees the other."""
    d = Declaration()
    async with running(make_settings("notification")) as runtime:
        await deliver(runtime, d.saved(1, T0 - timedelta(minutes=5)))
        for i in range(5):
            controls, save = (
                d.controlled(True, T0 + timedelta(hours=i)),
                d.saved(i + 2, T0 + timedelta(hours=i, minutes=5)),
            )
            assert await asyncio.gather(deliver(runtime, save), deliver(runtime, controls)) == ["handled", "handled"]
            declaration, _ = await d.copy(runtime)
            assert not declaration.ready


@pytest.mark.parametrize("controls_first", [True, False])
async def test_a_save_before_the_controls_leaves_the_declaration_ready_in_either_order(make_settings, controls_first):
    d = Declaration()
    earlier_save, controls = d.saved(1, T0 - timedelta(minutes=5)), d.controlled(True, T0)
    async with running(make_settings("notification")) as runtime:
        for e in [controls, earlier_save] if controls_first else [earlier_save, controls]:
            assert await deliver(runtime, e) == "handled"
        declaration, _ = await d.copy(runtime)
    assert declaration.ready


@pytest.mark.parametrize("send_back_first", [True, False])
async def test_a_send_back_after_the_controls_calls_for_controlling_again_in_either_order(
    make_settings, send_back_first
):
    d = Declaration()
    controls, send_back = d.controlled(True, T0), d.sent_back(1, T0 + timedelta(minutes=1))
    async with running(make_settings("notification")) as runtime:
        await deliver(runtime, d.saved(1, T0 - timedelta(minutes=5)))
        for e in [send_back, controls] if send_back_first else [controls, send_back]:
            assert await deliver(runtime, e) == "handled"
        declaration, form = await d.copy(runtime)
    assert (declaration.ready, form.filled) == (False, False)


async def test_form_and_control_events_older_or_repeated_are_counted_no_ops(make_settings):
    d = Declaration()
    save = d.saved(1, T0 - timedelta(minutes=10))
    send_back = d.sent_back(1, T0 - timedelta(minutes=5))
    controls = d.controlled(False, T0)
    async with running(make_settings("notification")) as runtime:
        for e in (save, send_back, controls):
            assert await deliver(runtime, e) == "handled"
        # The same version saved again (republished under a new id): no longer re-applied over its send-back
        assert await deliver(runtime, save.model_copy(update={"id": uuid.uuid4()})) == "stale"
        assert await deliver(runtime, send_back.model_copy(update={"id": uuid.uuid4()})) == "stale"
        assert await deliver(runtime, controls.model_copy(update={"id": uuid.uuid4()})) == "stale"
        older_controls = d.controlled(True, T0 - timedelta(minutes=1))
        assert await deliver(runtime, older_controls) == "stale"
        declaration, form = await d.copy(runtime)
        assert (declaration.ready, form.filled) == (False, False)
        # The next save after the send-back is applied
        assert await deliver(runtime, d.saved(2, T0 + timedelta(minutes=1))) == "handled"
        _, form = await d.copy(runtime)
        assert (form.filled, form.form_version) == (True, 2)


async def test_a_campaign_opened_twice_is_a_counted_no_op(make_settings):
    campaign_id = uuid.uuid4()
    opened = CampaignOpenedV1(
        campaign_id=campaign_id,
        caf_code="080",
        family="alsh",
        exercice=2026,
        declaration_type="previsionnelle",
        opening_date=date(2026, 1, 15),
        deadline=date(2026, 3, 31),
        form_version="2026.1",
    )
    async with running(make_settings("notification")) as runtime:
        assert await deliver(runtime, event(opened, campaign_id)) == "handled"
        assert await deliver(runtime, event(opened, campaign_id)) == "stale"  # the same, under a new id
        async with runtime.db.sessions() as session:
            count = await session.execute(sa.select(sa.func.count()).select_from(CampaignCopy))
    assert count.scalar_one() == 1


async def test_grant_events_replayed_under_new_ids_are_counted_no_ops_and_notify_once(make_settings):
    grant, user, activity = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    granted = pending_approbateur_grant(grant, user, activity)
    validated = GrantValidatedV1(grant_id=grant, user_id=user, activity_id=activity)
    ended = GrantEndedV1(grant_id=grant, user_id=user, activity_id=activity, end_date=date(2026, 6, 30), reason="ended")
    async with running(make_settings("notification")) as runtime:
        for data in (granted, validated, ended):
            assert await deliver(runtime, event(data, grant)) == "handled"
        for data in (granted, validated, ended):
            assert await deliver(runtime, event(data, grant)) == "stale"
        async with runtime.db.sessions() as session:
            kinds = sorted((await session.execute(sa.select(Message.kind).where(Message.user_id == user))).scalars())
    assert kinds == ["approbateur_en_attente", "approbateur_valide", "role_fin"]


def _user(user_id: uuid.UUID, first_name: str = "Inès", email: str = "ines@asso.example") -> UserCreatedV1:
    return UserCreatedV1(
        user_id=user_id,
        identifier="123456789",
        last_name="Martin",
        first_name=first_name,
        email=email,
        partner_id=uuid.uuid4(),
    )


async def test_a_notice_queued_before_its_user_was_known_greets_the_user_by_name(notif_settings, kit, smtp):
    grant, user_id = uuid.uuid4(), uuid.uuid4()
    granted = RoleGrantedV1(
        grant_id=grant,
        group_id=uuid.uuid4(),
        user_id=user_id,
        partner_id=uuid.uuid4(),
        role="fda",
        activity_id=uuid.uuid4(),
        start_date=date(2026, 1, 1),
        validation="not_required",
    )
    clock = ManualClock(kit.paris(2026, 3, 2, 9, 0))
    async with running(notif_settings(), clock=clock) as runtime:
        assert await deliver(runtime, event(granted, grant)) == "handled"  # the grant before its user
        assert await sender.send_due(runtime) == 0  # no address yet: the mail waits, it is not lost
        assert await deliver(runtime, event(_user(user_id), user_id)) == "handled"
        clock.set(kit.paris(2026, 3, 2, 10, 0))  # past the retry delay
        assert await sender.send_due(runtime) == 1
        actor = {"kind": "partner", "sub": str(user_id), "partner_id": str(granted.partner_id)}
        [notice] = await ask_as(runtime, "notification", "inbox", actor)
    [mail] = smtp.mailbox.to("ines@asso.example")
    assert mail.get_body(("plain",)).get_content().startswith("Bonjour Inès,")
    assert "Bonjour Inès," in mail.get_body(("html",)).get_content()
    assert notice["texte"].startswith("Bonjour Inès,")
