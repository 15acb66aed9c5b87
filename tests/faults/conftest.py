"""One platform of separate service processes per drill module, on the run's NATS and databases."""

from __future__ import annotations

import pytest

from tests.faults.platform import demo_platform


@pytest.fixture(scope="module")
def platform(backends, tmp_path_factory):
    with demo_platform(backends, backends.nats_url, tmp_path_factory.mktemp("faults")) as p:
        yield p
