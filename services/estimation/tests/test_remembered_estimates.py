"""An explained estimate is remembered for the same inputs at the same barème versions (issue 16: a declaration asks
for the same figures' estimate at its estimate step, its controls and its transmit): asked again, it is answered
without being computed, and a national or Caf-local change made by either replica is applied by the very next
estimate on both, since the versions read on every request are part of what is remembered."""

from __future__ import annotations

import uuid

from afas_estimation.application import estimates
from afas_shared.testing.fixtures import running
from services.estimation.tests.test_baremes_rpc import AGENT, CHANGE
from services.estimation.tests.test_local_values_cache import _changed, _one_issuer
from services.estimation.tests.test_territories import DEFAULT, FIGURES, ask
from services.estimation.tests.wire import on_the_wire


async def _estimate(runtime, activity: uuid.UUID, **changes) -> dict:
    request = {
        "family": "eaje_psu",
        "nature": "multi_accueil",
        "exercice": 2026,
        "figures": FIGURES,
        "caf_code": "059",
        "activity_id": str(activity),
        **changes,
    }
    return (await runtime.request("estimation", "estimate", on_the_wire("estimate", request)))["result"]


async def test_the_same_inputs_are_answered_again_and_a_change_on_either_replica_is_seen_at_once(
    make_settings, monkeypatch
):
    computed: list[str] = []
    compute = estimates.compute_estimate

    def counted(family, *args, **kwargs):
        computed.append(family)
        return compute(family, *args, **kwargs)

    monkeypatch.setattr(estimates, "compute_estimate", counted)
    activity = uuid.uuid4()
    first = make_settings("estimation")
    async with running(first) as a, running(make_settings("estimation", database_url=first.database_url)) as b:
        _one_issuer(a, b)
        await _changed(a, "set_parameter", **DEFAULT)  # the Caf's 3 000 € per new place
        asked = [await _estimate(r, activity) for r in (a, b, a, b, a, b)]
        computed_first = len(computed)
        other = await _estimate(a, activity, figures={**FIGURES, "bonus_territoire_places_nouvelles": "5"})
        computed_other = len(computed) - computed_first
        await _changed(b, "set_parameter", **{**DEFAULT, "value": "3100"})  # a Caf-local change
        local = [await _estimate(r, activity) for r in (a, b)]
        changed = await ask(a, "set_parameter", AGENT, **CHANGE)  # a national change (taux_ps)
        national = [await _estimate(r, activity) for r in (a, b, a, b)]
        computed_after = len(computed)

    assert all(answer == asked[0] for answer in asked)
    assert computed_first <= 2  # once per replica at most (the queue group picks one), not six times
    assert computed_other == 1 and other["montant"] != asked[0]["montant"]  # other figures: computed
    assert [e["montant"] for e in asked] == ["67857.00"] * 6
    assert [e["montant"] for e in local] == ["68257.00"] * 2  # the next estimate on both replicas: 4 × 3 100 €
    assert changed["reestimation"]
    assert national[0] == national[1] == national[2] == national[3]
    assert national[0]["version_bareme"] != local[0]["version_bareme"]  # the national change applied at once
    assert computed_after - computed_first - computed_other <= 4  # each change: computed once per replica at most
