"""The pages' CSRF tokens are keyed by AFAS_DECLARATION_CSRF_SECRET, not by the operator's secret: rotating the
operator's secret leaves every open page's token valid, and a token made with any other key is refused."""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace

import httpx
import pytest
from fastapi import Depends, FastAPI, Form

from afas_declaration.config import Settings
from afas_declaration.gateway.session.caller import CSRF_HEADER, caller_dependency, csrf_for
from afas_declaration.gateway.web.pages import Viewer, check_csrf, viewer_dependency
from afas_shared.auth.revocation import RevocationList
from afas_shared.auth.tokens import InvalidToken, SessionClaims
from afas_shared.auth.verified_sessions import VerifiedSessions
from afas_shared.clock import SystemClock
from afas_shared.settings import CommonSettings

SESSION_TOKEN = "a-user-session-token"
CSRF_SECRET = "the-pages-csrf-secret"
REFUSED = "Jeton de sécurité manquant ou invalide : rechargez la page."


class FakeTokens:
    """Identity's signature, as the gateway sees it: one valid session token."""

    def __init__(self) -> None:
        now = int(time.time())
        self.claims = SessionClaims(
            sub=uuid.uuid4(),
            sid=uuid.uuid4(),
            kind="partner",
            partner_id=uuid.uuid4(),
            caf_code=None,
            groups=["AFAS-DECLARER"],
            caf_roles=[],
            iat=now,  # fresh: no refresh call to identity
            exp=now + 1800,
        )

    async def verify(self, token: str) -> SessionClaims:
        if token != SESSION_TOKEN:
            raise InvalidToken("invalid")
        return self.claims


@pytest.fixture
def runtime():
    tokens, revocations, clock = FakeTokens(), RevocationList(), SystemClock()
    sessions = VerifiedSessions(tokens, revocations, clock.now)
    return SimpleNamespace(tokens=tokens, revocations=revocations, clock=clock, state={}, verified_sessions=sessions)


def _settings(tmp_path, *, admin_token: str, csrf_secret: str = CSRF_SECRET) -> Settings:
    return Settings(common=CommonSettings(var_dir=tmp_path), admin_token=admin_token, csrf_secret=csrf_secret)


def _gateway(runtime, settings: Settings) -> httpx.AsyncClient:
    """The gateway's caller and page viewer on one API write and one page form."""
    app = FastAPI()
    current_caller = caller_dependency(runtime, settings)

    async def who_am_i(caller) -> dict:
        return {"prenom": "Karim", "nom": "Essai"}

    viewer = viewer_dependency(current_caller, settings.csrf_secret, who_am_i)

    @app.post("/api/v1/essai")
    async def api_write(caller=Depends(current_caller)) -> dict:
        return {"ok": True}

    @app.get("/page")
    async def page(me: Viewer = Depends(viewer)) -> dict:
        return {"csrf": me.csrf}

    @app.post("/page")
    async def form(csrf: str = Form(""), me: Viewer = Depends(viewer)) -> dict:
        check_csrf(me, csrf)
        return {"ok": True}

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway", cookies={"afas_session": SESSION_TOKEN}
    )


async def test_changing_the_operator_secret_leaves_the_pages_csrf_tokens_valid(runtime, tmp_path):
    async with _gateway(runtime, _settings(tmp_path, admin_token="the-first-operator-secret")) as before:
        token = (await before.get("/page")).json()["csrf"]
        assert token == csrf_for(CSRF_SECRET, str(runtime.tokens.claims.sid))
        assert (await before.post("/api/v1/essai", headers={CSRF_HEADER: token})).status_code == 200
    async with _gateway(runtime, _settings(tmp_path, admin_token="a-rotated-operator-secret")) as after:
        assert (await after.get("/page")).json()["csrf"] == token
        assert (await after.post("/api/v1/essai", headers={CSRF_HEADER: token})).status_code == 200
        assert (await after.post("/page", data={"csrf": token})).status_code == 200


@pytest.mark.parametrize("key", ["another-csrf-secret", "the-operators-secret"])
async def test_a_csrf_token_made_with_another_key_is_refused(runtime, tmp_path, key):
    settings = _settings(tmp_path, admin_token="the-operators-secret")
    forged = csrf_for(key, str(runtime.tokens.claims.sid))
    async with _gateway(runtime, settings) as gateway:
        api = await gateway.post("/api/v1/essai", headers={CSRF_HEADER: forged})
        page = await gateway.post("/page", data={"csrf": forged})
    assert api.status_code == 403 and api.json()["detail"] == REFUSED
    assert page.status_code == 403
    assert page.json()["detail"] == "Jeton de sécurité du formulaire invalide : rechargez la page."


async def test_rotating_the_csrf_secret_refuses_the_tokens_it_made(runtime, tmp_path):
    async with _gateway(runtime, _settings(tmp_path, admin_token="the-operators-secret")) as before:
        token = (await before.get("/page")).json()["csrf"]
    rotated = _settings(tmp_path, admin_token="the-operators-secret", csrf_secret="a-rotated-csrf-secret")
    async with _gateway(runtime, rotated) as after:
        refused = await after.post("/api/v1/essai", headers={CSRF_HEADER: token})
        fresh = (await after.get("/page")).json()["csrf"]
        accepted = await after.post("/api/v1/essai", headers={CSRF_HEADER: fresh})
    assert refused.status_code == 403 and refused.json()["detail"] == REFUSED
    assert fresh != token and accepted.status_code == 200
