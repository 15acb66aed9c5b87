"""What the schedule remembers while it replays the facts: each exercice's state, and the actual the next
exercice needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from afas_estimation.domain.payments.model import Payment

ZERO = Decimal(0)
ADVANCE_KINDS = ("acompte_1", "acompte_2", "complement")


@dataclass
class Previous:
    """The actual of an exercice as needed by the next one: its entitlement and its forecast/actual gap."""

    exercice: int
    entitlement: Decimal
    forecast: Decimal | None
    justified: bool


@dataclass
class ExerciceState:
    exercice: int
    forecast: Decimal | None = None
    basis: Literal["previsionnel", "actualise"] | None = None
    actual: Decimal | None = None
    forecast_at_actual: Decimal | None = None
    justified: bool = False
    forecast_justified: bool = False  # a forecast N / actual N-1 gap justification accepted at the forecast
    actual_at: date | None = None
    prior_advances: Decimal = ZERO  # recorded: paid before the platform
    prior_balance: Decimal = ZERO
    due_advances: set[str] = field(default_factory=set)  # advance kinds already due
    payments: list[Payment] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def advances_paid(self) -> Decimal:
        return self.prior_advances + sum((p.amount for p in self.payments if p.kind in ADVANCE_KINDS), ZERO)

    @property
    def settled(self) -> Decimal:
        return self.prior_balance + sum((p.amount for p in self.payments if p.kind in ("solde", "indu")), ZERO)

    @property
    def balance(self) -> Decimal | None:
        """The balance of the exercice once its actual is known: actual entitlement − advances paid (before the
        platform and here) − the balance the Caf already paid before the platform; None before the actual.

        The one rule: the summary shows it, and each settlement pays what is left of it (``balance_left``)."""
        if self.actual is None:
            return None
        return self.actual - self.advances_paid - self.prior_balance

    @property
    def balance_left(self) -> Decimal:
        """What the balance still needs: ``balance`` − the soldes and indus already settled on the platform."""
        assert self.balance is not None
        return self.balance - (self.settled - self.prior_balance)

    def next_number(self, kind: str) -> int:
        return self.counters.get(kind, 0) + 1
