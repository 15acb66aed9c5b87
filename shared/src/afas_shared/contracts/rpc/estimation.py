"""estimation's requests and replies: the estimate, the barèmes, a Caf's local rules and territories, payments.

Field names are the public API's (``/api/v1/baremes``, ``/api/v1/cafs/{caf}/…``, ``/api/v1/activities/…``); the
attribute keeps estimation's name where it differs. The replies are the models the public API documents: the
gateway passes estimation's reply through as is (``estimation_baremes``, ``estimation_payments``).

The values a change carries (an amount, a date, a provenance, a motive) are read by estimation itself, which
refuses them with its own French message naming the API's field: their types here are as loose as the wire
(a text, a number or nothing), so the contract adds no English message before estimation's.

``estimate`` has no public route: declaration asks it on every save, under the names the API gives the same
notions elsewhere (``famille``, ``type_declaration``, ``caf``, ``activite_id``, the form's ``valeurs``); the figures
are keyed by the forms' field ids, which a refusal of a figure names.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from afas_shared.contracts.rpc import estimation_baremes as baremes
from afas_shared.contracts.rpc import estimation_payments as payments
from afas_shared.contracts.rpc.base import RpcContract, RpcRequest
from afas_shared.contracts.rpc.estimation_explanations import EstimateV1

Loose = Any  # a value estimation reads and refuses itself (see the module's docstring)


class EstimateRequestV1(RpcRequest):
    multiline_fields = frozenset({"figures"})  # a declaration's texts, as its forms accepted them
    family: Loose = Field(default=None, alias="famille")
    nature: Loose = None
    declaration_type: Loose = Field(default=None, alias="type_declaration")
    exercice: Loose = None
    caf_code: Loose = Field(default=None, alias="caf")
    # selects the territory the Caf assigned the activity to (PSU bonus territoire)
    activity_id: Loose = Field(default=None, alias="activite_id")
    figures: Loose = Field(default=None, alias="valeurs")  # {field id: text}, as a form's save sends them


class BaremeRequestV1(RpcRequest):
    family: Loose = Field(default=None, alias="famille")


class DatedValueV1(RpcRequest):
    """A dated, sourced value: from when, how much, whence (a document), why."""

    multiline_fields = frozenset({"reason"})
    applies_from: Loose = Field(default=None, alias="applicable_depuis")
    value: Loose = Field(default=None, alias="valeur")
    provenance: Loose = None  # {titre, emetteur, date, reference|adresse, note?}
    reason: Loose = Field(default=None, alias="motif")


class SetParameterRequestV1(DatedValueV1):
    """A national barème value (Cnaf), or with ``caf`` a Caf's local parameter (bonus territoire per new place)."""

    family: Loose = Field(default=None, alias="famille")
    parameter: Loose = Field(default=None, alias="parametre")
    nature: Loose = None
    caf: Loose = None


class ReestimationRequestV1(RpcRequest):
    job_id: uuid.UUID


class ActivityExerciceV1(RpcRequest):
    activity_id: uuid.UUID
    exercice: Loose = None


class PriorPaymentsRequestV1(ActivityExerciceV1):
    advances: Loose = Field(default=None, alias="acomptes")
    balance: Loose = Field(default=None, alias="solde")


class PriorActualRequestV1(ActivityExerciceV1):
    entitlement: Loose = Field(default=None, alias="droit_reel")
    forecast: Loose = Field(default=None, alias="droit_previsionnel")


class EntitlementRequestV1(RpcRequest):
    declaration_id: uuid.UUID


class CafRequestV1(RpcRequest):
    caf: Loose = None


class SetPaymentPolicyRequestV1(CafRequestV1):
    multiline_fields = frozenset({"reason"})
    policy: Loose = Field(default=None, alias="politique")
    reason: Loose = Field(default=None, alias="motif")


class SetTerritoryRequestV1(DatedValueV1):
    caf: Loose = None
    code: Loose = None
    name: Loose = Field(default=None, alias="nom")


class AssignTerritoryRequestV1(RpcRequest):
    multiline_fields = frozenset({"reason"})
    activity_id: Loose = None
    territory: Loose = Field(default=None, alias="territoire")
    reason: Loose = Field(default=None, alias="motif")


def _contracts() -> tuple[RpcContract, ...]:
    def c(verb: str, request: type[RpcRequest], reply: Any, summary: str) -> RpcContract:
        return RpcContract("estimation", verb, request, reply, summary=summary)

    return (
        c("estimate", EstimateRequestV1, EstimateV1, "The explained estimate of a declaration's figures"),
        c("parameters", BaremeRequestV1, baremes.Bareme, "A family's effective barème, provenance and history"),
        c(
            "set_parameter",
            SetParameterRequestV1,
            baremes.NationalChange | baremes.LocalChange,
            "Change a national barème value (Cnaf) or a Caf's local parameter",
        ),
        c("reestimation", ReestimationRequestV1, baremes.Reestimation, "Progress of a change's re-estimation"),
        c("payments", ActivityExerciceV1, payments.Payments, "An activity's payments for an exercice"),
        c(
            "record_prior_payments",
            PriorPaymentsRequestV1,
            payments.PriorPayments,
            "What a Caf paid before the platform",
        ),
        c(
            "record_prior_actual",
            PriorActualRequestV1,
            payments.PriorActualRecorded,
            "An actual entitlement validated before the platform",
        ),
        c("entitlement", EntitlementRequestV1, payments.Entitlement, "A validated declaration's entitlement"),
        c("payment_policy", CafRequestV1, payments.PaymentPolicy, "A Caf's payment policy"),
        c("set_payment_policy", SetPaymentPolicyRequestV1, payments.PaymentPolicy, "A Caf chooses its policy"),
        c("territories", CafRequestV1, baremes.Territories, "A Caf's territories for the PSU bonus territoire"),
        c("set_territory", SetTerritoryRequestV1, baremes.TerritoryChange, "A Caf's territory and its amount"),
        c(
            "assign_territory",
            AssignTerritoryRequestV1,
            baremes.TerritoryAssignment,
            "An EAJE-PSU activity assigned to one of its Caf's territories",
        ),
    )


CONTRACTS = _contracts()
