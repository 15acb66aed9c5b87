"""A bounded fuzz run of the gateway's public OpenAPI: no input, however malformed, gets a server error.

The five services run in this test's event loop with the demo data loaded (accounts, catalogue, grants,
forecast campaigns), and the gateway answers on a real HTTP server on a free port (requests from
schemathesis, in a worker thread, while the loop serves them). Every operation of ``/openapi.json`` is
fuzzed with data that fits its schema and data that does not (schemathesis' positive and negative
modes), three times: anonymously, as a partner user (Claire Martin, administrator, declarant and
approbateur of the Commune d'Amiens) and as a Caf agent (Agnès Lefèvre, Caf de la Somme). Path
parameters are drawn either by schemathesis or among the demo's real identifiers, so the fuzz reaches
past the 404s into the use cases. The OpenAPI says only "an object" of a form's values, so a provider
(Karim Bernard) also saves his own forms with odd values in their real fields, then controls and estimates
them (first: the operation fuzz may end his grants).

Checked: no 5xx, ever (and an answer within the timeout). Any is listed at the end with a ``curl``
command reproducing it. And every body matches the model the OpenAPI gives for its status: each route
documents its success and the refusals it can answer (``{"detail": ...}``, the list of fields at fault for
a 422), so a reply that drifts from its documentation fails here.

Bounded: ``AFAS_FUZZ_EXAMPLES`` examples per operation and caller (default 4, five times as many per form; a
quarter, at least one, for the anonymous caller of an operation that needs a session: it is refused whatever it
sends), Hypothesis derandomized (same cases every run). A larger run: ``AFAS_FUZZ_EXAMPLES=100 pytest tests/fuzz``.
The gateway's rate limits are raised for this test, or it would fuzz its 429s.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack

import pytest
import requests
import schemathesis

from afas_shared.settings import LOCAL_ONLY_SECRET
from afas_shared.testing.fixtures import running
from tests.fuzz.openapi_fuzz_harness import (
    AGENT,
    EXAMPLES,
    GATEWAY_OVERRIDES,
    PARTNER,
    PROVIDER,
    SERVICES,
    Caller,
    Tally,
    _demo_catalogue,
    _describe,
    _fuzz,
    _fuzz_form_values,
    _http,
    _known_identifiers,
    serving,
)


@pytest.mark.timeout(3600)
# schemathesis' negative mode uses `random` inside its strategies (still deterministic under derandomize)
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_no_input_to_the_public_api_gets_a_server_error(make_settings, report_measurement):
    started = time.monotonic()
    async with AsyncExitStack() as stack:
        for service in SERVICES:
            overrides = GATEWAY_OVERRIDES if service == "declaration" else {}
            runtime = await stack.enter_async_context(running(make_settings(service, **overrides)))
        base_url = await stack.enter_async_context(serving(runtime.create_app()))

        demo = await asyncio.to_thread(
            _http, "POST", f"{base_url}/api/v1/admin/demo", None, LOCAL_ONLY_SECRET, None, 90
        )
        assert demo[0] == 200, demo
        await asyncio.to_thread(_demo_catalogue().load, _http, base_url)
        anonymous, partner, agent = (
            Caller("anonyme", None, base_url),
            Caller("partenaire", PARTNER, base_url),
            Caller("agent Caf", AGENT, base_url),
        )
        for caller in (partner, agent):
            await asyncio.to_thread(caller.ensure_session)
        known = await asyncio.to_thread(_known_identifiers, base_url, agent, partner)

        openapi = await asyncio.to_thread(requests.get, f"{base_url}/openapi.json", timeout=30)
        assert openapi.status_code == 200
        schema = schemathesis.openapi.from_dict(openapi.json())
        tally = Tally()
        fuzz_started = time.monotonic()
        # the forms first: the operation fuzz may end the provider's grants (real grant ids are drawn)
        await asyncio.to_thread(_fuzz_form_values, Caller("fournisseur", PROVIDER, base_url), base_url, tally)
        await asyncio.to_thread(_fuzz, schema, [anonymous, partner, agent], known, base_url, tally)

    elapsed, fuzzing = time.monotonic() - started, time.monotonic() - fuzz_started
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(tally.statuses.items(), key=str))
    report_measurement(
        f"OpenAPI fuzz: {len(tally.operations)} operations x 3 callers, {EXAMPLES} examples each "
        f"(the provider's forms: {EXAMPLES * 5} each), "
        f"{tally.requests} requests in {fuzzing:.0f} s ({elapsed:.0f} s with the start), "
        f"{len(tally.server_errors)} server errors "
        f"(statuses {statuses}; {sum(tally.nonconforming.values())} bodies off their schema)"
    )
    forms = ", ".join(f"{key}: {count}" for key, count in sorted(tally.form_statuses.items()))
    report_measurement(f"OpenAPI fuzz, the provider's forms with odd values (save, controls, estimate): {forms}")
    slowest = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in tally.seconds.most_common(5))
    report_measurement(f"OpenAPI fuzz, slowest operations (3 callers): {slowest}")
    if tally.server_errors:
        pytest.fail(_describe(tally.server_errors), pytrace=False)
    assert not tally.nonconforming, f"bodies off their OpenAPI schema: {dict(tally.nonconforming)}"
