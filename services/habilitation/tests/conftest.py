"""Fixtures the habilitation tests share."""

from __future__ import annotations

import pytest

from services.habilitation.tests.job_harness import migrated_database


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """Habilitation's database, migrated once per session; each job test works on a copy of its own."""
    return migrated_database(tmp_path_factory.mktemp("habilitation-template"))
