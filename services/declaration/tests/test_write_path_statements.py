"""The deadline day's write path, statement by statement (issue 16): what each call of a declaration's flow — the
two saves with their estimate, the controls, the estimate, the transmit and the receipt's download — sends to the
database, counted and held to a ceiling so that a read added back shows here."""

from __future__ import annotations

import uuid

import pytest

from afas_declaration.application import drafts, receipts, review, transmission
from afas_declaration.application.errors import Forbidden, NotFound
from afas_declaration.application.permissions import one_access_per_request
from afas_shared.testing.eaje import EAJE_ACTIVITY, EAJE_BUDGET
from services.declaration.tests.test_save_sessions import Counted, counting
from services.declaration.tests.use_case_scenes import ESTIMATE, lucioles

# The activity's figures with nothing left to justify, as the deadline benchmark fills them
TRANSMITTABLE = {**EAJE_ACTIVITY, "heures_facturees": "62000"}
# Statements of each call, transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT) left out
CEILINGS = {"save_activity": 5, "save_financial": 4, "controls": 5, "estimate": 2, "transmit": 8, "receipt": 1}


def _work(counted: Counted) -> list[str]:
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
    return [sql for sql in counted.statements if not sql.lstrip().upper().startswith(control)]


async def test_each_call_of_a_declarations_flow_sends_at_most_its_statements(world):
    scene = await lucioles(world)
    runtime, alice = world.runtime, scene.alice
    counts: dict[str, int] = {}
    forms = (await drafts.detail(runtime, alice.caller, scene.declaration_id))["formulaires"]
    for step, kind, values in (
        ("save_activity", "activite", TRANSMITTABLE),
        ("save_financial", "financier", EAJE_BUDGET),
    ):
        form = next(f for f in forms if f["type"] == kind)
        with counting(runtime) as counted, one_access_per_request():
            await drafts.save(runtime, alice.caller, uuid.UUID(form["id"]), form["version"], values, with_estimate=True)
        counts[step] = len(_work(counted))
        print(step, *[" ".join(s.split())[:150] for s in counted.statements], sep="\n  ")
    with counting(runtime) as counted, one_access_per_request():
        await review.run(runtime, alice.caller, scene.declaration_id)
    counts["controls"] = len(_work(counted))
    print("controls", *[" ".join(s.split())[:150] for s in counted.statements], sep="\n  ")
    with counting(runtime) as counted, one_access_per_request():
        assert (await review.estimate_for(runtime, alice.caller, scene.declaration_id))["montant"] == ESTIMATE
    counts["estimate"] = len(_work(counted))
    print("estimate", *[" ".join(s.split())[:150] for s in counted.statements], sep="\n  ")
    with counting(runtime) as counted, one_access_per_request():
        sent = await transmission.transmit(runtime, alice.caller, scene.declaration_id, True, None)
    counts["transmit"] = len(_work(counted))
    print("transmit", *[" ".join(s.split())[:150] for s in counted.statements], sep="\n  ")
    await receipts.of(runtime).settle()
    with counting(runtime) as counted, one_access_per_request():
        pdf = await transmission.receipt(runtime, alice.caller, scene.declaration_id, sent["version"])
    counts["receipt"] = len(_work(counted))
    print("receipt", *[" ".join(s.split())[:150] for s in counted.statements], sep="\n  ")
    assert pdf.startswith(b"%PDF")
    assert {step: n for step, n in counts.items() if n > CEILINGS[step]} == {}, counts


async def test_the_receipt_read_in_one_statement_is_refused_outside_the_whole_declaration(world):
    scene = await lucioles(world)
    sent = await scene.transmitted()
    stranger = await world.user("Paul", "Durand")
    with pytest.raises(Forbidden):
        await transmission.receipt(world.runtime, stranger.caller, scene.declaration_id, sent["version"])
    with pytest.raises(NotFound):
        await transmission.receipt(world.runtime, scene.alice.caller, scene.declaration_id, sent["version"] + 1)
    with pytest.raises(NotFound):
        await transmission.receipt(world.runtime, scene.alice.caller, uuid.uuid4(), 1)
    assert (await transmission.receipt(world.runtime, scene.alice.caller, scene.declaration_id, 1)).startswith(b"%PDF")
