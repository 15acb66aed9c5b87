"""ICS feeds, the inbox, preferences, notices, and a failing mail server: through the service's RPC verbs."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import icalendar
import sqlalchemy as sa

from afas_notification.adapters.tables import DeclarationCopy
from afas_shared.clock import ManualClock
from afas_shared.contracts.events.declaration import DeclarationRefusedV1
from afas_shared.contracts.events.estimation import PaymentScheduledV1
from afas_shared.contracts.events.habilitation import GrantEndedV1, GrantRejectedV1, GrantValidatedV1
from afas_shared.contracts.events.identity import ActivationRequestedV2, PasswordResetRequestedV2

OPERATOR = {"kind": "operator"}


async def test_ics_feed_parses_and_lists_the_deadlines_of_my_declarations(notif_settings, kit):
    world, clock = kit.World(), ManualClock(kit.paris(2026, 1, 15, 9, 0))
    async with kit.notification(notif_settings(), clock) as n:
        await kit.add_user(n, world, "marie")
        for key, name in (("alsh", "ALSH Les Coccinelles"), ("eaje", "Multi-accueil ; Lucioles"), ("autre", "LAEP")):
            await kit.add_activity(n, world, key, name)
        await kit.grant(n, world, "marie", "fda", "alsh")
        await kit.grant(n, world, "marie", "approbateur", "eaje")
        await kit.open_campaign(n, world, date(2026, 1, 15), date(2026, 3, 31))
        mine = {
            (await kit.expect(n, world, "alsh", date(2026, 3, 31)))["declaration"]: date(2026, 3, 31),
            (await kit.expect(n, world, "eaje", date(2026, 2, 16)))["declaration"]: date(2026, 2, 16),
        }
        await kit.expect(n, world, "autre", date(2026, 3, 1))  # not Marie's

        created = (await n.rpc("calendar_feed_create", world.actor("marie")))["result"]
        assert created["url"] == f"https://afas.test/api/v1/calendrier/{created['jeton']}.ics"
        text = (await n.rpc("calendar_feed", token=created["jeton"]))["result"]["ics"]
        assert "\r\n" in text and all(len(line.encode()) <= 75 for line in text.split("\r\n"))
        parsed = icalendar.Calendar.from_ical(text)
        events = {uuid.UUID(str(e["UID"]).split("@")[0]): e for e in parsed.walk("VEVENT")}
        assert {k: e.decoded("DTSTART") for k, e in events.items()} == mine
        assert "Multi-accueil ; Lucioles" in str(events[next(k for k, d in mine.items() if d.month == 2)]["SUMMARY"])

        # The calendar page shows the Caf's campaign and Marie's deadlines
        page = (await n.rpc("calendar", world.actor("marie")))["result"]
        assert [(c["type_declaration_libelle"], c["date_limite"]) for c in page["campagnes"]] == [
            ("Prévisionnelle", "2026-03-31")
        ]
        assert [e["date_limite"] for e in page["mes_echeances"]] == ["2026-02-16", "2026-03-31"]

        # A new link kills the old one; revoking kills the new one
        renewed = (await n.rpc("calendar_feed_create", world.actor("marie")))["result"]
        assert (await n.rpc("calendar_feed", token=created["jeton"]))["error"] == "not_found"
        assert "VCALENDAR" in (await n.rpc("calendar_feed", token=renewed["jeton"]))["result"]["ics"]
        await n.rpc("calendar_feed_revoke", world.actor("marie"))
        assert (await n.rpc("calendar_feed", token=renewed["jeton"]))["error"] == "not_found"


async def test_a_user_never_sees_another_users_inbox(notif_settings, kit):
    world, clock = kit.World(), ManualClock(kit.paris(2026, 1, 15, 9, 0))
    async with kit.notification(notif_settings(), clock) as n:
        for name in ("alice", "bob"):
            await kit.add_user(n, world, name)
        await kit.add_activity(n, world, "alsh", "ALSH")
        await kit.grant(n, world, "alice", "fda", "alsh")
        await kit.grant(n, world, "bob", "fdf", "alsh")
        await kit.grant(n, world, "bob", "approbateur", "alsh")

        alice = (await n.rpc("inbox", world.actor("alice")))["result"]
        bob = (await n.rpc("inbox", world.actor("bob")))["result"]
        assert [m["type"] for m in alice] == ["role_accorde"]
        assert sorted(m["type"] for m in bob) == ["role_accorde", "role_accorde"]
        assert (await n.rpc("inbox_unread", world.actor("bob")))["result"] == {"non_lues": 2}

        # Alice cannot read nor mark Bob's message: it does not exist for her
        refused = await n.rpc("inbox_mark_read", world.actor("alice"), message_id=bob[0]["id"])
        assert refused["error"] == "not_found"
        assert (await n.rpc("inbox_unread", world.actor("bob")))["result"] == {"non_lues": 2}
        assert (await n.rpc("inbox_mark_read", world.actor("alice"), message_id=alice[0]["id"]))["result"] == {
            "marques": 1
        }
        assert (await n.rpc("inbox_unread", world.actor("alice")))["result"] == {"non_lues": 0}
        # Mark all read touches the caller's messages only
        await n.rpc("inbox_mark_read", world.actor("alice"))
        assert (await n.rpc("inbox_unread", world.actor("bob")))["result"] == {"non_lues": 2}
        assert (await n.rpc("inbox", None))["error"] == "unauthorized"
        assert (await n.rpc("inbox", OPERATOR))["error"] == "forbidden"
        # an offset no database integer holds (found by tests/fuzz: it was a server error)
        assert (await n.rpc("inbox", world.actor("alice"), decalage=10**30))["error"] == "invalid"


async def test_preferences_switch_reminder_mails_off_but_never_security_mails(notif_settings, smtp, kit):
    world, clock = kit.World(), ManualClock(kit.paris(2026, 1, 15, 9, 0))
    async with kit.notification(notif_settings(), clock) as n:
        user_id = await kit.add_user(n, world, "paul")
        off = {"rappels_par_email": False, "avis_par_email": False}
        assert (await n.rpc("preferences_set", world.actor("paul"), **off))["result"] == {
            **off,
            "securite_par_email": True,
        }
        refused = await n.rpc("preferences_set", world.actor("paul"), securite_par_email=False)
        assert refused["error"] == "invalid"

        await kit.add_activity(n, world, "alsh", "ALSH")
        await kit.grant(n, world, "paul", "fda", "alsh")
        await kit.open_campaign(n, world, date(2026, 1, 15), date(2026, 3, 31))
        await kit.expect(n, world, "alsh", date(2026, 3, 31))
        link_id = uuid.uuid4()
        await n.emit(
            ActivationRequestedV2(
                link_id=link_id,
                user_id=user_id,
                email=world.email("paul"),
                first_name="Paul",
                last_name="Martin",
                expires_at=datetime(2026, 1, 18, 9, 0, tzinfo=UTC),
                identifier="412345678",
            )
        )
        # The link is not in the event: it is asked of identity when the mail leaves, and never stored here
        async with kit.identity_links(n, {str(link_id): "https://afas.test/activation?jeton=secret-123"}) as asked:
            await n.at(kit.paris(2026, 1, 15, 9, 0))
        assert asked == [{"link_id": str(link_id), "kind": "activation"}]
        stored = [m for m in await n.messages() if m.kind == "activation"]
        assert stored and all("secret-123" not in m.body_text + m.body_html for m in stored)
        inbox = [m["type"] for m in (await n.rpc("inbox", world.actor("paul")))["result"]]

    assert sorted(inbox) == ["rappel_ouverture", "role_accorde"]  # the link never goes to the inbox
    [mail] = smtp.mailbox.to(world.email("paul"))
    assert mail["X-AFAS-Kind"] == "activation" and mail["Subject"] == "Activez votre compte AFAS"
    body = mail.get_body(("plain",)).get_content()
    assert "https://afas.test/activation?jeton=secret-123" in body and "18 janvier 2026 à 10 h 00" in body
    assert "Votre identifiant de connexion est 412345678" in body  # what the login form asks: the user logs in alone


async def test_a_link_no_longer_valid_when_its_mail_leaves_is_not_mailed(notif_settings, smtp, kit):
    world, clock = kit.World(), ManualClock(kit.paris(2026, 1, 15, 9, 0))
    async with kit.notification(notif_settings(), clock) as n:
        user_id = await kit.add_user(n, world, "lea")
        older, newer = uuid.uuid4(), uuid.uuid4()
        for link_id in (older, newer):
            await n.emit(
                PasswordResetRequestedV2(
                    link_id=link_id,
                    user_id=user_id,
                    email=world.email("lea"),
                    first_name="Léa",
                    last_name="Roux",
                    expires_at=datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
                )
            )
        # identity answers only for the newer link (the older one was superseded)
        async with kit.identity_links(n, {str(newer): "https://afas.test/mot-de-passe/nouveau?jeton=neuf"}):
            await n.send()
        states = sorted(m.mail_state for m in await n.messages() if m.kind == "reinitialisation_mot_de_passe")
    assert states == ["cancelled", "sent"]
    [mail] = smtp.mailbox.to(world.email("lea"))
    assert "jeton=neuf" in mail.get_body(("plain",)).get_content()
    assert "jeton=neuf" in mail.get_body(("html",)).get_content()


async def test_notices_refusal_roles_and_payment(notif_settings, smtp, kit):
    world, clock = kit.World(), ManualClock(kit.paris(2026, 4, 2, 9, 0))
    async with kit.notification(notif_settings(), clock) as n:
        for name in ("appro", "fda"):
            await kit.add_user(n, world, name)
        activity = await kit.add_activity(n, world, "alsh", "ALSH Les Coccinelles")
        pending = await kit.grant(n, world, "appro", "approbateur", "alsh", validation="pending")
        fda_line = await kit.grant(n, world, "fda", "fda", "alsh")
        await n.emit(GrantRejectedV1(grant_id=pending, user_id=world.users["appro"], activity_id=activity, reason="X"))
        second = await kit.grant(n, world, "appro", "approbateur", "alsh", validation="pending")
        await n.emit(GrantValidatedV1(grant_id=second, user_id=world.users["appro"], activity_id=activity))
        await n.emit(
            GrantEndedV1(
                grant_id=fda_line,
                user_id=world.users["fda"],
                activity_id=activity,
                end_date=date(2026, 4, 2),
                reason="ended",
            )
        )
        await kit.open_campaign(n, world, date(2026, 1, 15), date(2026, 3, 31))
        ids = await kit.expect(n, world, "alsh", date(2026, 3, 31))
        facts = {
            "declaration_id": ids["declaration"],
            "declaration_version": 1,
            "activity_id": activity,
            "partner_id": world.partner_id,
            "caf_code": "080",
            "family": "alsh",
            "nature": "periscolaire",
            "exercice": 2026,
            "declaration_type": "previsionnelle",
        }
        refusal = DeclarationRefusedV1(
            **facts, refused_by=None, refused_at=clock.now(), reason="Heures réalisées incohérentes"
        )
        await n.emit(refusal, subject=str(ids["declaration"]), version=12)
        await n.emit(refusal, subject=str(ids["declaration"]), version=12)  # a second refusal event: no second mail
        await n.emit(
            PaymentScheduledV1(
                activity_id=activity,
                partner_id=world.partner_id,
                caf_code="080",
                exercice=2026,
                payment_key="2026:acompte_1:1",
                kind="acompte_1",
                number=1,
                amount="16340.80",
                due_date=date(2026, 4, 15),
                label="1er acompte 2026",
                trigger="Validation de la déclaration prévisionnelle",
                explanation="40 % du droit prévisionnel",
                policy_id="caf-080",
            ),
            subject=str(activity),
        )
        await n.send()

    appro = {m["X-AFAS-Kind"]: m for m in smtp.mailbox.to(world.email("appro"))}
    assert set(appro) == {
        "approbateur_en_attente",
        "approbateur_refuse",
        "approbateur_valide",
        "refus_caf",
        "paiement_programme",
    }
    assert "Motif : Heures réalisées incohérentes" in appro["refus_caf"].get_body(("plain",)).get_content()
    assert "16\u202f340,80 €" in appro["paiement_programme"].get_body(("plain",)).get_content()
    assert [m["X-AFAS-Kind"] for m in smtp.mailbox.to(world.email("fda"))] == ["role_accorde", "role_fin"]


async def test_a_failing_mail_server_is_retried_with_backoff_then_listed_as_undeliverable(notif_settings, kit):
    down = kit.SmtpServer(kit.free_port())  # nobody listens there yet
    world, clock = kit.World(), ManualClock(datetime(2026, 5, 4, 8, 0, tzinfo=UTC))
    async with kit.notification(notif_settings(smtp_port=down.port), clock) as n:
        await kit.add_user(n, world, "lea")
        await kit.add_activity(n, world, "alsh", "ALSH")
        await kit.grant(n, world, "lea", "fda", "alsh")

        for wait in (0, 60, 300):  # mail_retry_seconds = [60, 300]: three attempts in all
            clock.advance(timedelta(seconds=wait))
            assert await n.send() == 0
            assert await n.send() == 0  # not due again before its backoff delay
        [message] = await n.messages()
        assert (message.mail_state, message.attempts) == ("undeliverable", 3)

        [listed] = (await n.rpc("undeliverable", OPERATOR))["result"]
        assert listed["tentatives"] == 3 and "Connection" in listed["derniere_erreur"]
        assert (await n.rpc("undeliverable", world.actor("lea")))["error"] == "forbidden"

        down.start()  # the server is back: an operator sends it again
        try:
            await n.rpc("undeliverable_retry", OPERATOR, message_id=listed["id"])
            assert await n.send() == 1
            assert [m["X-AFAS-Kind"] for m in down.mailbox.messages()] == ["role_accorde"]
            assert (await n.rpc("undeliverable", OPERATOR))["result"] == []
        finally:
            down.stop()


async def test_a_caf_sets_its_own_reminder_days(notif_settings, smtp, kit):
    world, clock = kit.World(), ManualClock(kit.paris(2026, 1, 15, 9, 0))
    agent = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "080", "caf_roles": ["parametrage"]}
    async with kit.notification(notif_settings(), clock) as n:
        await kit.add_user(n, world, "fdf")
        await kit.add_activity(n, world, "alsh", "ALSH")
        await kit.grant(n, world, "fdf", "fdf", "alsh")
        await kit.open_campaign(n, world, date(2026, 1, 15), date(2026, 3, 31))
        await kit.expect(n, world, "alsh", date(2026, 3, 31))
        assert (await n.rpc("reminder_settings_get", agent))["result"]["jours_avant"] == [15, 3, 1]
        changed = await n.rpc("reminder_settings_set", agent, jours_avant=[7], jours_apres=2)
        assert changed["result"] == {"caf": "080", "jours_avant": [7], "jours_apres": 2, "par_defaut": False}
        assert (await n.rpc("reminder_settings_set", world.actor("fdf"), jours_avant=[7], jours_apres=2))[
            "error"
        ] == "forbidden"
        for month, day in ((1, 15), (3, 16), (3, 24), (3, 28), (3, 30), (3, 31), (4, 1), (4, 2), (4, 3)):
            await n.at(kit.paris(2026, month, day, 9, 0))
    reminders = [m["X-AFAS-Kind"] for m in smtp.mailbox.to(world.email("fdf")) if m["X-AFAS-Kind"].startswith("rap")]
    assert reminders == ["rappel_ouverture", "rappel_j-7", "rappel_j+2"]


async def test_a_refusal_overtaken_by_the_revisions_transmit_is_still_mailed_once(notif_settings, smtp, kit):
    """After a restart both events wait on separate consumers: the transmit of version 2 may be handled before the
    refusal of version 1. The copy stays at « transmitted v2 »; the refusal's reason still reaches the approbateur."""
    from afas_shared.contracts.events.declaration import DeclarationTransmittedV1

    world, clock = kit.World(), ManualClock(kit.paris(2026, 4, 2, 9, 0))
    async with kit.notification(notif_settings(), clock) as n:
        await kit.add_user(n, world, "appro")
        activity = await kit.add_activity(n, world, "alsh", "ALSH Les Coccinelles")
        await kit.grant(n, world, "appro", "approbateur", "alsh")
        await kit.open_campaign(n, world, date(2026, 1, 15), date(2026, 3, 31))
        ids = await kit.expect(n, world, "alsh", date(2026, 3, 31))
        facts = {
            "declaration_id": ids["declaration"],
            "activity_id": activity,
            "partner_id": world.partner_id,
            "caf_code": "080",
            "family": "alsh",
            "nature": "periscolaire",
            "exercice": 2026,
            "declaration_type": "previsionnelle",
        }
        subject = str(ids["declaration"])
        await n.emit(
            DeclarationTransmittedV1(
                **facts,
                declaration_version=2,
                transmitted_by=world.users["appro"],
                transmitted_at=clock.now(),
                snapshot_hash="0" * 64,
                figures={},
                flagged_justified=[],
                revision=True,
            ),
            subject=subject,
            version=30,
        )
        refusal = DeclarationRefusedV1(
            **facts, declaration_version=1, refused_by=None, refused_at=clock.now(), reason="Budget incomplet"
        )
        await n.emit(refusal, subject=subject, version=20)
        await n.emit(refusal, subject=subject, version=20)  # replayed: still one notice
        await n.send()
        async with n.runtime.db.sessions() as session:
            copy = (await session.execute(sa.select(DeclarationCopy))).scalar_one()
        assert (copy.outcome, copy.outcome_version, copy.version) == ("transmise", 2, 2)
        assert [m.kind for m in await n.messages()].count("refus_caf") == 1

    [mail] = [m for m in smtp.mailbox.to(world.email("appro")) if m["X-AFAS-Kind"] == "refus_caf"]
    assert "Motif : Budget incomplet" in mail.get_body(("plain",)).get_content()
