"""The harness of the public OpenAPI fuzz (``test_public_openapi_fuzz.py``): the platform served on a real port, the
callers, the fuzz of every operation and of the provider's forms (Hypothesis strategies driving schemathesis and
requests), and the tally and report of what it found.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import os
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from afas_shared.testing.fixtures import eventually

EXAMPLES = int(os.environ.get("AFAS_FUZZ_EXAMPLES", "4"))
# An anonymous caller of an operation that needs a session is refused whatever it sends (the session is checked
# before the parameters and the body are validated), so more of its examples would fuzz the same refusal: a quarter
# of them, at least one per operation (the other callers keep them all)
REFUSED_EXAMPLES = max(1, EXAMPLES // 4)
REQUEST_TIMEOUT = 30.0
SERVICES = ("identity", "habilitation", "estimation", "notification", "declaration")
DEMO_PASSWORD = "Demo-Afas-2026!"
PARTNER, AGENT, PROVIDER = "200000001", "100000001", "200000002"
# The fuzz would otherwise spend its requests on 429s: raise the gateway's limits for this test only.
GATEWAY_OVERRIDES = {
    "rate_limit_per_second": 1_000_000.0,
    "rate_limit_burst": 1_000_000,
    "login_rate_limit_per_minute": 1_000_000,
    # /api/v1/status answers 503 by design when a service is slower than this: give the loaded loop time.
    "status_timeout_seconds": 10.0,
}
# Operator-only endpoints that rebuild or reset the platform: not fuzzed (they need the operator token anyway).
SKIPPED = {("POST", "/api/v1/admin/demo")}
ROOT = Path(__file__).resolve().parents[2]


def _demo_catalogue():
    """tools/demo_catalogue.py, the catalogue `make run` loads (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("afas_demo_catalogue", ROOT / "tools" / "demo_catalogue.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _http(
    method: str, url: str, body: Any = None, token: str | None = None, query: str | None = None, timeout: float = 30
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.request(method, f"{url}?{query}" if query else url, json=body, headers=headers, timeout=timeout)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


@asynccontextmanager
async def serving(app) -> AsyncIterator[str]:
    """The app on a real HTTP server in this event loop, on a free port; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="off", log_config=None, access_log=False, proxy_headers=True, forwarded_allow_ips="127.0.0.1"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await eventually(lambda: server.started or task.done(), timeout=10)
        assert not task.done(), "the gateway's HTTP server did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class Caller:
    """Who the fuzz calls as: no one, or a demo account whose session token is renewed when it ends."""

    name: str
    identifier: str | None
    base_url: str
    token: str | None = None
    logins: int = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def ensure_session(self) -> None:
        """Log in again when the fuzz ended the session (logout, password change…)."""
        if self.identifier is None:
            return
        if self.token is not None:
            check = requests.get(f"{self.base_url}/api/v1/auth/session", headers=self.headers(), timeout=30)
            if check.status_code == 200:
                return
        self.logins += 1
        # a fresh source address each time: the fuzz of the login endpoint may have locked 127.0.0.1 out
        address = f"198.51.100.{self.logins % 250 + 1}"
        answer = requests.post(
            f"{self.base_url}/api/v1/auth/login",
            json={"identifiant": self.identifier, "mot_de_passe": DEMO_PASSWORD},
            headers={"X-Forwarded-For": address},
            timeout=30,
        )
        assert answer.status_code == 200, f"{self.name}: login refused ({answer.status_code} {answer.text})"
        self.token = answer.json()["jeton"]

    def renewed(self, response: requests.Response) -> None:
        if fresh := response.headers.get("X-Session-Token"):
            self.token = fresh


@dataclass
class Finding:
    caller: str
    operation: str
    status: int | str
    curl: str
    answer: str


@dataclass
class Tally:
    requests: int = 0
    operations: set[str] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)
    nonconforming: Counter = field(default_factory=Counter)
    seconds: Counter = field(default_factory=Counter)  # per operation, generation included
    form_statuses: Counter = field(default_factory=Counter)  # (method, status) of the form phase
    server_errors: list[Finding] = field(default_factory=list)


def _known_identifiers(base_url: str, agent: Caller, partner: Caller) -> dict[str, list[str]]:
    """Real identifiers of the demo, per path parameter name, for the fuzz to draw from."""

    def get(path: str, caller: Caller) -> Any:
        response = requests.get(f"{base_url}{path}", headers=caller.headers(), timeout=30)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    partners = [p["id"] for p in get("/api/v1/partners", partner)]
    activities = [a["id"] for a in get("/api/v1/activities", agent)["elements"]]
    declarations = get("/api/v1/declarations", partner)["elements"]
    declaration_ids = [d["id"] for d in declarations][:6]
    forms = []
    for declaration_id in declaration_ids[:3]:
        detail = get(f"/api/v1/declarations/{declaration_id}", partner)
        forms += [f["id"] for f in detail.get("formulaires", detail.get("forms", [])) if isinstance(f, dict)]
    grants = [g["id"] for g in get("/api/v1/grants", agent)][:6]
    users = {u["identifiant"]: u["id"] for u in get(f"/api/v1/partners/{partners[0]}/users", partner)}
    conventions = [c["id"] for c in get("/api/v1/conventions", agent) if isinstance(c, dict) and "id" in c][:3]
    known = {
        "partner_id": partners,
        "activity_id": activities,
        "declaration_id": declaration_ids,
        "form_id": forms,
        "grant_id": grants,
        # only Lucas Dubois: the fuzz may suspend or close him, never the accounts it calls as
        "user_id": [users["200000004"]],
        "convention_id": conventions,
        "caf": ["080"],
        "famille": ["eaje_psu", "alsh", "rpe", "laep"],
        "number": ["1", "2"],
        "group": ["AFAS-DECLARER", "AFAS-HABILITER"],
        "service": list(SERVICES),
    }
    return {name: values for name, values in known.items() if values}


def _fuzz(schema, callers: list[Caller], known: dict[str, list[str]], base_url: str, tally: Tally) -> None:
    """Runs in a worker thread: Hypothesis drives schemathesis' cases, requests sends them to the gateway."""
    session = requests.Session()
    operations = [result.ok() for result in schema.get_all_operations()]
    for caller, operation in itertools.product(callers, operations):
        label = f"{operation.method.upper()} {operation.path}"
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        tally.operations.add(label)
        caller.ensure_session()
        modes = [operation.as_strategy(GenerationMode.POSITIVE)]
        try:
            modes.append(operation.as_strategy(GenerationMode.NEGATIVE))
        except Exception:  # an operation without any parameter or body has nothing to negate
            pass
        names = [p.name for p in operation.path_parameters if p.name in known]
        ids = st.fixed_dictionaries({name: st.none() | st.sampled_from(known[name]) for name in names})

        refused = caller.identifier is None and bool(operation.definition.raw.get("security"))
        examples = REFUSED_EXAMPLES if refused else EXAMPLES
        began = time.monotonic()
        _run_operation(st.one_of(modes), ids, caller, label, base_url, session, tally, examples)
        tally.seconds[label] += time.monotonic() - began


def _run_operation(cases, ids, caller: Caller, label: str, base_url: str, session, tally: Tally, examples: int) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, real=ids)
    def one(case, real) -> None:
        for name, value in real.items():
            if value is not None:
                case.path_parameters[name] = value
        headers = caller.headers()
        tally.requests += 1
        try:
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=REQUEST_TIMEOUT)
        except requests.RequestException as exc:
            tally.statuses["no answer"] += 1
            tally.server_errors.append(Finding(caller.name, label, "no answer", _curl(case, headers), repr(exc)))
            return
        caller.renewed(response)
        tally.statuses[response.status_code] += 1
        if response.status_code >= 500:
            tally.server_errors.append(
                Finding(caller.name, label, response.status_code, _curl(case, headers), response.text[:300])
            )
        else:  # a success or a refusal: the body must match the model the OpenAPI gives for its status
            try:
                case.validate_response(response, checks=[response_schema_conformance])
            except Exception:
                tally.nonconforming[f"{label} {response.status_code}"] += 1

    one()


# Values a form field may receive: the OpenAPI says only "an object", so the operation fuzz never names a real field
ODD_NUMBERS = ["1e999", "-1e999", "NaN", "Infinity", "1e-999", "0x10", "1_000", "1,5", "12 345,67", "-0", "\uff19"]
ODD_NUMBERS += ["9" * 40, "0." + "0" * 60 + "1", " 12 ", "", "oui", "non", "12.5.3"]
FIELD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(ODD_NUMBERS),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=2),
)


def _fuzz_form_values(provider: Caller, base_url: str, tally: Tally) -> None:
    """The provider's own forms, saved with odd values in their real fields, then controlled and estimated."""
    session = requests.Session()
    provider.ensure_session()
    listing = session.get(f"{base_url}/api/v1/declarations", headers=provider.headers(), timeout=30).json()["elements"]
    for row in listing[:3]:
        url = f"{base_url}/api/v1/declarations/{row['id']}"
        detail = session.get(url, headers=provider.headers(), timeout=30).json()
        for form in [f for f in detail["formulaires"] if f["modifiable"]][:1]:
            fields = [c["id"] for section in form["sections"] for c in section["champs"]]
            label = f"PUT /api/v1/forms/{{form_id}} ({detail['activite']}, real fields)"
            tally.operations.add(label)
            _save_odd_values(
                session, provider, f"{base_url}/api/v1/forms/{form['id']}", url, fields, label, form, tally
            )


def _save_odd_values(session, provider: Caller, form_url: str, url: str, fields, label: str, form, tally) -> None:
    state = {"version": form["version"]}

    @settings(
        max_examples=EXAMPLES * 5,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(values=st.dictionaries(st.sampled_from(fields), FIELD_VALUES, max_size=len(fields)))
    def one(values) -> None:
        calls = [
            ("PUT", form_url, {"version": state["version"], "valeurs": values}),
            ("POST", f"{url}/controls", None),
            ("GET", f"{url}/estimate", None),
        ]
        for method, target, body in calls:
            tally.requests += 1
            try:
                response = session.request(
                    method, target, json=body, headers=provider.headers(), timeout=REQUEST_TIMEOUT
                )
            except requests.RequestException as exc:
                tally.statuses["no answer"] += 1
                tally.server_errors.append(Finding(provider.name, label, "no answer", target, repr(exc)))
                continue
            provider.renewed(response)
            tally.statuses[response.status_code] += 1
            tally.form_statuses[f"{method} {response.status_code}"] += 1
            if response.status_code >= 500:
                shown = f"curl -X {method} '{target}'" + (f" -d '{json.dumps(body)}'" if body else "")
                tally.server_errors.append(
                    Finding(provider.name, f"{method} {target}", response.status_code, shown, response.text[:300])
                )
            if method == "PUT" and response.status_code == 200:
                state["version"] = response.json().get("version", state["version"] + 1)

    one()


def _curl(case, headers: dict[str, str]) -> str:
    shown = {k: "Bearer <jeton>" if k == "Authorization" else v for k, v in headers.items()}
    try:
        return case.as_curl_command(headers=shown)
    except Exception as exc:  # pragma: no cover - a case curl cannot render
        return f"{case!r} ({exc})"


def _describe(findings: list[Finding]) -> str:
    seen: Counter = Counter()
    lines = [f"{len(findings)} server error(s):"]
    for f in findings:
        key = (f.caller, f.operation, f.status)
        seen[key] += 1
        if seen[key] <= 2:
            lines.append(f"- [{f.caller}] {f.operation} -> {f.status}: {f.answer}\n    {f.curl}")
    lines += [f"  ({count - 2} more like {key})" for key, count in seen.items() if count > 2]
    return "\n".join(lines)
