"""What a payment policy, a fact and a payment are: immutable values, no I/O.

A policy is data (``policies/<id>.yaml``, read by the loader); facts are the validations the Caf made for one
activity; payments are what the schedule derives from them (see ``schedule`` for the rules).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

PaymentKind = Literal["acompte_1", "acompte_2", "complement", "solde", "indu"]
PaymentStatus = Literal["due", "pending"]
Trigger = Literal["forecast_validated", "previous_actual_validated", "update_validated"]
TRIGGERS: tuple[str, ...] = ("forecast_validated", "previous_actual_validated", "update_validated")
AdvanceBase = Literal["forecast", "actual_n_minus_2"]
BASES: tuple[str, ...] = ("forecast", "actual_n_minus_2")
GapComparison = Literal["forecast_vs_actual_n_minus_1", "previous_forecast_vs_actual"]
COMPARISONS: tuple[str, ...] = ("previous_forecast_vs_actual", "forecast_vs_actual_n_minus_1")
CAPPABLE: tuple[str, ...] = ("acompte_1", "acompte_2", "complement")


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to the cent (money is always Decimal)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class PolicyError(ValueError):
    """A payment policy file or the Caf → policy mapping is missing or malformed; the message says where."""


class UnknownPolicy(PolicyError):
    """No policy file exists under this id."""


class PaymentFactError(ValueError):
    """The facts given to the schedule are inconsistent (e.g. an update before its forecast)."""


# --- policy -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdvanceRule:
    """One advance (acompte) of an exercice N: ``percent`` of its ``base``: the current forecast entitlement of N,
    or the actual entitlement of N-2 (Caf du Nord, existing equipment; the forecast N when N-2 is not known)."""

    kind: str  # acompte_1, acompte_2, … (from its position in the policy)
    percent: Decimal
    trigger: Trigger
    label: str
    base: AdvanceBase = "forecast"

    @property
    def rate(self) -> Decimal:
        return self.percent / HUNDRED


@dataclass(frozen=True)
class CapRule:
    """The 70 % cap: total advances of N ≤ ``percent`` of the actual N-1 when N-1 shows an unjustified gap.

    The gap of N-1 is ``|actual − forecast| / forecast`` (forecast = the last validated forecast of N-1, updates
    included); it triggers the cap when strictly above ``gap_threshold_percent`` and not justified.
    """

    percent: Decimal
    gap_threshold_percent: Decimal
    applies_to: tuple[str, ...]
    # which gap: the N-1 forecast against the actual N-1 (default), or — Caf du Nord's published reading — the
    # forecast N against the actual N-1 (|forecast N − actual N-1| / actual N-1), justified at the forecast N
    compare: GapComparison = "previous_forecast_vs_actual"

    @property
    def rate(self) -> Decimal:
        return self.percent / HUNDRED

    @property
    def gap_threshold(self) -> Decimal:
        return self.gap_threshold_percent / HUNDRED


@dataclass(frozen=True)
class PaymentPolicy:
    id: str
    label: str
    advances: tuple[AdvanceRule, ...]
    top_ups: bool
    cap: CapRule | None = None
    source: str | None = None
    new_equipment: tuple[AdvanceRule, ...] = ()  # the advances of a new equipment's first exercice, if they differ

    def advance(self, kind: str) -> AdvanceRule:
        for rule in self.advances:
            if rule.kind == kind:
                return rule
        raise KeyError(kind)


@dataclass(frozen=True)
class CafPolicies:
    """Which policy each Caf applies (Caf codes on three digits, ``"092"``), and the default for the others."""

    default: str
    by_caf: Mapping[str, str]

    def policy_id(self, caf: str | int) -> str:
        return self.by_caf.get(normalise_caf(caf), self.default)

    def is_default(self, caf: str | int) -> bool:
        return normalise_caf(caf) not in self.by_caf


def normalise_caf(caf: str | int) -> str:
    """``92``, ``"92"``, ``"092"`` → ``"092"``; refuse anything that is not a Caf number."""
    if isinstance(caf, bool) or not isinstance(caf, str | int):
        raise PolicyError(f"invalid Caf code {caf!r}: expected a number such as '092'")
    text = str(caf).strip()
    if not text.isdigit() or not 1 <= len(text) <= 3 or int(text) == 0:
        raise PolicyError(f"invalid Caf code {caf!r}: expected a number such as '092'")
    return text.zfill(3)


# --- facts ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastValidated:
    """The Caf validated the forecast (prévisionnelle) of ``exercice``: ``entitlement`` is its estimated PS.

    ``gap_justified``: the instruction agent explicitly accepted a justification of a gap between this forecast
    and the actual N-1 (it lifts the cap of a policy comparing ``forecast_vs_actual_n_minus_1``). It says nothing
    about whether there is a gap: the schedule computes it from the entitlements.
    """

    exercice: int
    entitlement: Decimal
    at: date
    gap_justified: bool = False


@dataclass(frozen=True)
class UpdateValidated:
    """The Caf validated an updated forecast (actualisée, June or September) of ``exercice``."""

    exercice: int
    entitlement: Decimal
    at: date


@dataclass(frozen=True)
class ActualValidated:
    """The Caf validated the actual (réelle) of ``exercice``; a second one for the same exercice is a revision.

    ``forecast_gap_justified``: the instruction agent explicitly accepted the partner's justification of a
    forecast/actual gap (the schedule computes the gap itself); it lifts the cap of the next exercice's advances.
    """

    exercice: int
    entitlement: Decimal
    at: date
    forecast_gap_justified: bool = False


@dataclass(frozen=True)
class PriorActual:
    """The actual of an exercice whose payments are outside this history (e.g. before the platform).

    It produces no payment; it triggers the advances of ``exercice + 1`` that wait for the actual N-1 and may
    cap them, and is the actual N-2 the first advance of ``exercice + 2`` may rest on. ``forecast_entitlement``
    is the forecast of the same exercice the generic cap compares it with (None when not known: no such gap).
    """

    exercice: int
    entitlement: Decimal
    at: date
    forecast_entitlement: Decimal | None
    forecast_gap_justified: bool = False


@dataclass(frozen=True)
class PriorPayments:
    """What the Caf paid for ``exercice`` before the platform, recorded by a Caf agent: the advances, and the
    balance already settled (0 when none). Until it is recorded, the balance of an exercice whose advances
    were paid outside the platform is not announced (« acomptes antérieurs non connus »)."""

    exercice: int
    advances: Decimal
    at: date
    balance: Decimal = Decimal(0)


Fact = ForecastValidated | UpdateValidated | ActualValidated | PriorActual | PriorPayments


# --- payments ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """How an amount was computed: ``percent`` × ``base`` (or a difference), with the cap when it bit."""

    text: str
    percent: Decimal | None = None
    base: Decimal | None = None
    base_label: str | None = None
    cap_applied: bool = False
    cap_amount: Decimal | None = None  # the ceiling on total advances of the exercice, when a cap is in force


@dataclass(frozen=True)
class Payment:
    """One payment of an exercice. ``key`` is stable: a caller diffs it against what it already published.

    ``status`` ``"due"``: triggered by a validation (``due`` is its date; it never changes afterwards);
    ``"pending"``: a projection from what is known today (no date, amount may still change). An ``indu`` has a
    negative amount: the sum to recover.
    """

    key: str
    exercice: int
    kind: PaymentKind
    number: int
    amount: Decimal
    status: PaymentStatus
    due: date | None
    trigger: str
    label: str
    explanation: Explanation

    @property
    def is_due(self) -> bool:
        return self.status == "due"


@dataclass(frozen=True)
class ExerciceSummary:
    """What has been and will be paid for one exercice.

    ``entitlement`` is the actual when validated, else the last validated forecast (``basis`` says which);
    ``paid`` is the net of due payments (an indu counts negative), ``scheduled`` the net of pending ones;
    ``balance`` = actual entitlement − advances paid − the balance paid before the platform (None before the
    actual; negative: an overpayment), the figure the settlements pay;
    ``overpayment`` = the indus raised so far (positive), which after a revised actual may differ from −balance.
    """

    exercice: int
    entitlement: Decimal | None
    basis: Literal["previsionnel", "actualise", "reel"] | None
    advances_paid: Decimal
    paid: Decimal
    scheduled: Decimal
    balance: Decimal | None
    overpayment: Decimal
    cap_applied: bool
    forecast_gap: Decimal | None = None  # |actual − forecast| / forecast, once the actual is validated
    forecast_gap_justified: bool = False
    note: str | None = None  # e.g. « acomptes antérieurs non connus », shown instead of a balance


@dataclass(frozen=True)
class PaymentSchedule:
    policy_id: str
    payments: tuple[Payment, ...]
    summaries: Mapping[int, ExerciceSummary] = field(default_factory=dict)

    @property
    def due(self) -> tuple[Payment, ...]:
        return tuple(p for p in self.payments if p.status == "due")

    @property
    def pending(self) -> tuple[Payment, ...]:
        return tuple(p for p in self.payments if p.status == "pending")

    def for_exercice(self, exercice: int) -> tuple[Payment, ...]:
        return tuple(p for p in self.payments if p.exercice == exercice)

    def summary(self, exercice: int) -> ExerciceSummary:
        return self.summaries[exercice]

    def by_key(self) -> dict[str, Payment]:
        return {p.key: p for p in self.payments}
