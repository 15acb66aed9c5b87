from afas_shared.contracts.envelope import Envelope, EventData
from afas_shared.contracts.registry import REGISTRY, model_for, parse, produced_by

__all__ = ["REGISTRY", "Envelope", "EventData", "model_for", "parse", "produced_by"]
