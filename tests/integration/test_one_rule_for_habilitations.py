"""The Caf's pages offer registering a partner, its delegation, conventions and users' accounts, and the approbateurs'
validation by ``ForwardedCaller.manages_habilitations_of`` (issue 18): that rule answers as identity's policy does for
each of those acts (habilitation's approbateur validation calls it itself), for every kind of caller, role and Caf."""

from __future__ import annotations

import itertools
import uuid

import pytest

from afas_identity.domain import policy
from afas_shared.auth.caller import CAF_ROLES, ForwardedCaller

PARTNER = policy.PartnerRef(partner_id=uuid.uuid4(), caf_code="080", delegated=True)
ROLE_SETS = [frozenset(c) for n in range(3) for c in itertools.combinations(sorted(CAF_ROLES), n)]
CALLERS = (
    [ForwardedCaller(kind="operator")]
    + [
        ForwardedCaller(kind="caf", user_id=uuid.uuid4(), caf_code=caf, caf_roles=roles)
        for caf in ("080", "075")
        for roles in ROLE_SETS
    ]
    + [
        ForwardedCaller(
            kind="partner", user_id=uuid.uuid4(), partner_id=PARTNER.partner_id, groups=frozenset({"AFAS-HABILITER"})
        )
    ]
)


def _actor(caller: ForwardedCaller) -> policy.Actor:
    return policy.Actor(
        kind=caller.kind,
        user_id=caller.user_id,
        partner_id=caller.partner_id,
        caf_code=caller.caf_code,
        caf_roles=caller.caf_roles,
        groups=caller.groups,
    )


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: f"{c.kind}-{c.caf_code}-{'+'.join(sorted(c.caf_roles))}")
def test_the_pages_rule_answers_as_identity_for_each_act_it_offers(caller):
    actor, offered = _actor(caller), caller.manages_habilitations_of(PARTNER.caf_code)
    assert policy.can_register_partner(actor, PARTNER.caf_code) is offered
    assert policy.can_change_delegation(actor, PARTNER) is offered
    assert policy.can_manage_partner(actor, PARTNER) is offered  # conventions
    assert policy.can_supervise_users_of(actor, PARTNER) is offered  # suspend, reactivate, force a password change
