"""The payment schedule of one activity: a pure function of the policy and the validations the Caf made.

``schedule(policy, facts)`` replays the facts in date order (ties keep the given order) and returns every
payment they trigger (status ``"due"``, dated by the triggering validation) plus, for exercices not settled
yet, a projection of what is still to come (status ``"pending"``, undated). A due payment depends only on the
facts up to its date, so adding later facts never changes it: a caller diffs the keys
(``"<exercice>:<kind>:<n>"``) against what it already published. Amounts are Decimal, rounded half-up to
the cent; an ``indu`` is negative (the sum to recover).

Rules, with our reading where the sources (docs/domain.md §4-§5, seed 001 "Paiements") are ambiguous:

* An advance is ``percent`` × the current forecast entitlement of N (the last validated forecast or update).
  ``forecast_validated`` advances are due at the validation of the forecast of N. ``previous_actual_validated``
  advances (Caf 92: "2e acompte 30 % en même temps que le paiement du solde N-1") are due at the validation of
  the actual N-1, or at the forecast of N when that actual came first. For the first exercice of an activity
  (``first_exercice``: there is no N-1) they are due with the forecast. An advance not yet due when the actual
  of N is validated is never paid: the balance settles the exercice.
* Top-ups (policy ``top_ups``): when an update (actualisée) raises the forecast of N above the previous one, a
  ``complement`` brings the advances paid up to the rates of the advances already due × the new forecast
  ("selon l'augmentation de la subvention prévisionnelle"): 40 % of the increase after the first advance, 70 %
  after both. An update that lowers the forecast pays nothing and recovers nothing before the actual.
* The cap (policy ``cap``): the gap of an exercice is ``|actual − forecast| / forecast`` where forecast is the
  last forecast validated before the (first) actual, updates included; a forecast of 0 with a non-zero actual
  counts as above any threshold. When the gap of N-1 is strictly above the threshold (10 %) and the actual N-1
  was not marked ``forecast_gap_justified``, the payments listed in ``cap.applies_to`` (the second advance,
  top-ups) are reduced so that the advances of N stay ≤ cap % (70 %) of the last actual entitlement (the actual
  N-1 as known when the payment falls due), never below 0. An advance capped to 0 is still listed (amount 0).
  Without the N-1 forecast (an actual N-1 with no forecast in the facts) the gap is unknown: no cap.
* Balance of N (at the validation of its actual) = actual entitlement − advances paid for N: ``solde`` when
  ≥ 0 (a zero balance is listed), ``indu`` when negative. A later ``ActualValidated`` of the same exercice is a
  revision: it settles the difference with the balances already settled (a ``solde`` or an ``indu``; nothing
  when unchanged).
* Advances paid before the platform: an actual validated for an exercice with no forecast on the platform does
  not announce a balance until a Caf agent records what was paid (``PriorPayments``): the summary says
  « acomptes antérieurs non connus ». Once recorded, the balance = actual − recorded advances − recorded
  balance, due at the later of the two dates. The summary's ``balance`` is the same figure
  (``ExerciceState.balance``, one rule for both).
* First exercice on the platform (``first_exercice``): both advances fall due per the policy — those waiting
  for an actual N-1 come with the forecast, as no actual N-1 will be validated here.
* Caf du Nord's published reading (policy ``acomptes_35_35``): existing equipment, 1st advance 35 % of the actual
  N-2 (``base: actual_n_minus_2``; the forecast N when N-2 is unknown), 2nd advance 35 % of the forecast N at the
  actual N-1, advances of N limited to 70 % of the actual N-1 when the forecast N differs from it by more than
  10 % and the instruction agent did not accept a justification (``compare: forecast_vs_actual_n_minus_1``). The
  schedule computes that gap itself from the entitlements (the current forecast N, updates included, against the
  actual N-1, recorded ``PriorActual`` included); the facts carry only the agent's explicit acceptance, at the
  validation of the forecast N (``gap_justified``) or of the actual N-1 (``forecast_gap_justified``: the moment
  both figures are known). New equipment: 35 % of the forecast N at the forecast, 35 % at the update (30
  September), no cap. Which exercices are a new equipment's: the Caf du Nord's page does not define « équipement
  nouveau »; its existing-equipment rule rests on the actual N-2 and compares with the actual N-1, so our reading
  is that an equipment is new for N when it has no actual N-1 of a full year, i.e. it opened during N or N-1
  (``opened_on``, the activity's opening date from the catalogue); ``new_equipment=True`` also marks the first
  exercice on the platform as a new equipment's (when the opening date is not known).
* Facts that make no sense are refused (``PaymentFactError``): a second forecast of the same exercice, an
  update without a forecast or after the actual, a forecast after the actual, a ``PriorActual`` mixed with
  facts of its own exercice, a negative or non-Decimal entitlement.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import cast

from afas_estimation.domain.payments.amounts import euros, pct
from afas_estimation.domain.payments.model import (
    ActualValidated,
    Explanation,
    Fact,
    ForecastValidated,
    PaymentFactError,
    PaymentKind,
    PaymentPolicy,
    PaymentSchedule,
    PriorActual,
    PriorPayments,
    UpdateValidated,
    cents,
)
from afas_estimation.domain.payments.schedule_state import ZERO, ExerciceState, Previous
from afas_estimation.domain.payments.schedule_summary import Projections

_KIND_ORDER = {"acompte_1": 0, "acompte_2": 1, "complement": 2, "solde": 3, "indu": 4}


class _Run(Projections):
    """One run of the schedule: replays the facts (forecasts, updates, actuals, what preceded the platform)
    and settles each exercice at its actual."""

    # --- facts and settlements -------------------------------------------------------------------------------

    def apply(self, fact: Fact) -> None:
        if isinstance(fact, PriorActual):
            self._prior(fact)
            return
        if isinstance(fact, PriorPayments):
            self._prior_payments(fact)
            return
        if fact.exercice in self.priors:
            raise PaymentFactError(f"{fact!r}: exercice {fact.exercice} was given as a PriorActual")
        state = self.states.setdefault(fact.exercice, ExerciceState(fact.exercice))
        if isinstance(fact, ForecastValidated):
            self._forecast(state, fact)
        elif isinstance(fact, UpdateValidated):
            self._update(state, fact)
        elif isinstance(fact, ActualValidated):
            self._actual(state, fact)
        else:  # pragma: no cover - guarded by _check
            raise PaymentFactError(f"unknown fact {fact!r}")

    def _forecast(self, state: ExerciceState, fact: ForecastValidated) -> None:
        if state.forecast is not None:
            raise PaymentFactError(f"{fact!r}: the forecast of {fact.exercice} was already validated")
        if state.actual is not None:
            raise PaymentFactError(f"{fact!r}: the actual of {fact.exercice} is already validated")
        state.forecast, state.basis = fact.entitlement, "previsionnel"
        state.forecast_justified = fact.gap_justified
        n = fact.exercice
        for rule in self.rules(n):
            if rule.trigger == "forecast_validated":
                self._advance(state, rule, fact.at, f"validation de la déclaration prévisionnelle {n}")
        previous = self._previous(n)
        first = self.first_exercice == n
        if previous is not None or first:
            reason = (
                f"premier exercice sur la plateforme, pas de réel {n - 1} à y attendre"
                if first
                else (f"réel {n - 1} déjà validé")
            )
            for rule in self.rules(n):
                if rule.trigger == "previous_actual_validated":
                    self._advance(state, rule, fact.at, f"validation de la déclaration prévisionnelle {n} ({reason})")

    def _update(self, state: ExerciceState, fact: UpdateValidated) -> None:
        n = fact.exercice
        if state.forecast is None:
            raise PaymentFactError(f"{fact!r}: no validated forecast of {n} to update")
        if state.actual is not None:
            raise PaymentFactError(f"{fact!r}: the actual of {n} is already validated")
        previous, state.forecast, state.basis = state.forecast, fact.entitlement, "actualise"
        for rule in self.rules(n):
            if rule.trigger == "update_validated":
                self._advance(state, rule, fact.at, f"validation de la déclaration actualisée {n}")
        if not self.policy.top_ups or fact.entitlement <= previous or not state.due_advances:
            return
        rules = [rule for rule in self.policy.advances if rule.kind in state.due_advances]
        percent = sum((rule.percent for rule in rules), ZERO)
        target = cents(fact.entitlement * percent / 100)
        paid = state.advances_paid
        amount = target - paid
        text = (
            f"{pct(percent)} × {euros(fact.entitlement)} (droit prévisionnel actualisé {n}) = {euros(target)}, "
            f"− {euros(paid)} d'acomptes déjà versés"
        )
        amount, capped, ceiling, cap_text = self._capped("complement", n, amount, paid)
        if amount <= 0:
            return
        number = state.next_number("complement")
        label = f"Complément d'acompte {n}" + (f" n°{number}" if number > 1 else "")
        self._emit(
            state,
            "complement",
            amount,
            fact.at,
            f"validation de la déclaration actualisée {n}",
            label,
            Explanation(
                text=f"{text} = {euros(target - paid)}{cap_text}",
                percent=percent,
                base=fact.entitlement,
                base_label=f"droit prévisionnel actualisé {n}",
                cap_applied=capped,
                cap_amount=ceiling,
            ),
        )

    def _actual(self, state: ExerciceState, fact: ActualValidated) -> None:
        n = fact.exercice
        revision = state.actual is not None
        if not revision:
            state.forecast_at_actual = state.forecast
        state.actual, state.justified = fact.entitlement, fact.forecast_gap_justified
        state.actual_at = fact.at
        if state.forecast is None and n not in self.prior_payments:
            # advances paid before the platform: the balance waits until the Caf records them
            self._release_next(n, fact.at)
            return
        self._settle(state, fact.at, revision)
        self._release_next(n, fact.at)

    def _settle(self, state: ExerciceState, at: date, revision: bool) -> None:
        # _actual sets the actual before it settles: never None here
        n, entitlement = state.exercice, cast(Decimal, state.actual)
        advances, settled = state.advances_paid, state.settled
        amount = state.balance_left
        if revision and amount == 0:
            return
        kind: PaymentKind = "solde" if amount >= 0 else "indu"
        number = state.next_number(kind)
        text = f"droit réel {n} {euros(entitlement)} − acomptes versés {euros(advances)}"
        if state.prior_advances:
            text += f" (dont {euros(state.prior_advances)} versés avant la plateforme)"
        if settled:
            text += f" − soldes déjà réglés {euros(settled)}"
        text += f" = {euros(amount)}"
        if kind == "indu":
            text += " : indu à récupérer"
            label = f"Indu {n} à récupérer" + (f" (n°{number})" if number > 1 else "")
        else:
            label = f"Solde {n}" + (f" (régularisation n°{number})" if number > 1 else "")
        trigger = f"validation de la déclaration réelle {n}" + (" révisée" if revision else "")
        if state.forecast is None and not revision:
            trigger += " et enregistrement des versements antérieurs à la plateforme"
        self._emit(
            state,
            kind,
            amount,
            at,
            trigger,
            label,
            Explanation(text=text, base=entitlement, base_label=f"droit réel {n}"),
        )

    def _prior_payments(self, fact: PriorPayments) -> None:
        n = fact.exercice
        if n in self.prior_payments:
            raise PaymentFactError(f"{fact!r}: the payments of {n} before the platform were already recorded")
        state = self.states.setdefault(n, ExerciceState(n))
        if state.forecast is not None:
            raise PaymentFactError(f"{fact!r}: the advances of {n} were paid on the platform")
        self.prior_payments[n] = fact
        state.prior_advances, state.prior_balance = fact.advances, fact.balance
        if state.actual is not None:
            self._settle(state, max(fact.at, state.actual_at or fact.at), False)

    def _prior(self, fact: PriorActual) -> None:
        n = fact.exercice
        if n in self.states or n in self.priors:
            raise PaymentFactError(f"{fact!r}: exercice {n} already has facts in this history")
        self.priors[n] = Previous(n, fact.entitlement, fact.forecast_entitlement, fact.forecast_gap_justified)
        self._release_next(n, fact.at)

    def _release_next(self, n: int, at: date) -> None:
        """The actual of ``n`` is validated: the advances of ``n + 1`` waiting for it fall due."""
        following = self.states.get(n + 1)
        if following is None or following.forecast is None or following.actual is not None:
            return
        for rule in self.rules(n + 1):
            if rule.trigger == "previous_actual_validated":
                self._advance(following, rule, at, f"validation de la déclaration réelle {n}")


def schedule(
    policy: PaymentPolicy,
    facts: Iterable[Fact],
    *,
    first_exercice: int | None = None,
    new_equipment: bool = False,
    opened_on: date | None = None,
) -> PaymentSchedule:
    """Every payment the ``facts`` of one activity trigger under ``policy``, and what is still to come.

    ``facts`` may span several exercices (the actual N-1 triggers and may cap the second advance of N);
    ``first_exercice``: the activity's first exercice on the platform (no actual N-1 to wait for here: its
    second advance is due with the forecast); ``new_equipment``: that first exercice is the equipment's first
    (a policy's ``new_equipment`` advances apply to it); ``opened_on``: the activity's opening date, which makes
    every exercice N with an opening during N or N-1 a new equipment's.
    """
    checked = [_check(fact) for fact in facts]
    run = _Run(policy, first_exercice, new_equipment, opened_on)
    planned = [f for f in checked if isinstance(f, ForecastValidated | UpdateValidated)]
    if first_exercice is not None and any(fact.exercice < first_exercice for fact in planned):
        raise PaymentFactError(f"forecasts before the first exercice {first_exercice}")
    for fact in sorted(checked, key=lambda f: f.at):
        run.apply(fact)
    payments = list(run.due)
    summaries = {}
    for n in sorted(run.states):
        state = run.states[n]
        pending = run.pending(state)
        payments.extend(pending)
        summaries[n] = run.summary(state, pending)
    return PaymentSchedule(policy_id=policy.id, payments=tuple(payments), summaries=summaries)


def _check(fact: object) -> Fact:
    if not isinstance(fact, ForecastValidated | UpdateValidated | ActualValidated | PriorActual | PriorPayments):
        raise PaymentFactError(f"not a payment fact: {fact!r}")
    if isinstance(fact.exercice, bool) or not isinstance(fact.exercice, int):
        raise PaymentFactError(f"{fact!r}: exercice must be a year")
    if not isinstance(fact.at, date):
        raise PaymentFactError(f"{fact!r}: at must be a date")
    if isinstance(fact, PriorPayments):
        amounts = [fact.advances, fact.balance]
    else:
        amounts = [fact.entitlement]
        if isinstance(fact, PriorActual) and fact.forecast_entitlement is not None:
            amounts.append(fact.forecast_entitlement)
    for amount in amounts:
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
            raise PaymentFactError(f"{fact!r}: an entitlement is a non-negative Decimal")
    return fact
