"""The PDF receipt off the request path: the transmit answers without rendering it, a worker process renders it from
the stored snapshot, a download waits for it a bounded time or says « en préparation », and a receipt missing after
a crash is rendered by the reconciliation — once, with the bytes the same snapshot always gives."""

from __future__ import annotations

import asyncio
import json

import pytest
import sqlalchemy as sa

from afas_declaration.adapters import receipt_pdf, receipt_workers
from afas_declaration.adapters.receipt_pdf import render_receipt
from afas_declaration.adapters.tables import Transmission
from afas_declaration.application import receipts, transmission
from afas_shared.contracts.events.declaration import DeclarationTransmittedV1
from services.declaration.tests.receipt_snapshot import flat
from services.declaration.tests.use_case_scenes import lucioles


async def _stored(world, declaration_id) -> list[tuple[int, bytes, str]]:
    async with world.runtime.db.sessions() as session:
        rows = await session.execute(
            sa.select(Transmission.version, Transmission.receipt, Transmission.snapshot).where(
                Transmission.declaration_id == declaration_id
            )
        )
        return [tuple(row) for row in rows]


def _never_here(*_args, **_kwargs):
    raise AssertionError("a receipt rendered in the service's own process")


async def test_the_transmit_answers_without_the_receipt_which_a_worker_process_renders(world, monkeypatch):
    # Rendering in this process (its event loop or a thread of it) would fail: only a worker process can render
    monkeypatch.setattr(receipt_pdf, "render_receipt", _never_here)
    monkeypatch.setattr(receipt_workers, "render_receipt", _never_here)
    gate = asyncio.Event()
    rendering = receipts.Receipts._render_and_store

    async def held(self, key, snapshot):  # the worker's turn comes when the test says so
        await gate.wait()
        return await rendering(self, key, snapshot)

    monkeypatch.setattr(receipts.Receipts, "_render_and_store", held)
    world.runtime.settings = world.runtime.settings.model_copy(update={"receipt_wait_seconds": 0.05})
    scene = await lucioles(world)
    await scene.ready()

    sent = await transmission.transmit(world.runtime, scene.alice.caller, scene.declaration_id, True, None)

    [(version, stored, _)] = await _stored(world, scene.declaration_id)
    assert (version, stored) == (1, receipts.PENDING)  # answered, the version sealed, its receipt still to make
    assert len(await world.published(DeclarationTransmittedV1.subject())) == 1
    with pytest.raises(receipts.ReceiptPending) as pending:
        await transmission.receipt(world.runtime, scene.alice.caller, scene.declaration_id, 1)
    assert str(pending.value) == "Accusé de réception en préparation, réessayez dans quelques secondes."
    assert pending.value.retry_after > 0

    gate.set()
    await receipts.of(world.runtime).settle()
    pdf = await transmission.receipt(world.runtime, scene.alice.caller, scene.declaration_id, 1)
    assert pdf.startswith(b"%PDF") and sent["hash"] in flat(pdf)  # rendered from the sealed snapshot
    [(_, stored, _)] = await _stored(world, scene.declaration_id)
    assert stored == pdf


async def test_a_download_waits_for_the_receipt_being_rendered(world):
    scene = await lucioles(world)
    await scene.ready()
    await transmission.transmit(world.runtime, scene.alice.caller, scene.declaration_id, True, None)
    # straight after the answer: the download waits (AFAS_DECLARATION_RECEIPT_WAIT_SECONDS) and gets the PDF
    pdf = await transmission.receipt(world.runtime, scene.alice.caller, scene.declaration_id, 1)
    assert pdf.startswith(b"%PDF")


async def test_a_receipt_missing_after_a_crash_is_rendered_once_by_the_reconciliation(world):
    scene = await lucioles(world)
    await scene.ready()
    await transmission.transmit(world.runtime, scene.alice.caller, scene.declaration_id, True, None)
    await receipts.of(world.runtime).settle()
    [(_, first, text)] = await _stored(world, scene.declaration_id)
    # The process died between the commit and the receipt's write: the version is stored, its receipt is not
    async with world.runtime.db.transaction() as session:
        await session.execute(
            sa.update(Transmission).where(Transmission.declaration_id == scene.declaration_id).values(receipt=b"")
        )
    restarted = receipts.Receipts(world.runtime)  # a new process: nothing in flight

    assert await restarted.reconcile() == 1
    [(version, again, _)] = await _stored(world, scene.declaration_id)
    assert version == 1 and again == first == render_receipt(json.loads(text))  # the same bytes, from the snapshot
    assert await restarted.reconcile() == 0  # nothing left: never rendered twice
    assert len(await world.published(DeclarationTransmittedV1.subject())) == 1
