"""Reminders of one campaign, mailed through a real SMTP server on a hand-turned clock (Europe/Paris)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, timedelta

import pytest

from afas_notification.application import schedule, sender
from afas_shared.clock import ManualClock
from afas_shared.contracts.events.declaration import (
    DeclarationControlledV1,
    DeclarationTransmittedV1,
    FormSavedV1,
)

DEADLINE = date(2026, 3, 31)
OPENING = date(2026, 1, 15)


def kinds(messages) -> list[str]:
    return [m["X-AFAS-Kind"] for m in messages]


async def setup_activity(kit, n, world) -> dict[str, uuid.UUID]:
    for name in ("fda", "fdf", "appro", "ailleurs"):
        await kit.add_user(n, world, name)
    await kit.add_activity(n, world, "alsh", "ALSH Les Coccinelles")
    await kit.add_activity(n, world, "autre", "LAEP Petits Pas")
    await kit.grant(n, world, "fda", "fda", "alsh")
    await kit.grant(n, world, "fdf", "fdf", "alsh")
    await kit.grant(n, world, "appro", "approbateur", "alsh")
    await kit.grant(n, world, "ailleurs", "approbateur", "autre")  # another activity: never reminded of this one
    await kit.open_campaign(n, world, OPENING, DEADLINE)
    return await kit.expect(n, world, "alsh", DEADLINE)


async def save(n, world, ids, kind: str, by: str) -> None:
    await n.emit(
        FormSavedV1(
            form_id=ids[kind],
            declaration_id=ids["declaration"],
            activity_id=world.activities["alsh"],
            kind=kind,
            form_version=1,
            saved_by=world.users[by],
        ),
        subject=str(ids[kind]),
    )


async def controlled(n, world, ids, ready: bool) -> None:
    await n.emit(
        DeclarationControlledV1(
            declaration_id=ids["declaration"],
            activity_id=world.activities["alsh"],
            declaration_version=1,
            blocking=0 if ready else 1,
            flagged=0,
            ready=ready,
        ),
        subject=str(ids["declaration"]),
        version=10,
    )


async def transmitted(n, world, ids) -> None:
    await n.emit(
        DeclarationTransmittedV1(
            declaration_id=ids["declaration"],
            declaration_version=1,
            activity_id=world.activities["alsh"],
            partner_id=world.partner_id,
            caf_code="080",
            family="alsh",
            nature="periscolaire",
            exercice=2026,
            declaration_type="previsionnelle",
            transmitted_by=world.users["appro"],
            transmitted_at=n.clock.now(),
            snapshot_hash="0" * 64,
            figures={},
            flagged_justified=[],
            revision=False,
        ),
        subject=str(ids["declaration"]),
        version=11,
    )


async def test_reminder_sequence_of_one_campaign_for_each_role(notif_settings, smtp, kit):
    world, clock = kit.World(), ManualClock(kit.paris(2026, 1, 15, 0, 5))
    async with kit.notification(notif_settings(), clock) as n:
        ids = await setup_activity(kit, n, world)
        await n.at(kit.paris(2026, 1, 15, 7, 59))
        # Role notices went out at once; no reminder before the reminder hour (8:00 Paris)
        assert "rappel_ouverture" not in kinds(smtp.mailbox.messages())

        await n.at(kit.paris(2026, 1, 15, 8, 0))
        assert kinds(smtp.mailbox.to(world.email("fda")))[-1] == "rappel_ouverture"
        assert kinds(smtp.mailbox.to(world.email("fdf")))[-1] == "rappel_ouverture"
        opening = smtp.mailbox.to(world.email("fda"))[-1]
        assert opening["Subject"] == "Votre déclaration prévisionnelle 2026 est disponible"
        text = opening.get_body(("plain",)).get_content()
        assert "« ALSH Les Coccinelles »" in text and "31 mars 2026" in text
        assert "saisir et enregistrer les données d'activité" in text
        assert "https://afas.test/declarations/" in opening.get_body(("html",)).get_content()

        # The activity form is saved: only the FDF is still reminded at J-15
        await save(n, world, ids, "activite", "fda")
        await n.at(kit.paris(2026, 3, 16, 8, 0))
        # Both forms saved and controlled: the approbateur is next, at J-3 (winter time) and J-1 (summer time)
        await save(n, world, ids, "financier", "fdf")
        await controlled(n, world, ids, ready=True)
        await n.at(kit.paris(2026, 3, 28, 7, 59))
        assert "rappel_j-3" not in kinds(smtp.mailbox.messages())
        await n.at(kit.paris(2026, 3, 28, 8, 0))
        await n.at(kit.paris(2026, 3, 30, 8, 0))
        await n.at(kit.paris(2026, 4, 1, 8, 0))  # J+1: still not transmitted
        await n.at(kit.paris(2026, 4, 20, 8, 0))  # nothing more after the overdue reminder

    reminders = {
        who: [k for k in kinds(smtp.mailbox.to(world.email(who))) if k.startswith("rappel")]
        for who in ("fda", "fdf", "appro", "ailleurs")
    }
    assert reminders == {
        "fda": ["rappel_ouverture"],
        "fdf": ["rappel_ouverture", "rappel_j-15"],
        "appro": ["rappel_j-3", "rappel_j-1", "rappel_j+1"],
        "ailleurs": [],
    }
    approbateur = smtp.mailbox.to(world.email("appro"))
    assert any(
        "contrôler la déclaration, la signer et la transmettre" in m.get_body(("plain",)).get_content()
        for m in approbateur
    )
    assert [m["Subject"] for m in approbateur if m["X-AFAS-Kind"] == "rappel_j+1"] == [
        "Retard : votre déclaration prévisionnelle 2026 n'a pas été transmise"
    ]
    ids_seen = [m["Message-ID"] for m in smtp.mailbox.messages()]
    assert len(ids_seen) == len(set(ids_seen))


async def test_no_reminder_after_transmission(notif_settings, smtp, kit):
    world, clock = kit.World(), ManualClock(kit.paris(2026, 1, 15, 9, 0))
    async with kit.notification(notif_settings(), clock) as n:
        ids = await setup_activity(kit, n, world)
        await n.at(kit.paris(2026, 1, 15, 9, 0))
        await save(n, world, ids, "activite", "fda")
        await save(n, world, ids, "financier", "fdf")
        await controlled(n, world, ids, ready=True)
        # J-3 is planned while the mail server is unreachable, then the declaration is transmitted
        smtp.stop()
        await n.at(kit.paris(2026, 3, 28, 8, 0))
        await transmitted(n, world, ids)
        smtp.start()
        for moment in (kit.paris(2026, 3, 28, 9, 0), kit.paris(2026, 3, 30, 8, 0), kit.paris(2026, 4, 1, 8, 0)):
            await n.at(moment)
        states = {m.kind: m.mail_state for m in await n.messages() if m.kind.startswith("rappel")}
    assert states == {"rappel_ouverture": "sent", "rappel_j-3": "cancelled"}
    assert [k for k in kinds(smtp.mailbox.messages()) if k.startswith("rappel")] == ["rappel_ouverture"] * 2


class Killed(BaseException):
    """The process dies here (not an error the sender could handle)."""


class DyingMailer:
    """Sends through the real server, and kills the process at the ``die_at``-th message, before or after the
    server accepted it."""

    def __init__(self, real, die_at: int, after_delivery: bool) -> None:
        self.real, self.die_at, self.after_delivery, self.count = real, die_at, after_delivery, 0

    def send(self, message) -> None:
        self.count += 1
        if self.count == self.die_at and not self.after_delivery:
            raise Killed
        self.real.send(message)
        if self.count == self.die_at:
            raise Killed


@pytest.mark.parametrize("after_delivery", [False, True], ids=["killed-before-smtp", "killed-after-smtp"])
async def test_restart_in_the_middle_of_a_batch_sends_no_duplicate_and_misses_none(
    notif_settings, smtp, kit, monkeypatch, after_delivery
):
    world, clock = kit.World(), ManualClock(kit.paris(2026, 1, 15, 9, 0))
    settings = notif_settings()
    async with kit.notification(settings, clock) as n:
        for i in range(12):
            await kit.add_user(n, world, f"fda{i}")
            await kit.add_activity(n, world, f"a{i}", f"Activité {i}")
            await kit.grant(n, world, f"fda{i}", "fda", f"a{i}")
        await kit.open_campaign(n, world, OPENING, DEADLINE)
        for i in range(12):
            await kit.expect(n, world, f"a{i}", DEADLINE)
        await n.send()  # role notices out of the way
        before = len(smtp.mailbox.messages())

        # Planning, 5 declarations a batch, dies after the first batch: those committed stay planned, the rest wait
        real_handle, handled = schedule._handle_batch, []

        async def dying_handle(*args, **kwargs):
            if handled:
                raise Killed
            handled.append(args[2])
            return await real_handle(*args, **kwargs)

        monkeypatch.setattr(schedule, "PLAN_BATCH", 5)
        monkeypatch.setattr(schedule, "_handle_batch", dying_handle)
        with pytest.raises(Killed):
            await n.plan()
        monkeypatch.setattr(schedule, "_handle_batch", real_handle)
        assert len([m for m in await n.messages() if m.kind == "rappel_ouverture"]) == 5

        # Sending dies at the 3rd reminder
        n.runtime.state["mailer"] = DyingMailer(sender.mailer_of(n.runtime), 3, after_delivery)
        with pytest.raises(Killed):
            await n.send()

    clock.advance(timedelta(seconds=settings.mail_claim_lease_seconds + 1))
    async with kit.notification(settings, clock) as n:  # the restarted service catches up
        await n.plan()
        await n.send()
        await n.plan()
        await n.send()
        messages = [m for m in await n.messages() if m.kind == "rappel_ouverture"]

    assert len(messages) == 12 and {m.mail_state for m in messages} == {"sent"}
    received = [m for m in smtp.mailbox.messages()[before:] if m["X-AFAS-Kind"] == "rappel_ouverture"]
    per_id = Counter(m["Message-ID"] for m in received)
    assert set(per_id) == {m.message_id for m in messages}  # none missed
    # The messages the dying batch had delivered (its first two, and the third when the server accepted it before
    # the death) were never recorded: sent again, each with the same Message-ID; the rest of the batch once
    delivered = 3 if after_delivery else 2
    assert sorted(per_id.values()) == [1] * (12 - delivered) + [2] * delivered
    assert sender.CLAIM_BATCH >= 12  # the twelve reminders were one batch
    assert {m["To"] for m in received} == {world.email(f"fda{i}") for i in range(12)}
