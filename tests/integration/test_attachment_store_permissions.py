"""The declaration service's NATS user may use its Object Store bucket, and only it: on a nats-server configured as
in production (``secured_nats``: the generated permissions, production's names), the file store stores, reads,
deletes and sweeps with the declaration credential without a single permission violation, while another service's
credential, and the declaration's on another bucket, are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import APIError, NotFoundError, ServiceUnavailableError

from afas_declaration.adapters.object_store import JetStreamFileStore
from afas_declaration.application.attachments import STORE
from afas_shared.contracts.bus_permissions import object_store_bucket

CONTENT = b"%PDF-1.7\n" + bytes(range(256)) * 600  # more than one 128 KiB chunk


def _store(client, bucket: str) -> JetStreamFileStore:
    js = client.nc.jetstream()
    return JetStreamFileStore(lambda: js, bucket, replicas=1, timeout=5)


async def test_the_declaration_credential_uses_its_bucket_and_nothing_else(secured_nats):
    bucket = object_store_bucket("", STORE)
    assert bucket == "AFAS_DECLARATION_FILES"
    async with secured_nats.client("declaration") as declaration:
        store = _store(declaration, bucket)
        # A sweep (every start of the service) or a delete never creates the bucket: only a first file does
        assert await store.sweep_stray_chunks(timedelta(0)) == 0
        await store.delete("jamais-stockee")
        with pytest.raises(NotFoundError):
            await declaration.nc.jetstream().stream_info(store.stream)
        stored = await store.put("piece-1", CONTENT)
        assert stored.size == len(CONTENT)
        assert await store.get("piece-1") == CONTENT
        await store.delete("piece-1")
        assert await store.sweep_stray_chunks(timedelta(0)) == 0
        assert await declaration.violations() == []

        # Another bucket is not the declaration's
        with pytest.raises((APIError, NatsTimeout, ServiceUnavailableError, TimeoutError)):
            await declaration.nc.jetstream().create_object_store("AUTRE_BUCKET")
        assert await declaration.violations() != []

    # Another service's credential cannot read the declaration's files
    async with secured_nats.client("notification") as notification:
        with pytest.raises((APIError, NatsTimeout, ServiceUnavailableError, TimeoutError)):
            await notification.nc.jetstream().object_store(bucket)
        assert await notification.violations() != []
