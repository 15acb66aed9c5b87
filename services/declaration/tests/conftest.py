"""Fixtures the declaration tests share."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from afas_declaration.adapters.tables import ActivityCopy


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
