"""A setting notification refuses reaches the API's client naming the field as the API names it, with no map
between: the request travels under the API's names (``afas_shared.contracts.rpc.notification``)."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx

from afas_shared.settings import LOCAL_ONLY_SECRET
from afas_shared.testing.fixtures import running

OPERATOR = {"Authorization": f"Bearer {LOCAL_ONLY_SECRET}"}
SERVICES = ("identity", "declaration", "notification")


async def test_a_refused_reminder_setting_names_the_apis_field(make_settings):
    async with AsyncExitStack() as stack:
        runtimes = {s: await stack.enter_async_context(running(make_settings(s))) for s in SERVICES}
        for runtime in runtimes.values():  # notification checks the operator's credential with identity's keys
            await runtime.wait_for_keys(15)
        client = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=runtimes["declaration"].create_app()), base_url="http://gateway"
            )
        )

        async def refused(body: dict) -> tuple[list, str]:
            answer = await client.put("/api/v1/rappels/parametres", json=body, headers=OPERATOR)
            assert answer.status_code == 422, answer.text
            [problem] = answer.json()["detail"]
            return problem["loc"], problem["msg"]

        too_late = await refused({"caf": "080", "jours_avant": [15, 3, 1], "jours_apres": 61})
        too_early = await refused({"caf": "080", "jours_avant": [200], "jours_apres": 1})
        no_caf = await refused({"jours_avant": [15], "jours_apres": 1})  # the operator names the Caf
        kept = await client.put(
            "/api/v1/rappels/parametres", json={"caf": "080", "jours_avant": [7], "jours_apres": 2}, headers=OPERATOR
        )
    assert too_late == (["body", "jours_apres"], "Jours après la date limite : un nombre entier entre 1 et 60.")
    assert too_early == (["body", "jours_avant"], "Jours avant la date limite : des nombres entiers entre 1 et 120.")
    assert no_caf == (["body", "caf"], "Indiquez la Caf.")
    assert kept.status_code == 200 and kept.json() == {
        "caf": "080",
        "jours_avant": [7],
        "jours_apres": 2,
        "par_defaut": False,
    }
