"""The request contracts accept exactly the values habilitation's domain knows."""

from __future__ import annotations

from typing import get_args

from afas_habilitation.domain.catalogue import Family, SiteMode
from afas_habilitation.domain.grants import Role
from afas_shared.contracts.rpc import habilitation as contract


def test_families_site_modes_and_roles_are_the_domains():
    assert set(get_args(contract.Family)) == {f.value for f in Family}
    assert set(get_args(contract.SiteMode)) == {m.value for m in SiteMode}
    assert set(get_args(contract.Role)) == {r.value for r in Role}
