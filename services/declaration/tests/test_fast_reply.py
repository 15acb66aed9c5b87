"""The hot paths — the reads (« Mes déclarations », one declaration) and the deadline day's writes (a form save with its
estimate, the controls, the estimate, the transmit) — are written by orjson instead of through their reply model: the
JSON must be the very one the model would have written, for every kind of caller and state, and the headers a
dependency set (the refreshed session token) must still reach the client."""

from __future__ import annotations

import uuid
from decimal import Decimal

import orjson
import pytest
from pydantic import TypeAdapter
from starlette.responses import Response

from afas_declaration.application import approbateur_actions, declaration_list, drafts, review, transmission
from afas_declaration.gateway.api.declaration_replies import DeclarationDetail, SavedForm
from afas_declaration.gateway.api.fast_reply import fast_reply
from afas_declaration.gateway.api.page_replies import DeclarationPage
from afas_declaration.gateway.api.review_replies import Controls, Estimate, VersionSummary
from afas_declaration.gateway.session.caller import SESSION_HEADER
from afas_shared.testing.eaje import EAJE_ACTIVITY, EAJE_BUDGET
from services.declaration.tests.use_case_scenes import ESTIMATE, EXPLANATION, lucioles


def _as_the_model_writes_it(model, content) -> dict:
    """What FastAPI answers with ``response_model`` (routes of ``ReplyRoute``: unset fields left out)."""
    return orjson.loads(model.model_validate(content).model_dump_json(exclude_unset=True))


def _written(content) -> dict:
    reply = fast_reply(content, Response())
    assert reply.media_type == "application/json"
    return orjson.loads(reply.body)


async def test_the_list_and_the_declaration_are_written_as_their_models_would(world):
    scene = await lucioles(world)
    await scene.ready()  # forms saved (dates, names, values), controls run
    for caller in (scene.alice.caller, scene.karim.caller, world.agent):
        page = await declaration_list.page_of(world.runtime, caller)
        assert page["elements"] and _written(page) == _as_the_model_writes_it(DeclarationPage, page)
        detail = await drafts.detail(world.runtime, caller, scene.declaration_id)
        assert detail["formulaires"] and _written(detail) == _as_the_model_writes_it(DeclarationDetail, detail)


def test_the_headers_the_dependencies_set_reach_the_client_and_amounts_stay_decimal_text():
    request_response = Response()
    del request_response.headers["content-length"]  # as FastAPI prepares it for the dependencies
    request_response.headers[SESSION_HEADER] = "jeton-rafraichi"
    reply = fast_reply({"montant": Decimal("12500.50")}, request_response)
    assert reply.headers[SESSION_HEADER] == "jeton-rafraichi"
    assert reply.body == b'{"montant":"12500.50"}' and reply.headers["content-length"] == str(len(reply.body))
    with pytest.raises(TypeError):
        fast_reply({"ensemble": {1, 2}}, Response())


async def test_the_deadline_days_writes_are_written_as_their_models_would(world):
    """A form save with its estimate (given, or said unavailable), the controls, the estimate and the transmit."""
    scene = await lucioles(world)
    form = await scene.form(scene.karim)
    saved = await drafts.save(
        world.runtime, scene.karim.caller, uuid.UUID(form["id"]), form["version"], EAJE_ACTIVITY, with_estimate=True
    )
    world.estimation.down()
    form = await scene.form(scene.sophie)
    unavailable = await drafts.save(
        world.runtime, scene.sophie.caller, uuid.UUID(form["id"]), form["version"], EAJE_BUDGET, with_estimate=True
    )
    assert unavailable["estimation"]["disponible"] is False
    world.estimation.answers(ESTIMATE)
    controls = await review.run(world.runtime, scene.alice.caller, scene.declaration_id)
    estimate = await review.estimate_for(world.runtime, scene.alice.caller, scene.declaration_id)
    [key] = [c["cle"] for c in controls["controles"] if c["a_justifier"]]
    await approbateur_actions.justify(world.runtime, scene.alice.caller, scene.declaration_id, key, EXPLANATION, "1")
    sent = await transmission.transmit(world.runtime, scene.alice.caller, scene.declaration_id, True, "Vu.")
    replies = ((SavedForm, saved), (SavedForm, unavailable), (Controls, controls), (VersionSummary, sent))
    for model, content in replies:
        assert _written(content) == _as_the_model_writes_it(model, content), model.__name__
    assert estimate["disponible"] and _written(estimate) == orjson.loads(
        TypeAdapter(Estimate).dump_json(TypeAdapter(Estimate).validate_python(estimate), exclude_unset=True)
    )
    assert fast_reply(sent, Response(), status_code=201).status_code == 201
