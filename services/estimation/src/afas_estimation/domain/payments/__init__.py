"""Payments of the prestation de service per Caf policy: advances, top-ups, balance or overpayment.

Policies are data (``policies/*.yaml``, see ``loader``); the schedule is a pure function of the validations
the Caf made for one activity (see ``schedule`` for the rules and our reading of the sources).
"""

from afas_estimation.domain.payments.amounts import euros, forecast_gap, gap_exceeds
from afas_estimation.domain.payments.loader import (
    available_policies,
    build_policy,
    load_caf_policies,
    load_policy,
    policy_for_caf,
)
from afas_estimation.domain.payments.model import (
    ActualValidated,
    AdvanceRule,
    CafPolicies,
    CapRule,
    ExerciceSummary,
    Explanation,
    Fact,
    ForecastValidated,
    Payment,
    PaymentFactError,
    PaymentPolicy,
    PaymentSchedule,
    PolicyError,
    PriorActual,
    PriorPayments,
    UnknownPolicy,
    UpdateValidated,
    normalise_caf,
)
from afas_estimation.domain.payments.schedule import schedule

__all__ = [
    "ActualValidated",
    "AdvanceRule",
    "CafPolicies",
    "CapRule",
    "ExerciceSummary",
    "Explanation",
    "Fact",
    "ForecastValidated",
    "Payment",
    "PaymentFactError",
    "PaymentPolicy",
    "PaymentSchedule",
    "PolicyError",
    "PriorActual",
    "PriorPayments",
    "UnknownPolicy",
    "UpdateValidated",
    "available_policies",
    "build_policy",
    "euros",
    "forecast_gap",
    "gap_exceeds",
    "load_caf_policies",
    "load_policy",
    "normalise_caf",
    "policy_for_caf",
    "schedule",
]
