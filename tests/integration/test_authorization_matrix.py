"""The authorization matrix of the public gateway: every route × every kind of caller, each cell stated.

The five services run once for the module (demo accounts, ``tools/demo_catalogue.py``'s catalogue, grants and
forecast campaigns, plus the accounts the matrix needs: one Caf agent per back-office role, an agent of another
Caf, a user of another partner, an administrator who holds no grant, an approbateur who is not an administrator).
The ALSH's forecast (two sites, one activity-data provider per site) is filled, controlled, transmitted and validated,
so every path parameter names a real object of the first partner and the first Caf (the "other partner" and
"other Caf" cells test isolation), and the decisions on it answer 409 to allowed callers instead of destroying it.

Each cell is *allowed* (any answer but 401/403 — a validation error, a 409 or a 404 for a made-up id are fine)
or *refused* (401 for an anonymous caller of the API, a redirect to ``/connexion`` for an anonymous caller of
a page, else 403 or 404). No cell may answer 5xx. A route of the app missing from ``MATRIX`` fails the test:
a new route must be classified here. Refusal cells run first (they change nothing); routes that destroy what
later cells need (close, suspend, end a grant, log out…) then get one allowed caller each, at the very end.
``/internal/*`` and ``/metrics`` must not be served at all (404 to everyone).

Also here, through the gateway: what a provider granted ONE site of a multi-site activity may read of a
declaration (issue 12, « scope on every read »).
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import re
import socket
from contextlib import AsyncExitStack
from datetime import date
from typing import Any

import httpx
import pytest
import pytest_asyncio
import requests
import uvicorn
from fastapi.routing import iter_route_contexts

from afas_shared.settings import CommonSettings
from afas_shared.testing.fixtures import eventually, running
from tests.integration.authorization_matrix_callers import (
    ANON,
    APPROBATEUR,
    CAF_LEC,
    FDA_SITE,
    FDF,
    GATEWAY_OVERRIDES,
    KINDS,
    NOT_PUBLIC,
    REFUSALS,
    ROOT,
    SERVICES,
    Route,
)
from tests.integration.authorization_matrix_routes import MATRIX
from tests.integration.authorization_matrix_world import World, _accounts, _build_world

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]
REFUSAL_WORKERS = 4  # refusal cells in flight at once


# --- the platform, once for the module ---------------------------------------------------------------------------


def _demo_catalogue():
    spec = importlib.util.spec_from_file_location("afas_demo_catalogue", ROOT / "tools" / "demo_catalogue.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sync_http(method, url, body=None, token=None, query=None, timeout=30):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.request(method, f"{url}?{query}" if query else url, json=body, headers=headers, timeout=timeout)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


async def _serve(app, stack: AsyncExitStack) -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def stop() -> None:
        server.should_exit = True
        await task
        sock.close()

    stack.push_async_callback(stop)
    await eventually(lambda: server.started or task.done(), timeout=10)
    assert not task.done(), "the gateway's HTTP server did not start"
    return f"http://127.0.0.1:{port}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(backends, tmp_path_factory):
    common = CommonSettings(
        nats_url=backends.nats_url, bus_prefix=backends.bus_prefix(), var_dir=tmp_path_factory.mktemp("matrix")
    )

    def settings(service: str, **overrides: Any):
        config = importlib.import_module(f"afas_{service}.config")
        values = {
            "database_url": backends.migrated_database_url(service),
            "consumer_backoff_seconds": [0.1, 0.2, 0.4],
            "consumer_ack_wait_seconds": 5.0,
            "outbox_poll_seconds": 0.2,
            "rpc_timeout_seconds": 10.0,
            **overrides,
        }
        return config.Settings(common=common, **values)

    async with AsyncExitStack() as stack:
        runtimes = {}
        for service in SERVICES:
            overrides = GATEWAY_OVERRIDES if service == "declaration" else {}
            runtimes[service] = await stack.enter_async_context(running(settings(service, **overrides)))
        gateway = runtimes["declaration"]
        app = gateway.create_app()
        base_url = await _serve(app, stack)
        admin_token = gateway.settings.admin_token
        demo = await asyncio.to_thread(_sync_http, "POST", f"{base_url}/api/v1/admin/demo", None, admin_token, None, 90)
        assert demo[0] == 200, demo
        await asyncio.to_thread(_demo_catalogue().load, _sync_http, base_url)
        made = await _accounts(runtimes["identity"])
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=60))
        built = await _build_world(http, base_url, runtimes["identity"], gateway, admin_token, made)
        built.app = app
        yield built


# --- one cell ----------------------------------------------------------------------------------------------------


def _gateway_routes(app) -> set[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(app.routes):
        for method in context.methods or ():
            if method != "HEAD":
                found.add((method, context.path))
    return found


def _is_page(path: str) -> bool:
    return not path.startswith("/api/") and path not in ("/openapi.json", "/healthz", "/readyz", "/asyncapi.json")


async def _call(
    world: World, method: str, path: str, spec: Route, kind: str, http: httpx.AsyncClient | None = None
) -> httpx.Response:
    http = http or world.http
    http.cookies.clear()  # each cell is its own caller: no session cookie left by an earlier answer
    values = {**world.ids, **{name: world.ids[key] for name, key in spec.params.items()}}
    url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
    headers = world.headers(kind)
    if spec.cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in spec.cookies.items())
    options: dict[str, Any] = {"headers": headers}
    query = world.bodies[spec.query] if isinstance(spec.query, str) else spec.query
    if query:
        options["params"] = query
    if spec.form is not None:
        form = world.bodies[spec.form] if isinstance(spec.form, str) else spec.form
        options["data"] = {"csrf": world.csrf.get(kind, ""), **form}
    elif spec.csv is not None:
        options["content"] = spec.csv.encode()
        headers["Content-Type"] = "text/csv"
    elif spec.body is not None:
        options["json"] = world.bodies[spec.body] if isinstance(spec.body, str) else spec.body
    elif method in ("POST", "PUT"):
        options["json"] = None
    return await http.request(method, url, follow_redirects=False, **options)


def _verdict(path: str, spec: Route, kind: str, response: httpx.Response) -> str | None:
    """What is wrong with this answer for this cell, or None."""
    allowed, status = kind in spec.allowed, response.status_code
    to_login = status in (302, 303, 307) and response.headers.get("location", "").startswith("/connexion")
    to_login = to_login and not spec.ends_on_login_page
    if status >= 500:
        return f"server error {status}: {response.text[:200]}"
    if allowed:
        if status in (401, 403) or (to_login and kind != ANON):
            return f"allowed but refused ({status}): {response.text[:200]}"
        return None
    if kind == ANON:
        expected_anon = (to_login or status in REFUSALS) if _is_page(path) else status == 401
        return None if expected_anon else f"anonymous caller not refused (expected 401 / login page, got {status})"
    if status in REFUSALS:
        return None
    return f"should be refused (401/403/404) but got {status}: {response.text[:200]}"


# --- the tests ---------------------------------------------------------------------------------------------------


async def test_a_site_provider_reads_only_its_own_forms_through_every_route(world: World):
    """Issue 12, scope on every read: the provider of one site of the ALSH; the approbateur keeps the full view."""
    http, declaration = world.http, world.ids["declaration_id"]
    url = f"/api/v1/declarations/{declaration}"
    karim, paul, agent = world.headers(FDA_SITE), world.headers(APPROBATEUR), world.headers(CAF_LEC)

    version = (await http.get(f"{url}/versions/1", headers=karim)).json()
    assert [(f["type"], f["lieu"]) for f in version["formulaires"]] == [("activite", "École Jules Ferry")], version
    assert version["chiffres"] is None and version["estimation"]["disponible"] is False
    assert all(c["lieu"] == "École Jules Ferry" and c["formulaire"] == "activite" for c in version["controles"])
    assert "60000" not in str(version) and "produits_74_caf" not in str(version)
    full = (await http.get(f"{url}/versions/1", headers=paul)).json()
    assert len(full["formulaires"]) == 3 and full["chiffres"] and full["estimation"] == full["estimation"]
    assert (await http.get(f"{url}/versions/1", headers=agent)).json()["formulaires"] == full["formulaires"]

    [listed] = (await http.get(f"{url}/versions", headers=karim)).json()
    assert listed["accuse_reception"] is None and listed["estimation"]["disponible"] is False

    payments = f"/api/v1/activities/{world.ids['activity_id']}/payments?exercice={date.today().year + 1}"
    for path in (f"{url}/versions/1/accuse.pdf", f"{url}/estimate", f"{url}/entitlement", payments):
        refused = await http.get(path, headers=karim)
        assert refused.status_code == 403 and "réservés" in refused.json()["detail"], (path, refused.text)
        assert (await http.get(path, headers=paul)).status_code == 200, path
        assert (await http.get(path, headers=world.headers(FDF))).status_code == 200, path

    controls = (await http.get(f"{url}/controls", headers=karim)).json()
    assert controls["controles"] and {(c["formulaire"], c["lieu"]) for c in controls["controles"]} == {
        ("activite", "École Jules Ferry")
    }
    assert controls["estimation"]["disponible"] is False
    assert all("Victor Hugo" not in o and "financières" not in o for o in controls["obstacles"])
    everything = (await http.get(f"{url}/controls", headers=paul)).json()["controles"]
    assert {c["lieu"] for c in everything} > {"École Jules Ferry"} and any(
        c["formulaire"] != "activite" for c in everything
    )
    # Another site's form: refused as such, without saying whether an earlier declaration exists to take up
    prefill = await http.post(f"/api/v1/forms/{world.ids['form_id']}/prefill", headers=karim, json={"version": 1})
    assert prefill.status_code == 403, prefill.text
    run = await http.post(f"{url}/controls", headers=karim)  # transmitted: frozen, but never the whole budget
    assert run.status_code == 409, run.text

    # The pages: the receipt refused, no receipt link, the controls page limited to the site
    page = await http.get(f"/declarations/{declaration}/versions/1/accuse.pdf", headers=karim)
    assert page.status_code == 403 and "réservés" in page.text
    page = await http.get(f"/declarations/{declaration}", headers=karim)
    assert page.status_code == 200 and "accuse.pdf" not in page.text
    assert "accuse.pdf" in (await http.get(f"/declarations/{declaration}", headers=paul)).text
    page = await http.get(f"/declarations/{declaration}/controle", headers=karim)
    assert page.status_code == 200 and "Victor Hugo" not in page.text
    rows = (await http.get("/api/v1/declarations", headers=karim)).json()["elements"]
    row = next(r for r in rows if r["id"] == declaration)
    assert "telecharger_accuse" not in [a["action"] for a in row["actions"]]

    # Pièces justificatives: his site's file only, in the list and in the transmitted version alike
    site_file, whole_file = world.ids["site_attachment_id"], world.ids["attachment_id"]
    assert [f["id"] for f in (await http.get(f"{url}/pieces-jointes", headers=karim)).json()] == [site_file]
    assert [f["id"] for f in version["pieces_jointes"]] == [site_file]
    assert {f["id"] for f in full["pieces_jointes"]} == {site_file, whole_file}
    assert (await http.get(f"{url}/pieces-jointes/{site_file}", headers=karim)).status_code == 200
    assert (await http.get(f"{url}/pieces-jointes/{whole_file}", headers=karim)).status_code == 403
    assert whole_file not in (await http.get(f"/declarations/{declaration}", headers=karim)).text


async def test_every_route_of_the_gateway_is_in_the_matrix(world: World):
    app_routes = _gateway_routes(world.app)
    missing = sorted(app_routes - set(MATRIX))
    assert not missing, f"routes of the public gateway missing from MATRIX (classify them): {missing}"
    stale = sorted(set(MATRIX) - app_routes)
    assert not stale, f"MATRIX names routes the gateway no longer has: {stale}"


async def test_every_route_times_every_caller(world: World):
    findings: list[str] = []
    app_routes = _gateway_routes(world.app)
    ordered = [(key, spec) for key, spec in MATRIX.items() if key in app_routes]
    last_calls: list[tuple[tuple[str, str], Route, str]] = []

    async def cell(method: str, path: str, spec: Route, kind: str, http: httpx.AsyncClient | None = None) -> None:
        response = await _call(world, method, path, spec, kind, http)
        problem = _verdict(path, spec, kind, response)
        if problem:
            expected = "allowed" if kind in spec.allowed else "refused"
            findings.append(f"{method} {path} [{kind}] expected {expected}: {problem}")

    for method, path in NOT_PUBLIC:
        for kind in KINDS:
            world.http.cookies.clear()
            answer = await world.http.request(method, path, headers=world.headers(kind))
            if answer.status_code != 404:
                findings.append(f"{method} {path} [{kind}] expected 404 (not public): got {answer.status_code}")
    # Refusals first: they change nothing, so they run side by side (the requests' waits on the bus and the
    # databases overlap), each worker with its own client so that no cookie passes from one cell to another
    refusals = [(m, p, spec, kind) for (m, p), spec in ordered for kind in KINDS if kind not in spec.allowed]

    async def refusal_worker() -> None:
        async with httpx.AsyncClient(base_url=world.base_url, timeout=60) as http:
            while refusals:
                await cell(*refusals.pop(), http=http)

    await asyncio.gather(*(refusal_worker() for _ in range(REFUSAL_WORKERS)))
    # Then the allowed callers of the harmless routes, one after the other (they may create what a later one reads)
    for (method, path), spec in ordered:
        allowed = [k for k in KINDS if k in spec.allowed]
        if spec.destructive:
            if allowed:
                last_calls.append(((method, path), spec, spec.last_caller or allowed[-1]))
            continue
        for kind in allowed:
            await cell(method, path, spec, kind)
    # One allowed caller of each destructive route, at the very end (sessions ended last)
    last_calls.sort(key=lambda c: c[0][1] in ("/api/v1/auth/logout", "/deconnexion"))
    for (method, path), spec, kind in last_calls:
        await cell(method, path, spec, kind)
    assert not findings, f"{len(findings)} cell(s) of the authorization matrix fail:\n" + "\n".join(findings)
