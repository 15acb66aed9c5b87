"""A run removes every stream it made, even past the first page the server lists (256 streams)."""

from __future__ import annotations

import dataclasses
import uuid

import nats

from afas_shared.testing.backends import STREAM_LIST_PAGE


async def test_remove_streams_reads_every_page(backends):
    run = dataclasses.replace(backends, run_id=f"p{uuid.uuid4().hex[:8]}")
    nc = await nats.connect(backends.nats_url)
    try:
        js = nc.jetstream()
        names = [f"{run.run_id.upper()}_{i}" for i in range(STREAM_LIST_PAGE + 20)]
        for name in names:
            await js.add_stream(name=name, subjects=[f"{name.lower()}.>"], max_msgs=1)
        assert await run.remove_streams() == len(names)
        left = []
        offset = 0
        while True:
            page = await js.streams_info(offset=offset)
            left += [i.config.name for i in page if i.config.name.startswith(run.run_id.upper())]
            if len(page) < STREAM_LIST_PAGE:
                break
            offset += len(page)
        assert left == []
    finally:
        await nc.close()
