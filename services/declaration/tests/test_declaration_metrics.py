"""The declaration service's metrics move with what happens: the per-state, per-campaign gauge (one GROUP BY,
sampled periodically) follows a declaration from « à saisir » to « transmise », and a transmission is counted once."""

from __future__ import annotations

from prometheus_client import REGISTRY

from afas_declaration.adapters.metrics import sample_declarations
from afas_declaration.application import transmission
from services.declaration.tests.use_case_scenes import lucioles


def gauge(state: str, caf: str) -> float | None:
    labels = {"caf": caf, "family": "eaje_psu", "exercice": "2026", "declaration_type": "previsionnelle"}
    return REGISTRY.get_sample_value("afas_declarations", {**labels, "state": state})


def transmitted() -> float:
    return REGISTRY.get_sample_value("afas_declarations_transmitted_total", {"declaration_type": "previsionnelle"}) or 0


async def test_declarations_per_state_and_campaign_and_transmissions_counted(world):
    scene = await lucioles(world)
    counts = await sample_declarations(world.runtime.db)
    [(caf, family, exercice, kind, state)] = counts
    assert (family, exercice, kind, state, counts[caf, family, exercice, kind, state]) == (
        "eaje_psu",
        "2026",
        "previsionnelle",
        "a_saisir",
        1,
    )
    assert gauge("a_saisir", caf) == 1

    await scene.ready()
    before = transmitted()
    await transmission.transmit(world.runtime, scene.alice.caller, scene.declaration_id, True, None)
    assert transmitted() == before + 1
    assert gauge("transmise", caf) is None  # not sampled yet: the gauge is no per-request work
    await sample_declarations(world.runtime.db)
    assert gauge("transmise", caf) == 1
    assert gauge("a_saisir", caf) is None  # a pair that emptied is gone, not frozen at its last value
