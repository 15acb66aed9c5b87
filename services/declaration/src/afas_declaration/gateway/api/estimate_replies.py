"""An estimate as estimation explains it: one model, estimation's reply contract (the public API shows it as is)."""

from afas_shared.contracts.rpc.estimation_explanations import Explanation, ParameterUsed, Provenance, Step

__all__ = ["Explanation", "ParameterUsed", "Provenance", "Step"]
