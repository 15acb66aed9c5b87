"""``afas``, the operator's command, run against a real platform (identity, habilitation and the gateway with the
demo data): each subcommand does its work through the gateway with the operator's secret, says ``fait`` the first
time and ``deja`` the second, answers ``--json``, and leaves its trace in the service that owns what it changed.

The dead-letter subcommands are run on a service with a real dead letter in ``shared/tests``
(``test_operator_cli_dead_letters.py``); ``rotate-signing-key`` on a secured broker in
``test_rotate_signing_key.py``'s way, here on the platform's plain one with the gateway's settings.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from datetime import timedelta

import httpx
import jwt
import sqlalchemy as sa

from afas_declaration.adapters.tables import Campaign, Declaration, DeclarationForm
from afas_identity.adapters.tables import AuditEntry
from afas_shared.operator_cli.main import execute
from tests.integration.conftest import OPERATOR


async def afas(platform, *argv: str) -> tuple[int, dict]:
    out = io.StringIO()
    client = httpx.AsyncClient(transport=platform.client._transport, base_url="http://gateway", headers=OPERATOR)
    async with client:
        code = await execute([*argv, "--json"], client=client, out=out)
    return code, json.loads(out.getvalue()) if out.getvalue() else {}


async def test_the_first_caf_agent_is_created_once_and_identity_audits_it(platform, capsys):
    agent = ["agent", "create", "--caf", "092", "--nom", "Durand", "--prenom", "Léa"]
    agent += ["--email", "lea.durand@caf92.example", "--role", "parametrage", "--role", "habilitations"]
    code, first = await afas(platform, *agent, "--by", "karim.bernard")
    assert code == 0 and first["resultat"] == "fait", first
    assert first["agent"]["caf"] == "092" and set(first["agent"]["roles_caf"]) == {"parametrage", "habilitations"}
    code, second = await afas(platform, *agent)
    assert code == 0 and second["resultat"] == "deja" and "lea.durand@caf92.example" in second["detail"]
    async with platform.identity.db.sessions() as session:
        audited = (
            (await session.execute(sa.select(AuditEntry).where(AuditEntry.target == first["agent"]["id"])))
            .scalars()
            .all()
        )
    assert [(a.action, a.actor_kind, a.outcome) for a in audited] == [("user.create", "operator", "ok")]
    audit_lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if '"audit": "afas"' in line]
    assert audit_lines[0] == {
        "audit": "afas",
        "by": "karim.bernard",
        "command": "agent create",
        "target": "092",
        "outcome": "fait",
    }
    assert audit_lines[1]["outcome"] == "deja"
    code, bad = await afas(
        platform, *"agent create --caf 999 --nom X --prenom Y --email x@y.example --role lecture".split()
    )
    assert code == 1 and bad == {}
    assert "Caf inconnue" in capsys.readouterr().err


async def test_a_campaign_is_opened_reconciled_and_closed_once_each_and_its_trail_says_so(platform, catalogue):
    today = platform.clock.now().date()
    opening = "campaign open --caf 080 --type laep --exercice 2025 --declaration reelle".split()
    opening += ["--ouverture", today.isoformat(), "--limite", (today + timedelta(days=60)).isoformat()]
    code, opened = await afas(platform, *opening)
    assert code == 0 and opened["resultat"] == "fait" and opened["campagne"]["ouverte"], opened
    campaign_id = opened["campagne"]["id"]
    campaign_uuid = uuid.UUID(campaign_id)
    code, again = await afas(platform, *opening)
    assert code == 0 and again == {"resultat": "deja", "campagne": opened["campagne"]}

    # A gap as a defect would leave one: the LAEP's declaration of this campaign lost
    async with platform.gateway.db.transaction() as session:
        lost = (
            await session.execute(sa.select(Declaration.id).where(Declaration.campaign_id == campaign_uuid))
        ).scalar_one()
        await session.execute(sa.delete(DeclarationForm).where(DeclarationForm.declaration_id == lost))
        await session.execute(sa.delete(Declaration).where(Declaration.id == lost))
    code, repaired = await afas(platform, "campaign", "reconcile", campaign_id)
    assert code == 0 and repaired["resultat"] == "fait" and repaired["declarations_creees"] == 1, repaired
    code, nothing = await afas(platform, "campaign", "reconcile", campaign_id)
    assert code == 0 and nothing["resultat"] == "deja" and nothing["declarations_creees"] == 0

    code, closed = await afas(platform, "campaign", "close", campaign_id)
    assert code == 0 and closed["resultat"] == "fait" and closed["campagne"]["cloturee_le"], closed
    code, closed_again = await afas(platform, "campaign", "close", campaign_id)
    assert closed_again["resultat"] == "deja"
    assert closed_again["campagne"]["cloturee_le"] == closed["campagne"]["cloturee_le"]
    async with platform.gateway.db.sessions() as session:
        assert (await session.get(Campaign, campaign_uuid)).closed_at is not None
    # Closed: a lost declaration is no longer expected there
    async with platform.gateway.db.transaction() as session:
        await session.execute(
            sa.delete(DeclarationForm).where(
                DeclarationForm.declaration_id.in_(
                    sa.select(Declaration.id).where(Declaration.campaign_id == campaign_uuid)
                )
            )
        )
        await session.execute(sa.delete(Declaration).where(Declaration.campaign_id == campaign_uuid))
    code, after_close = await afas(platform, "campaign", "reconcile", campaign_id)
    assert after_close["declarations_creees"] == 0 and "closed" in after_close["detail"]

    code, trail = await afas(platform, "campaign", "history", campaign_id)
    assert [(a["action"], a["par"], a["resultat"]) for a in trail["actions"]] == [
        ("open", "operator", "created"),
        ("reconcile", "operator", "1 declaration(s) created"),
        ("reconcile", "operator", "0 declaration(s) created"),
        ("close", "operator", "closed"),
        ("close", "operator", "already closed"),
        ("reconcile", "operator", "campaign closed: nothing expected"),
    ]
    code, listed = await afas(platform, "campaign", "list", "--caf", "080")
    assert campaign_id in [c["id"] for c in listed["campagnes"]]
    # A Caf agent without the paramétrage role may not close it; another Caf's agent does not even see it
    refused = await platform.client.post(f"/api/v1/campaigns/{campaign_id}/close", headers=catalogue.admin)
    assert refused.status_code == 403 and "paramétrage" in refused.json()["detail"]


async def test_a_partners_data_is_exported_with_its_users_activities_and_declarations(platform, catalogue, tmp_path):
    today = platform.clock.now().date()
    opening = "campaign open --caf 080 --type laep --exercice 2025 --declaration reelle".split()
    opening += ["--ouverture", today.isoformat(), "--limite", (today + timedelta(days=60)).isoformat()]
    code, _ = await afas(platform, *opening)
    assert code == 0
    code, export = await afas(platform, "partner", "export", catalogue.partner)
    assert code == 0, export
    assert export["partenaire"]["raison_sociale"] == "Commune d'Amiens"
    assert {u["id"] for u in export["utilisateurs"]} == set(catalogue.users.values())
    assert len(export["conventions"]) == 3 and export["journal"] and export["habilitations"] == []
    by_name = {a["activite"]["nom"]: a for a in export["activites"]}
    assert set(by_name) == {"ALSH Les Coccinelles", "Multi-accueil Les Lucioles", "LAEP Petits Pas"}
    [laep] = by_name["LAEP Petits Pas"]["declarations"]
    assert laep["exercice"] == 2025 and laep["detail"]["id"] == laep["id"]
    assert laep["versions_transmises"] == [] and laep["pieces_jointes"] == []
    assert set(by_name["LAEP Petits Pas"]["paiements"]) == {"2025"}
    target = tmp_path / "amiens.json"
    code, written = await afas(platform, "partner", "export", catalogue.partner, "--output", str(target))
    assert code == 0 and written == {"resultat": "fait", "fichier": str(target)}
    assert json.loads(target.read_text())["partenaire"]["id"] == catalogue.partner
    # Each export is in identity's trail of the partner, durably: the operator, the partner's id, nothing else
    async with platform.identity.db.sessions() as session:
        query = sa.select(AuditEntry).where(AuditEntry.action == "partner.export").order_by(AuditEntry.id)
        trail = (await session.execute(query)).scalars().all()
    assert [(a.actor_kind, str(a.partner_id), a.target, a.outcome, a.detail) for a in trail] == [
        ("operator", catalogue.partner, catalogue.partner, "ok", "{}")
    ] * 2
    assert "partner.export" in [e["action"] for e in export["journal"]]  # written before anything was read
    # Nobody else records (nor makes) an export; an unknown partner is refused before anything is read
    agent = await platform.client.post(f"/api/v1/partners/{catalogue.partner}/exports", headers=catalogue.agent)
    assert agent.status_code == 403 and "opérateur" in agent.json()["detail"]
    code, unknown = await afas(platform, "partner", "export", str(uuid.uuid4()))
    assert code == 1 and unknown == {}


async def test_the_signing_key_is_rotated_by_identity_and_earlier_tokens_still_verify(platform, monkeypatch):
    """As ``make rotate-signing-key`` does, with the gateway's settings: its broker, its prefix, its secret."""
    before = await platform.login("100000001")
    published = {k["kid"] for k in (await platform.client.get("/api/v1/auth/jwks")).json()["keys"]}
    for name in [n for n in os.environ if n.startswith("AFAS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AFAS_NATS_URL", platform.nats_url)
    monkeypatch.setenv("AFAS_BUS_PREFIX", platform.gateway.settings.common.bus_prefix)
    out = io.StringIO()
    assert await execute(["rotate-signing-key", "--json"], out=out) == 0
    rotated = json.loads(out.getvalue())
    assert rotated["resultat"] == "fait" and rotated["cle"] not in published
    assert set(rotated["cles_publiees"]) == published | {rotated["cle"]}
    assert (await platform.client.get("/api/v1/auth/session", headers=before)).status_code == 200
    after = await platform.login("100000001")
    assert jwt.get_unverified_header(after["Authorization"].removeprefix("Bearer "))["kid"] == rotated["cle"]
    assert (await platform.client.get("/api/v1/auth/session", headers=after)).status_code == 200
    async with platform.identity.db.sessions() as session:
        query = sa.select(AuditEntry).where(AuditEntry.action == "signing_key.rotate")
        trail = (await session.execute(query)).scalars().all()
    assert [(a.actor_kind, a.target, a.outcome) for a in trail] == [("operator", rotated["cle"], "ok")]


async def test_a_closed_accounts_personal_data_is_erased_once_and_every_copy_follows(platform, catalogue):
    from afas_shared.read_models.user_directory import KnownUser
    from afas_shared.testing.fixtures import eventually

    user_id = catalogue.users["200000004"]
    code, refused = await afas(platform, "account", "erase", user_id)
    assert code == 1 and refused == {}  # an open account: refused (409), nothing erased
    closed = await platform.client.post(f"/api/v1/users/{user_id}/close", headers=catalogue.admin, json={})
    assert closed.status_code == 200 and closed.json()["statut"] == "clos", closed.text

    code, erased = await afas(platform, "account", "erase", user_id)
    assert code == 0 and erased["resultat"] == "fait", erased
    account = erased["compte"]
    assert (account["nom"], account["prenom"], account["telephone"]) == ("Anonyme", "Compte 200000004", None)
    assert account["email"].endswith("@compte-efface.example") and account["identifiant"] == "200000004"
    code, again = await afas(platform, "account", "erase", user_id)
    assert code == 0 and again["resultat"] == "deja" and again["compte"] == account

    async def habilitation_copy_pseudonymous() -> bool:
        async with platform.habilitation.db.sessions() as session:
            copy = await session.get(KnownUser, uuid.UUID(user_id))
        return copy is not None and copy.last_name == "Anonyme" and copy.email == account["email"]

    await eventually(habilitation_copy_pseudonymous, timeout=10)
    async with platform.identity.db.sessions() as session:
        trail = (await session.execute(sa.select(AuditEntry).where(AuditEntry.action == "user.erase"))).scalars().all()
    assert [(a.actor_kind, a.target, a.outcome, json.loads(a.detail)) for a in trail] == [
        ("operator", user_id, "ok", {"deja": False}),
        ("operator", user_id, "ok", {"deja": True}),
    ]
    # Another than the operator may not erase
    admin = await platform.client.post(f"/api/v1/users/{user_id}/erase", headers=catalogue.admin)
    assert admin.status_code == 403
