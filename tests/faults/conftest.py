"""One platform of separate service processes per drill module, on the run's NATS and databases — or, for a module
that kills the broker (``OWN_BROKER = True``), on a nats-server of the module's own (``broker``): the machine's
shared broker is never killed."""

from __future__ import annotations

import pytest

from afas_shared.local_nats import LocalNatsServer
from tests.faults.platform import demo_platform


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """A nats-server of the module's own, with its JetStream store: a drill kills it and starts it again on it."""
    tmp = tmp_path_factory.mktemp("faults-broker")
    server = LocalNatsServer(tmp / "nats", log_file=tmp / "nats-server.log").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def platform(request, backends, tmp_path_factory):
    own = getattr(request.module, "OWN_BROKER", False)
    nats_url = request.getfixturevalue("broker").url if own else backends.nats_url
    with demo_platform(backends, nats_url, tmp_path_factory.mktemp("faults")) as p:
        yield p
