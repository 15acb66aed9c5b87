"""Projection and summary of the payment schedule: what is still to come for an exercice, and its totals."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from afas_estimation.domain.payments.amounts import euros, forecast_gap, pct
from afas_estimation.domain.payments.model import ExerciceSummary, Explanation, Payment, PaymentKind, cents
from afas_estimation.domain.payments.schedule_advances import Advances
from afas_estimation.domain.payments.schedule_state import ZERO, ExerciceState


class Projections(Advances):
    """A run that also projects the payments still to come of an exercice not settled yet, and sums it up."""

    def pending(self, state: ExerciceState) -> list[Payment]:
        if state.actual is not None or state.forecast is None:
            return []  # settled, or (no forecast here) advances paid before the platform: nothing projected
        n, forecast = state.exercice, state.forecast
        base_label = ("droit prévisionnel actualisé" if state.basis == "actualise" else "droit prévisionnel") + f" {n}"
        projected: list[Payment] = []
        triggers = {
            "forecast_validated": f"validation de la déclaration prévisionnelle {n}",
            "previous_actual_validated": f"validation de la déclaration réelle {n - 1}",
            "update_validated": f"validation de la déclaration actualisée {n} (30 septembre)",
        }
        for rule in self.rules(n):
            if rule.kind in state.due_advances:
                continue
            base, rule_label = self._base(state, rule)
            amount = cents(base * rule.rate)
            text = f"{pct(rule.percent)} × {euros(base)} ({rule_label}) = {euros(amount)}"
            if self.policy.cap is not None and rule.kind in self.policy.cap.applies_to:
                text += f", sous réserve du plafonnement selon l'écart prévisionnel/réel {n - 1}"
            projected.append(
                self._projection(
                    state,
                    cast(PaymentKind, rule.kind),  # an advance kind: acompte_1, acompte_2 or complement
                    amount,
                    triggers[rule.trigger],
                    f"{rule.label} {n}",
                    Explanation(text=text, percent=rule.percent, base=forecast, base_label=base_label),
                )
            )
        advances = state.advances_paid + sum((p.amount for p in projected), ZERO)
        balance = forecast - advances
        kind: PaymentKind = "solde" if balance >= 0 else "indu"
        text = (
            f"estimation : {base_label} {euros(forecast)} − acomptes {euros(advances)} = {euros(balance)}"
            ", à confirmer par le droit réel"
        )
        label = f"Solde {n}" if kind == "solde" else f"Indu {n} à récupérer"
        projected.append(
            self._projection(
                state,
                kind,
                balance,
                f"validation de la déclaration réelle {n}",
                label,
                Explanation(text=text, base=forecast, base_label=base_label),
            )
        )
        return projected

    def _projection(
        self, state: ExerciceState, kind: PaymentKind, amount: Decimal, trigger: str, label: str, why: Explanation
    ) -> Payment:
        number = state.next_number(kind)
        return Payment(
            key=f"{state.exercice}:{kind}:{number}",
            exercice=state.exercice,
            kind=kind,
            number=number,
            amount=cents(amount),
            status="pending",
            due=None,
            trigger=trigger,
            label=label,
            explanation=why,
        )

    def summary(self, state: ExerciceState, pending: list[Payment]) -> ExerciceSummary:
        advances = state.advances_paid
        unknown = state.forecast is None and state.exercice not in self.prior_payments
        balance = cents(state.balance) if state.balance is not None and not unknown else None
        note = (
            f"Acomptes antérieurs non connus : les acomptes {state.exercice} ont été versés avant la plateforme ; "
            "le solde sera indiqué quand la Caf aura enregistré ces versements."
            if unknown and state.actual is not None
            else None
        )
        return ExerciceSummary(
            exercice=state.exercice,
            entitlement=state.actual if state.actual is not None else state.forecast,
            basis="reel" if state.actual is not None else state.basis,
            advances_paid=cents(advances),
            paid=cents(sum((p.amount for p in state.payments), ZERO)),
            scheduled=cents(sum((p.amount for p in pending), ZERO)),
            balance=balance,
            overpayment=cents(-sum((p.amount for p in state.payments if p.kind == "indu"), ZERO)),
            cap_applied=any(p.explanation.cap_applied for p in state.payments),
            forecast_gap=forecast_gap(state.forecast_at_actual, state.actual) if state.actual is not None else None,
            forecast_gap_justified=state.justified,
            note=note,
        )
