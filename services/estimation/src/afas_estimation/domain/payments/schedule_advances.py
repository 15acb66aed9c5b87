"""Advances and caps of the payment schedule: the run's state, what each advance pays and the cap that limits it.

The rules are the module docstring of ``afas_estimation.domain.payments.schedule``; ``Advances`` holds the run's
state (the exercices, the actuals from before the platform, the payments due so far) and emits each payment.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import cast

from afas_estimation.domain.payments.amounts import euros, forecast_gap, gap_exceeds, pct
from afas_estimation.domain.payments.model import (
    AdvanceRule,
    Explanation,
    Payment,
    PaymentKind,
    PaymentPolicy,
    PriorPayments,
    cents,
)
from afas_estimation.domain.payments.schedule_state import ZERO, ExerciceState, Previous


class Advances:
    """The state of one schedule run, the advances of an exercice and the cap in force on them."""

    def __init__(
        self,
        policy: PaymentPolicy,
        first_exercice: int | None,
        new_equipment: bool = False,
        opened_on: date | None = None,
    ) -> None:
        self.policy = policy
        self.first_exercice = first_exercice
        self.new_equipment = new_equipment
        self.opened_on = opened_on
        self.prior_payments: dict[int, PriorPayments] = {}
        self.states: dict[int, ExerciceState] = {}
        self.priors: dict[int, Previous] = {}
        self.due: list[Payment] = []

    def rules(self, n: int) -> tuple[AdvanceRule, ...]:
        """The advances of exercice ``n``: a new equipment's own while it is new, else the policy's."""
        if self.is_new(n) and self.policy.new_equipment:
            return self.policy.new_equipment
        return self.policy.advances

    def is_new(self, n: int) -> bool:
        """A new equipment in ``n``: opened during N or N-1 (no actual N-1 of a full year; Caf du Nord, « La
        prestation de service espaces de rencontre », équipement nouveau vs existant — our reading, see ``schedule``),
        or flagged new for its first exercice on the platform."""
        if self.opened_on is not None and self.opened_on.year >= n - 1:
            return True
        return self.new_equipment and n == self.first_exercice

    def _previous(self, n: int) -> Previous | None:
        if n - 1 in self.priors:
            return self.priors[n - 1]
        state = self.states.get(n - 1)
        if state is None or state.actual is None:
            return None
        return Previous(n - 1, state.actual, state.forecast_at_actual, state.justified)

    def _ceiling(self, n: int) -> tuple[Decimal, str] | None:
        """The cap on total advances of ``n`` in force now, with why; None when no cap applies."""
        cap = self.policy.cap
        if self.is_new(n) and self.policy.new_equipment:
            return None  # a new equipment's advances rest on its forecast N alone: no actual N-1 to limit them
        previous = self._previous(n)
        if cap is not None and cap.compare == "forecast_vs_actual_n_minus_1":
            return self._ceiling_against_actual(n, previous)
        if cap is None or previous is None or previous.justified:
            return None
        if not gap_exceeds(previous.forecast, previous.entitlement, cap.gap_threshold):
            return None
        # gap_exceeds is False without a forecast: previous.forecast is known here
        gap_text = _gap_text(cast(Decimal, previous.forecast), previous.entitlement)
        reason = (
            f"total des acomptes {n} limité à {pct(cap.percent)} du droit réel {n - 1} de "
            f"{euros(previous.entitlement)}, l'écart prévisionnel/réel {n - 1} {gap_text}"
            f"dépassant {pct(cap.gap_threshold_percent)} sans justification"
        )
        return cents(previous.entitlement * cap.rate), reason

    def _ceiling_against_actual(self, n: int, previous: Previous | None) -> tuple[Decimal, str] | None:
        """Caf du Nord: forecast N against actual N-1, computed here; a justification the instruction agent accepted
        at the validation of the forecast N or of the actual N-1 lifts the cap."""
        cap, state = self.policy.cap, self.states.get(n)
        if cap is None or previous is None or state is None or state.forecast is None:
            return None
        if state.forecast_justified or previous.justified:
            return None
        if not gap_exceeds(previous.entitlement, state.forecast, cap.gap_threshold):
            return None
        gap_text = _gap_text(previous.entitlement, state.forecast)
        reason = (
            f"total des acomptes {n} limité à {pct(cap.percent)} du droit réel {n - 1} de "
            f"{euros(previous.entitlement)}, l'écart {gap_text}entre le prévisionnel {n} et le réel {n - 1} "
            f"dépassant {pct(cap.gap_threshold_percent)} sans justification acceptée"
        )
        return cents(previous.entitlement * cap.rate), reason

    def _actual_of(self, n: int) -> Decimal | None:
        if n in self.priors:
            return self.priors[n].entitlement
        state = self.states.get(n)
        return state.actual if state is not None else None

    def _capped(self, kind: str, n: int, amount: Decimal, paid: Decimal) -> tuple[Decimal, bool, Decimal | None, str]:
        cap = self.policy.cap
        ceiling = self._ceiling(n) if cap is not None and kind in cap.applies_to else None
        if ceiling is None:
            return amount, False, None, ""
        limit, reason = ceiling
        allowed = max(ZERO, limit - paid)
        if amount <= allowed:
            return amount, False, limit, f" (plafond de {euros(limit)} non atteint)"
        return allowed, True, limit, f", plafonné à {euros(allowed)} ({reason})"

    def _advance(self, state: ExerciceState, rule: AdvanceRule, at: date, trigger: str) -> None:
        if rule.kind in state.due_advances:
            return
        n = state.exercice
        base, base_label = self._base(state, rule)
        raw = cents(base * rule.rate)
        amount, capped, ceiling, cap_text = self._capped(rule.kind, n, raw, state.advances_paid)
        state.due_advances.add(rule.kind)
        self._emit(
            state,
            cast(PaymentKind, rule.kind),  # an advance kind: acompte_1, acompte_2 or complement
            amount,
            at,
            trigger,
            f"{rule.label} {n}",
            Explanation(
                text=f"{pct(rule.percent)} × {euros(base)} ({base_label}) = {euros(raw)}{cap_text}",
                percent=rule.percent,
                base=base,
                base_label=base_label,
                cap_applied=capped,
                cap_amount=ceiling,
            ),
        )

    def _base(self, state: ExerciceState, rule: AdvanceRule) -> tuple[Decimal, str]:
        n = state.exercice
        forecast = cast(Decimal, state.forecast)  # an advance falls due once the forecast is validated: known here
        forecast_label = (
            "droit prévisionnel actualisé" if state.basis == "actualise" else "droit prévisionnel"
        ) + f" {n}"
        if rule.base == "actual_n_minus_2":
            actual = self._actual_of(n - 2)
            if actual is not None:
                return actual, f"droit réel {n - 2}"
            return forecast, f"{forecast_label}, à défaut du droit réel {n - 2} non connu"
        return forecast, forecast_label

    def _emit(
        self,
        state: ExerciceState,
        kind: PaymentKind,
        amount: Decimal,
        at: date,
        trigger: str,
        label: str,
        why: Explanation,
    ) -> None:
        number = state.next_number(kind)
        state.counters[kind] = number
        payment = Payment(
            key=f"{state.exercice}:{kind}:{number}",
            exercice=state.exercice,
            kind=kind,
            number=number,
            amount=cents(amount),
            status="due",
            due=at,
            trigger=trigger,
            label=label,
            explanation=why,
        )
        state.payments.append(payment)
        self.due.append(payment)


def _gap_text(reference: Decimal, compared: Decimal) -> str:
    """The gap a cap's reason names (« de 12,5 % »), or nothing when it cannot be computed."""
    gap = forecast_gap(reference, compared)
    return f"de {pct(gap * 100)} " if gap is not None else ""
