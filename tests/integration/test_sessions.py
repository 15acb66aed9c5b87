"""Login, lockout, idle expiry, previous login, revocation everywhere, activation, password change and reset."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from afas_shared.auth.tokens import InvalidToken
from afas_shared.messaging.rpc import RemoteError
from afas_shared.testing.credentials import operator_credential

# the demo accounts the platform fixture loads (see afas_identity.application.demo)
DEMO_PASSWORD = "Demo-Afas-2026!"
AGENT, ADMIN, KARIM, SOPHIE, LUCAS = "100000001", "200000001", "200000002", "200000003", "200000004"
WRONG = "Identifiant ou mot de passe incorrect."


async def test_login_then_previous_login_date_for_the_home_page(platform):
    first = await platform.login(KARIM)
    session = (await platform.client.get("/api/v1/auth/session", headers=first)).json()
    assert session["identifiant"] == KARIM and session["derniere_connexion"] is None
    assert session["groupes"] == ["AFAS-DECLARER"]
    first_login_at = platform.clock.now()
    platform.clock.advance(timedelta(hours=2))
    second = await platform.login(KARIM)
    session = (await platform.client.get("/api/v1/auth/session", headers=second)).json()
    assert session["derniere_connexion"] == first_login_at.isoformat()


async def test_wrong_password_and_unknown_identifier_get_the_same_answer(platform):
    wrong = await platform.client.post("/api/v1/auth/login", json={"identifiant": KARIM, "mot_de_passe": "Faux-1"})
    unknown = await platform.client.post(
        "/api/v1/auth/login", json={"identifiant": "999999999", "mot_de_passe": "Faux-1"}
    )
    assert (wrong.status_code, wrong.json()) == (unknown.status_code, unknown.json()) == (401, {"detail": WRONG})


async def _fail(platform, identifier: str, times: int) -> list[int]:
    codes = []
    for _ in range(times):
        response = await platform.client.post(
            "/api/v1/auth/login", json={"identifiant": identifier, "mot_de_passe": "Mauvais-mdp-1"}
        )
        codes.append(response.status_code)
        platform.clock.advance(timedelta(seconds=6))  # past the slow-down between attempts
    return codes


async def test_five_failures_lock_the_account_for_a_while_even_with_the_right_password(platform):
    assert await _fail(platform, SOPHIE, 5) == [401] * 5
    locked = await platform.client.post(
        "/api/v1/auth/login", json={"identifiant": SOPHIE, "mot_de_passe": DEMO_PASSWORD}
    )
    assert locked.status_code == 429 and "Trop de tentatives" in locked.json()["detail"]
    platform.clock.advance(timedelta(minutes=16))
    await platform.login(SOPHIE)


async def test_an_unknown_identifier_locks_the_same_way(platform):
    assert await _fail(platform, "987654321", 5) == [401] * 5
    again = await platform.client.post("/api/v1/auth/login", json={"identifiant": "987654321", "mot_de_passe": "x"})
    assert again.status_code == 429


async def test_rapid_attempts_are_slowed_down_after_three_failures(platform):
    for _ in range(3):
        await platform.client.post("/api/v1/auth/login", json={"identifiant": LUCAS, "mot_de_passe": "Faux-mdp-9"})
    too_soon = await platform.client.post(
        "/api/v1/auth/login", json={"identifiant": LUCAS, "mot_de_passe": DEMO_PASSWORD}
    )
    assert too_soon.status_code == 429


async def test_one_mistyped_identifier_never_locks_the_others_behind_the_same_address(platform):
    assert await _fail(platform, "111111111", 5) == [401] * 5
    assert (
        await platform.client.post("/api/v1/auth/login", json={"identifiant": "111111111", "mot_de_passe": "x"})
    ).status_code == 429
    await platform.login(KARIM)  # same address (an office behind one NAT): not locked


async def test_failures_from_one_address_lock_it_at_a_much_higher_threshold(platform):
    platform.identity.settings.login_address_max_failures = 8
    for n in range(8):
        await _fail(platform, f"{n + 1}00000009", 1)
    blocked = await platform.client.post(
        "/api/v1/auth/login", json={"identifiant": KARIM, "mot_de_passe": DEMO_PASSWORD}
    )
    unknown = await platform.client.post("/api/v1/auth/login", json={"identifiant": "999999999", "mot_de_passe": "x"})
    assert blocked.status_code == unknown.status_code == 429 and blocked.json() == unknown.json()
    platform.clock.advance(timedelta(minutes=16))
    await platform.login(KARIM)


async def test_failures_between_successes_still_lock_the_identifier(platform):
    """A success wipes only its own (identifier, address) pair: 4 failures + 1 success, again, ends up locked."""
    codes = []
    for _ in range(2):
        codes += await _fail(platform, LUCAS, 4)
        right = await platform.client.post(
            "/api/v1/auth/login", json={"identifiant": LUCAS, "mot_de_passe": DEMO_PASSWORD}
        )
        codes.append(right.status_code)
        platform.clock.advance(timedelta(seconds=6))
    assert codes[:5] == [401, 401, 401, 401, 200]
    assert 429 in codes[5:]
    locked = await platform.client.post(
        "/api/v1/auth/login", json={"identifiant": LUCAS, "mot_de_passe": DEMO_PASSWORD}
    )
    assert locked.status_code == 429 and "Trop de tentatives" in locked.json()["detail"]


async def test_each_address_pair_and_the_identifier_are_counted(platform):
    """At identity: a success from one address does not forgive the identifier's failures from another."""
    from afas_identity.application import sessions

    runtime = platform.identity
    for _ in range(4):
        with _refused("unauthorized"):
            await sessions.login(runtime, SOPHIE, "Mauvais-mdp-1", "198.51.100.1")
        platform.clock.advance(timedelta(seconds=6))
    await sessions.login(runtime, SOPHIE, DEMO_PASSWORD, "198.51.100.2")  # wipes the pair (SOPHIE, .2) only
    with _refused("unauthorized"):
        await sessions.login(runtime, SOPHIE, "Mauvais-mdp-1", "198.51.100.1")  # the identifier's fifth failure
    with _refused("locked"):
        await sessions.login(runtime, SOPHIE, DEMO_PASSWORD, "198.51.100.2")
    await sessions.login(runtime, KARIM, DEMO_PASSWORD, "198.51.100.1")  # the address is not locked


class _refused:
    """``with _refused("locked"):`` the identity call is refused with that code."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb) -> bool:
        from afas_shared.messaging.rpc import RpcFailure

        assert isinstance(error, RpcFailure) and error.code == self.code, f"expected {self.code}, got {error!r}"
        return True


async def test_session_ends_after_thirty_minutes_without_activity_and_activity_extends_it(platform):
    headers = await platform.login(KARIM)
    platform.clock.advance(timedelta(minutes=20))
    active = await platform.client.get("/api/v1/auth/session", headers=headers)
    assert active.status_code == 200
    renewed = {"Authorization": f"Bearer {active.headers['X-Session-Token']}"}
    platform.clock.advance(timedelta(minutes=25))  # 45 min after login, 25 after the last activity
    assert (await platform.client.get("/api/v1/auth/session", headers=renewed)).status_code == 200
    stale = await platform.client.get("/api/v1/auth/session", headers=headers)
    assert stale.status_code == 401 and stale.json()["detail"] == "Session expirée, veuillez vous reconnecter."
    platform.clock.advance(timedelta(minutes=31))
    idle = await platform.client.get("/api/v1/auth/session", headers=renewed)
    assert idle.status_code == 401


async def test_session_ends_after_its_maximum_lifetime_whatever_the_activity(platform):
    headers = await platform.login(KARIM)
    for _ in range(25):  # 12 h 30 of steady activity
        platform.clock.advance(timedelta(minutes=30) - timedelta(seconds=1))
        response = await platform.client.get("/api/v1/auth/session", headers=headers)
        if response.status_code != 200:
            break
        headers = {"Authorization": f"Bearer {response.headers.get('X-Session-Token', headers['Authorization'][7:])}"}
    assert response.status_code == 401


async def test_logout_is_refused_everywhere_within_a_second(platform):
    headers = await platform.login(ADMIN)
    token = headers["Authorization"][7:]
    claims = await platform.habilitation.tokens.verify(token)  # another service, verifying locally
    assert str(claims.sub) and claims.groups == ["AFAS-DECLARER", "AFAS-HABILITER"]
    assert (await platform.client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    started = time.monotonic()
    while True:
        try:
            await platform.habilitation.tokens.verify(token)
        except InvalidToken as refused:
            assert refused.reason == "revoked"
            break
        assert time.monotonic() - started < 1.0, "revocation did not reach habilitation within a second"
        await asyncio.sleep(0.01)
    while (await platform.client.get("/api/v1/auth/session", headers=headers)).status_code != 401:
        assert time.monotonic() - started < 1.0, "revocation did not reach the gateway within a second"
        await asyncio.sleep(0.01)


async def _refused_within_a_second(platform, headers) -> None:
    """The revocation event reaches the gateway's verifier."""
    started = time.monotonic()
    while (await platform.client.get("/api/v1/auth/session", headers=headers)).status_code != 401:
        assert time.monotonic() - started < 1.0, "the revoked session is still accepted after a second"
        await asyncio.sleep(0.01)


async def test_new_user_activates_its_account_with_the_single_use_link(platform):
    user = await platform.new_amiens_user(
        await platform.login(ADMIN), telephone="03 22 00 00 01", telephone_confirmation="0322000001"
    )
    assert len(user["identifiant"]) == 9 and user["statut"] == "en_attente"
    token = await platform.mailed_link("activation_requested", user["id"])

    weak = await platform.client.post(
        "/api/v1/auth/activation", json={"jeton": token, "mot_de_passe": "court", "confirmation": "court"}
    )
    assert weak.status_code == 422 and "12 caractères" in weak.json()["detail"][0]["msg"]
    assert weak.json()["detail"][0]["loc"] == ["body", "mot_de_passe"]
    mismatch = await platform.client.post(
        "/api/v1/auth/activation",
        json={"jeton": token, "mot_de_passe": "Crèche-Soleil-2026", "confirmation": "Creche-Soleil-2026"},
    )
    assert mismatch.status_code == 422 and mismatch.json()["detail"][0]["loc"] == ["body", "confirmation"]
    done = await platform.client.post(
        "/api/v1/auth/activation",
        json={"jeton": token, "mot_de_passe": "Crèche-Soleil-2026", "confirmation": "Crèche-Soleil-2026"},
    )
    assert done.status_code == 200
    await platform.login(user["identifiant"], "Crèche-Soleil-2026")
    reused = await platform.client.post(
        "/api/v1/auth/activation",
        json={"jeton": token, "mot_de_passe": "Autre-Mot-De-Passe-1", "confirmation": "Autre-Mot-De-Passe-1"},
    )
    assert reused.status_code == 422 and "n'est plus valable" in reused.json()["detail"][0]["msg"]


async def test_activation_link_expires(platform):
    admin = await platform.login(ADMIN)
    partner = await platform.amiens(admin)
    user = (
        await platform.client.post(
            f"/api/v1/partners/{partner}/users",
            headers=admin,
            json={
                "nom": "Roux",
                "prenom": "Paul",
                "email": "paul.roux@amiens.example",
                "email_confirmation": "paul.roux@amiens.example",
            },
        )
    ).json()
    token = await platform.mailed_link("activation_requested", user["id"])
    platform.clock.advance(timedelta(hours=73))
    late = await platform.client.post(
        "/api/v1/auth/activation",
        json={"jeton": token, "mot_de_passe": "Crèche-Soleil-2026", "confirmation": "Crèche-Soleil-2026"},
    )
    assert late.status_code == 422


async def test_password_change_signs_out_the_other_sessions(platform):
    here = await platform.login(KARIM)
    elsewhere = await platform.login(KARIM)
    changed = await platform.client.post(
        "/api/v1/auth/password",
        headers=here,
        json={
            "mot_de_passe_actuel": DEMO_PASSWORD,
            "mot_de_passe": "Nouveau-Mot-2026!",
            "confirmation": "Nouveau-Mot-2026!",
        },
    )
    assert changed.status_code == 200, changed.text
    fresh = {"Authorization": f"Bearer {changed.json()['jeton']}"}
    await _refused_within_a_second(platform, elsewhere)
    assert (await platform.client.get("/api/v1/auth/session", headers=fresh)).status_code == 200
    await platform.login(KARIM, "Nouveau-Mot-2026!")
    wrong_current = await platform.client.post(
        "/api/v1/auth/password",
        headers=fresh,
        json={
            "mot_de_passe_actuel": "pas-le-bon",
            "mot_de_passe": "Encore-Un-2026!",
            "confirmation": "Encore-Un-2026!",
        },
    )
    assert wrong_current.status_code == 422


async def test_password_reset_by_mailed_link(platform):
    before = await platform.login(SOPHIE)
    asked = await platform.client.post("/api/v1/auth/password-reset", json={"identifiant": SOPHIE})
    unknown = await platform.client.post("/api/v1/auth/password-reset", json={"identifiant": "999999999"})
    assert asked.status_code == unknown.status_code == 202 and asked.json() == unknown.json()
    who = (await platform.client.get("/api/v1/auth/session", headers=before)).json()
    token = await platform.mailed_link("password_reset_requested", who["id"])
    reset = await platform.client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"jeton": token, "mot_de_passe": "Reinit-Compte-2026!", "confirmation": "Reinit-Compte-2026!"},
    )
    assert reset.status_code == 200
    await _refused_within_a_second(platform, before)
    await platform.login(SOPHIE, "Reinit-Compte-2026!")


@pytest.mark.parametrize("identifier", [AGENT])
async def test_jwks_lists_the_public_keys(platform, identifier):
    keys = (await platform.client.get("/api/v1/auth/jwks")).json()["keys"]
    assert keys and all(k["kty"] == "OKP" and k["alg"] == "EdDSA" and "d" not in k for k in keys)


async def test_signing_key_rotation_keeps_old_tokens_valid_and_new_ones_verified_everywhere(platform):
    before = await platform.login(KARIM)
    operator = {"Authorization": "Bearer local-only-change-me"}
    rotated = await platform.identity.request(
        "identity", "rotate_signing_key", {}, credential=await operator_credential(platform.identity)
    )
    new_kid = rotated["result"]["kid"]
    platform.clock.advance(timedelta(seconds=6))  # past the verifiers' re-fetch interval
    after = await platform.login(KARIM)
    claims = await platform.habilitation.tokens.verify(after["Authorization"][7:])
    assert new_kid in platform.habilitation.tokens.known_kids and claims.sid
    assert (await platform.client.get("/api/v1/auth/session", headers=after)).status_code == 200
    assert (await platform.client.get("/api/v1/auth/session", headers=before)).status_code == 200
    assert {k["kid"] for k in (await platform.client.get("/api/v1/auth/jwks", headers=operator)).json()["keys"]} >= {
        new_kid
    }
    with pytest.raises(RemoteError) as refused:
        await platform.identity.request("identity", "rotate_signing_key", {}, credential=after["Authorization"][7:])
    assert refused.value.error == "forbidden"


async def _new_password(platform, token: str, password: str):
    return await platform.client.post(
        "/api/v1/auth/password-reset/confirm", json={"jeton": token, "mot_de_passe": password, "confirmation": password}
    )


async def test_an_older_reset_link_stops_working_once_a_newer_one_was_used(platform):
    who = (await platform.client.get("/api/v1/auth/session", headers=await platform.login(SOPHIE))).json()
    for _ in range(2):
        assert (
            await platform.client.post("/api/v1/auth/password-reset", json={"identifiant": SOPHIE})
        ).status_code == 202
    older, newer = await platform.mailed_links("password_reset_requested", who["id"], count=2)
    assert older != newer
    assert (await _new_password(platform, newer, "Reinit-Compte-2026!")).status_code == 200
    late = await _new_password(platform, older, "Autre-Compte-2026!")
    assert late.status_code == 422 and "n'est plus valable" in late.json()["detail"][0]["msg"]
    await platform.login(SOPHIE, "Reinit-Compte-2026!")


async def test_a_password_change_ends_the_outstanding_reset_links(platform):
    headers = await platform.login(KARIM)
    who = (await platform.client.get("/api/v1/auth/session", headers=headers)).json()
    assert (await platform.client.post("/api/v1/auth/password-reset", json={"identifiant": KARIM})).status_code == 202
    pending = await platform.mailed_link("password_reset_requested", who["id"])
    changed = await platform.client.post(
        "/api/v1/auth/password",
        headers=headers,
        json={
            "mot_de_passe_actuel": DEMO_PASSWORD,
            "mot_de_passe": "Nouveau-Mot-2026!",
            "confirmation": "Nouveau-Mot-2026!",
        },
    )
    assert changed.status_code == 200, changed.text
    assert (await _new_password(platform, pending, "Pirate-Compte-2026!")).status_code == 422
    await platform.login(KARIM, "Nouveau-Mot-2026!")


async def test_leaving_a_group_takes_effect_at_once_for_new_tokens_and_existing_sessions(platform):
    lucas = await platform.login(LUCAS)
    lucas_id = (await platform.client.get("/api/v1/auth/session", headers=lucas)).json()["id"]
    admin = await platform.login(ADMIN)
    removed = await platform.client.delete(f"/api/v1/users/{lucas_id}/groups/AFAS-DECLARER", headers=admin)
    assert removed.status_code == 200, removed.text
    await _refused_within_a_second(platform, lucas)  # the session that carried the group is revoked
    token = (await platform.login(LUCAS))["Authorization"][7:]
    assert (await platform.habilitation.tokens.verify(token)).groups == []  # a membership ended today no longer counts


async def test_an_administrator_removed_from_afas_habiliter_loses_the_right_at_once(platform):
    agent = await platform.login(AGENT)
    admin = await platform.login(ADMIN)
    partner = await platform.amiens(admin)
    admin_id = (await platform.client.get("/api/v1/auth/session", headers=admin)).json()["id"]
    assert (await platform.client.get(f"/api/v1/partners/{partner}/users", headers=admin)).status_code == 200
    removed = await platform.client.delete(f"/api/v1/users/{admin_id}/groups/AFAS-HABILITER", headers=agent)
    assert removed.status_code == 200, removed.text
    await _refused_within_a_second(platform, admin)
    again = await platform.login(ADMIN)
    claims = await platform.habilitation.tokens.verify(again["Authorization"][7:])
    assert claims.groups == ["AFAS-DECLARER"]
    assert (await platform.client.get(f"/api/v1/partners/{partner}/users", headers=again)).status_code == 403
