"""One platform of separate service processes per drill module, on the run's NATS and databases."""

from __future__ import annotations

import pytest

from tests.faults.platform import SERVICES, Platform


@pytest.fixture(scope="module")
def platform(backends, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    p = Platform(
        tmp=tmp,
        nats_url=backends.nats_url,
        prefix=backends.bus_prefix(),
        database_urls={s: backends.database_url(s) for s in SERVICES},
    )
    try:
        p.start()
        p.load_demo()
        yield p
    finally:
        p.stop()
