"""The one permission rule (``domain.access_policy``), without a database: each role × action on the whole activity
and on one site, another partner's activity, a Caf agent of its own Caf and of another, the operator, and lines that
do not act (ended, not started, awaiting or refused by the Caf)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import pytest

from afas_declaration.domain.access_policy import Access, Action, Standing, actions_of
from afas_shared.auth.caller import ForwardedCaller

TODAY = date(2026, 3, 2)
ALSH, OTHER_ACTIVITY = uuid.UUID(int=1), uuid.UUID(int=2)
SITE_A, SITE_B = uuid.UUID(int=11), uuid.UUID(int=12)
PARTNER = ForwardedCaller(kind="partner", user_id=uuid.UUID(int=100), partner_id=uuid.UUID(int=200))
ALL_ROLES = frozenset({"habilitations", "instruction", "parametrage", "lecture"})


@dataclass(frozen=True)
class Line:
    role: str
    activity_id: uuid.UUID = ALSH
    site_id: uuid.UUID | None = None
    start_date: date = date(2026, 1, 1)
    end_date: date | None = None
    validation: str = "not_required"
    ended: bool = False


@dataclass(frozen=True)
class Target:
    activity_id: uuid.UUID = ALSH
    caf_code: str = "080"


@dataclass(frozen=True)
class Form:
    kind: str
    site_id: uuid.UUID | None = None


def _access(*lines: Line, caller: ForwardedCaller = PARTNER) -> Access:
    return Access.of(caller, lines, TODAY)


# What each role allows, written out here rather than read from ROLES_FOR: a change there must show in this table.
ALLOWED = {
    "fda": {Action.saisir_activite, Action.consulter_montants},
    "fdf": {Action.saisir_financier, Action.consulter_montants},
    "approbateur": {Action.saisir_activite, Action.saisir_financier, Action.transmettre, Action.consulter_montants},
}
VALIDATED = {"fda": "not_required", "fdf": "not_required", "approbateur": "validated"}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_a_line_on_the_whole_activity_allows_its_roles_actions_on_every_site(role, action):
    access = _access(Line(role, validation=VALIDATED[role]))
    expected = action in ALLOWED[role]
    assert [access.may(action, ALSH, site) for site in (None, SITE_A, SITE_B)] == [expected] * 3
    assert not access.may(action, OTHER_ACTIVITY)  # another partner's activity: its lines never name it


@pytest.mark.parametrize("action", list(Action))
def test_a_site_provider_acts_on_its_site_only(action):
    access = _access(Line("fda", site_id=SITE_A))
    expected = action in ALLOWED["fda"]
    assert access.may(action, ALSH, SITE_A) is expected
    assert not access.may(action, ALSH, SITE_B)
    assert not access.may(action, ALSH)  # not the whole activity (its amounts included)


@pytest.mark.parametrize(
    "line",
    [
        Line("approbateur", validation="pending"),  # awaiting its Caf
        Line("approbateur", validation="rejected"),
        Line("fdf", ended=True, end_date=TODAY),  # ended today: stops at once
        Line("fdf", end_date=date(2026, 3, 1)),
        Line("fdf", start_date=date(2026, 3, 3)),  # not started
    ],
)
def test_a_line_that_does_not_act_allows_nothing(line):
    access = _access(line)
    assert access.lines == ()
    assert not any(access.may(action, ALSH) for action in Action)
    assert not access.on(Target()).sees_anything


def test_lines_that_act_are_kept_in_their_order_with_their_roles_per_activity():
    lines = (Line("fdf", end_date=TODAY), Line("fda", site_id=SITE_A), Line("fda", OTHER_ACTIVITY, ended=True))
    access = _access(*lines)
    assert access.lines == lines[:2]
    assert access.roles_by_activity() == {ALSH: frozenset({("fdf", None), ("fda", SITE_A)})}


@pytest.mark.parametrize(
    ("lines", "full_view", "own_site_form", "other_site_form", "budget"),
    [
        ((Line("fda", site_id=SITE_A),), False, True, False, False),
        ((Line("fda", site_id=SITE_A), Line("fda", site_id=SITE_B)), False, True, True, False),
        ((Line("fda"),), True, True, True, False),
        ((Line("fdf"),), True, False, False, True),
        ((Line("approbateur", validation="validated"),), True, True, True, True),
    ],
)
def test_a_partners_standing_on_a_declaration(lines, full_view, own_site_form, other_site_form, budget):
    who = _access(*lines).on(Target())
    assert who.partner_member and not who.caf_reader and not who.instructor
    assert (who.full_view, who.partial_provider) == (full_view, not full_view)
    edits = [who.may_edit(Form("activite", SITE_A)), who.may_edit(Form("activite", SITE_B))]
    assert edits + [who.may_edit(Form("financier"))] == [own_site_form, other_site_form, budget]
    # What it is shown: everything with the full view, else the forms it fills
    assert who.sees(Form("activite", SITE_B)) is (full_view or other_site_form)
    assert who.sees(Form("financier")) is (full_view or budget)
    assert who.approbateur is any(line.role == "approbateur" for line in lines)


def test_a_partner_of_another_activity_has_no_standing_on_this_one():
    who = _access(Line("approbateur", OTHER_ACTIVITY, validation="validated")).on(Target())
    assert who == Standing() and not who.sees_anything and not who.full_view


@pytest.mark.parametrize(
    ("roles", "reader", "instructor"),
    [
        (frozenset({"lecture"}), True, False),
        (frozenset({"instruction"}), True, True),
        (ALL_ROLES, True, True),
        (frozenset(), False, False),  # an agent of the Caf without a back-office role
    ],
)
def test_a_caf_agent_reads_and_instructs_its_own_cafs_declarations_only(roles, reader, instructor):
    agent = ForwardedCaller(kind="caf", user_id=uuid.uuid4(), caf_code="080", caf_roles=roles)
    own = Access.of(agent, (), TODAY).on(Target(caf_code="080"))
    assert (own.caf_reader, own.instructor, own.full_view, own.caf_agent) == (reader, instructor, reader, True)
    assert not own.partner_member and not own.may_edit(Form("financier"))
    other = Access.of(agent, (), TODAY).on(Target(caf_code="075"))
    assert other == Standing() and not other.sees_anything
    assert Access(agent).on_caf("075") == Standing()


def test_a_caf_agent_is_given_no_partner_right_whatever_lines_its_user_id_holds():
    agent = ForwardedCaller(kind="caf", user_id=PARTNER.user_id, caf_code="080", caf_roles=frozenset({"lecture"}))
    access = _access(Line("approbateur", validation="validated"), caller=agent)
    assert not any(access.may(action, ALSH) for action in Action)
    assert not access.on(Target()).partner_member


def test_the_operator_reads_and_instructs_everywhere_but_enters_nothing():
    who = Access(ForwardedCaller(kind="operator")).on(Target(caf_code="075"))
    assert (who.operator, who.caf_reader, who.instructor, who.full_view) == (True, True, True, True)
    assert not who.partner_member and not who.may_edit(Form("activite"))


def test_the_actions_a_role_offers_and_those_a_standing_lists():
    assert actions_of("fda") == ["saisir_activite"]
    assert actions_of("fdf") == ["saisir_financier"]
    assert actions_of("approbateur") == ["saisir_activite", "saisir_financier", "transmettre"]
    assert actions_of("inconnu") == []
    site = _access(Line("fda", site_id=SITE_A)).on(Target())
    assert site.offers(Action.saisir_activite) and not site.offers(Action.transmettre)
    with pytest.raises(ValueError):
        site.may("supprimer")


def _agent(caf_code: str | None, *roles: str) -> ForwardedCaller:
    return ForwardedCaller(kind="caf", user_id=uuid.uuid4(), caf_code=caf_code, caf_roles=frozenset(roles))


# What each caller is to its own Caf: member of its space, reader (campaigns followed, declarations read), opener of
# its campaigns, national barèmes, local rules (payment policy, territories), payments recorded from before
CAF_RIGHTS = [
    (_agent("080", "parametrage"), (True, True, True, False, True, True)),
    (_agent("080", "instruction"), (True, True, False, False, False, True)),
    (_agent("080", "lecture", "habilitations"), (True, True, False, False, False, False)),
    (_agent("080"), (True, False, False, False, False, False)),  # an agent without a back-office role
    (_agent("000", "parametrage_national"), (True, True, False, True, False, False)),  # the Cnaf
    (_agent("000", "parametrage", "instruction"), (True, True, True, False, False, False)),  # no local rule of its own
    (_agent("080", "parametrage_national"), (True, True, False, False, False, False)),  # national only at the Cnaf
    (_agent(None, *ALL_ROLES), (False,) * 6),  # an agent of no Caf is an agent of none
    (ForwardedCaller(kind="operator"), (True, True, True, False, False, False)),
    (PARTNER, (False,) * 6),
]


@pytest.mark.parametrize(("caller", "rights"), CAF_RIGHTS)
def test_what_a_caller_may_do_on_its_own_caf(caller, rights):
    own = Access(caller).on_own_caf()
    assert (
        own.caf_member,
        own.caf_reader,
        own.opens_campaigns,
        own.sets_national_baremes,
        own.sets_local_rules,
        own.records_prior_payments,
    ) == rights


@pytest.mark.parametrize("caf_code", ["075", "000", None])
def test_a_caf_agent_may_do_nothing_on_another_caf(caf_code):
    other = Access(_agent("080", *ALL_ROLES, "parametrage_national")).on_caf(caf_code)
    assert not (other.caf_member or other.caf_reader or other.opens_campaigns or other.instructor)
    assert not (other.sets_national_baremes or other.sets_local_rules or other.records_prior_payments)


def test_the_operator_opens_and_follows_any_cafs_campaigns_but_sets_no_bareme():
    for caf_code in ("080", "000"):
        who = Access(ForwardedCaller(kind="operator")).on_caf(caf_code)
        assert who.caf_member and who.caf_reader and who.opens_campaigns
        assert not (who.sets_national_baremes or who.sets_local_rules or who.records_prior_payments)
