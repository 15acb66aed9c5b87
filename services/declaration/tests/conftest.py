"""Fixtures the declaration tests share."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from afas_declaration.adapters.tables import ActivityCopy
from services.declaration.tests.use_case_harness import DeclarationRuntime, migrated_database
from services.declaration.tests.use_case_world import World


@pytest.fixture
def laep_copy():
    """Makes the copy of a LAEP activity of the Somme's Caf (one place, opened in 2020) as the catalogue left it."""

    def make(activity_id: uuid.UUID, partner_id: uuid.UUID, name: str) -> ActivityCopy:
        return ActivityCopy(
            activity_id=activity_id,
            partner_id=partner_id,
            caf_code="080",
            family="laep",
            nature="general",
            name=name,
            site_mode="mono_lieu",
            opening_date=date(2020, 1, 1),
            version=1,
        )

    return make


# A Monday of March 2026, 10:00 in Paris: the 2026 forecast campaigns are open.
USE_CASE_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def declaration_database(tmp_path_factory) -> Path:
    """Declaration's database, migrated once per session; each use-case test works on a copy of its own."""
    return migrated_database(tmp_path_factory.mktemp("declaration-database"))


@pytest.fixture
async def world(declaration_database: Path, tmp_path: Path) -> AsyncIterator[World]:
    """Declaration's runtime on a fresh copy of the database, an in-memory bus, the clock at ``USE_CASE_NOW``."""
    declaration = DeclarationRuntime(declaration_database, tmp_path, USE_CASE_NOW)
    try:
        yield World(declaration)
    finally:
        await declaration.close()
