"""The Caf as reference data: the table lives in ``afas_shared.cafs`` (the receipt prints the Caf's name too)."""

from __future__ import annotations

from afas_shared.cafs import CAFS, Caf, UnknownCaf, get_caf

__all__ = ["CAFS", "Caf", "UnknownCaf", "get_caf"]
