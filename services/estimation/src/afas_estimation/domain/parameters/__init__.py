"""Barèmes (rates, ceilings, bonuses, thresholds) as dated data with provenance."""
