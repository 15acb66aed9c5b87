"""A service's objects built to serve are frozen out of the garbage collector's scans once its public app has started
(``afas_shared.entrypoint.settle_heap``, issue 16: a full collection scanned the gateway's 265,000 start-up objects
every few hundred requests under load), and the youngest generation is collected less often. Run in a child process:
freezing the test process's own heap would change every test after this one."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SERVE_THEN_REPORT = textwrap.dedent(
    """
    import asyncio, gc, socket
    from fastapi import FastAPI
    from afas_shared.entrypoint import GC_YOUNG_THRESHOLD, _config, _Server
    from afas_shared.settings import ServiceSettings

    app = FastAPI()
    built = [object() for _ in range(1000)]  # what a service's start leaves behind

    async def main():
        assert gc.get_freeze_count() == 0 and gc.get_threshold()[0] != GC_YOUNG_THRESHOLD
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = _Server(_config(app, ServiceSettings(), 0, "on"))
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.01)
        frozen, threshold = gc.get_freeze_count(), gc.get_threshold()[0]
        server.should_exit = True
        await serving
        garbage = []
        garbage.append(garbage)  # a cycle made after the start: still collected
        del garbage
        print(frozen, threshold == GC_YOUNG_THRESHOLD, gc.collect() >= 1)

    asyncio.run(main())
    """
)


def test_a_started_server_freezes_what_it_built_and_still_collects_later_garbage():
    done = subprocess.run([sys.executable, "-c", SERVE_THEN_REPORT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    frozen, threshold_set, collected = done.stdout.split()
    assert int(frozen) > 10_000  # the modules, the app and what it built, never scanned again
    assert threshold_set == "True"
    assert collected == "True"
