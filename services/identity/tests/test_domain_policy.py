"""Who may do what: operators, Caf agents by Caf and role, partner administrators under delegation."""

from __future__ import annotations

import uuid

import pytest

from afas_identity.domain.policy import (
    Actor,
    Forbidden,
    PartnerRef,
    can_change_delegation,
    can_manage_caf_agents,
    can_manage_partner,
    can_manage_users_of,
    can_read_audit_of,
    can_register_partner,
    can_supervise_users_of,
    require,
)

CRECHE = PartnerRef(partner_id=uuid.uuid4(), caf_code="080", delegated=True)
OTHER_PARTNER = PartnerRef(partner_id=uuid.uuid4(), caf_code="080", delegated=True)
NOT_DELEGATED = PartnerRef(partner_id=CRECHE.partner_id, caf_code="080", delegated=False)

OPERATOR = Actor(user_id=uuid.uuid4(), kind="operator")
PARTNER_ADMIN = Actor(
    user_id=uuid.uuid4(),
    kind="partner",
    partner_id=CRECHE.partner_id,
    groups=frozenset({"AFAS-HABILITER", "AFAS-DECLARER"}),
)
DECLARANT = Actor(
    user_id=uuid.uuid4(), kind="partner", partner_id=CRECHE.partner_id, groups=frozenset({"AFAS-DECLARER"})
)
AGENT_080 = Actor(user_id=uuid.uuid4(), kind="caf", caf_code="080", caf_roles=frozenset({"habilitations"}))
AGENT_059 = Actor(user_id=uuid.uuid4(), kind="caf", caf_code="059", caf_roles=frozenset({"habilitations", "lecture"}))
READER_080 = Actor(user_id=uuid.uuid4(), kind="caf", caf_code="080", caf_roles=frozenset({"lecture"}))
NO_ROLE_080 = Actor(user_id=uuid.uuid4(), kind="caf", caf_code="080")

PARTNER_CHECKS = [can_manage_partner, can_change_delegation, can_manage_users_of, can_supervise_users_of]
CAF_CHECKS = [can_register_partner, can_manage_caf_agents]


@pytest.mark.parametrize("check", PARTNER_CHECKS + [can_read_audit_of])
def test_operator_may_do_everything_on_a_partner(check):
    assert check(OPERATOR, CRECHE)
    assert check(OPERATOR, NOT_DELEGATED)


@pytest.mark.parametrize("check", CAF_CHECKS)
def test_operator_may_do_everything_on_a_caf(check):
    assert check(OPERATOR, "080")
    assert check(OPERATOR, "974")


@pytest.mark.parametrize("check", PARTNER_CHECKS + [can_read_audit_of])
def test_caf_agent_with_habilitations_acts_on_partners_of_their_caf(check):
    assert check(AGENT_080, CRECHE)
    assert check(AGENT_080, NOT_DELEGATED)


@pytest.mark.parametrize("check", PARTNER_CHECKS + [can_read_audit_of])
def test_caf_agent_of_another_caf_is_refused(check):
    assert not check(AGENT_059, CRECHE)


@pytest.mark.parametrize("check", CAF_CHECKS)
def test_caf_agent_with_habilitations_acts_only_on_their_caf(check):
    assert check(AGENT_080, "080")
    assert not check(AGENT_059, "080")


@pytest.mark.parametrize("check", PARTNER_CHECKS)
def test_reader_may_not_manage(check):
    assert not check(READER_080, CRECHE)


def test_reader_may_read_audit():
    assert can_read_audit_of(READER_080, CRECHE)
    assert not can_register_partner(READER_080, "080")
    assert not can_manage_caf_agents(READER_080, "080")


def test_caf_agent_without_any_role_may_not_read_audit():
    assert not can_read_audit_of(NO_ROLE_080, CRECHE)


def test_partner_administrator_manages_users_of_own_delegated_partner():
    assert can_manage_users_of(PARTNER_ADMIN, CRECHE)


def test_partner_administrator_is_refused_on_another_partner():
    assert not can_manage_users_of(PARTNER_ADMIN, OTHER_PARTNER)


def test_partner_administrator_is_refused_when_delegation_is_withdrawn():
    assert not can_manage_users_of(PARTNER_ADMIN, NOT_DELEGATED)


@pytest.mark.parametrize(
    "check", [can_manage_partner, can_change_delegation, can_supervise_users_of, can_read_audit_of]
)
def test_partner_administrator_may_not_act_as_the_caf(check):
    assert not check(PARTNER_ADMIN, CRECHE)


@pytest.mark.parametrize("check", CAF_CHECKS)
def test_partner_administrator_may_not_act_on_a_caf(check):
    assert not check(PARTNER_ADMIN, "080")


@pytest.mark.parametrize("check", PARTNER_CHECKS + [can_read_audit_of])
def test_declarant_is_refused(check):
    assert not check(DECLARANT, CRECHE)


def test_a_partner_actor_with_a_caf_code_is_still_not_a_caf_agent():
    odd = Actor(user_id=uuid.uuid4(), kind="partner", caf_code="080", caf_roles=frozenset({"habilitations"}))
    assert not can_manage_partner(odd, CRECHE)
    assert not can_read_audit_of(odd, CRECHE)


def test_unknown_roles_and_groups_are_rejected():
    with pytest.raises(ValueError):
        Actor(user_id=None, kind="caf", caf_code="080", caf_roles=frozenset({"admin"}))
    with pytest.raises(ValueError):
        Actor(user_id=None, kind="partner", groups=frozenset({"AFAS-ADMIN"}))


def test_require_raises_forbidden_with_the_message():
    require(True, "jamais affiché")
    with pytest.raises(Forbidden) as raised:
        require(False, "Vous ne pouvez pas gérer les utilisateurs de ce partenaire.")
    assert raised.value.message == "Vous ne pouvez pas gérer les utilisateurs de ce partenaire."
    assert str(raised.value) == "Vous ne pouvez pas gérer les utilisateurs de ce partenaire."
