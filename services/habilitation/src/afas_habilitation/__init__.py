"""Habilitation service: activity and site catalogue, role grants, Caf validation of approbateurs."""

SERVICE = "habilitation"
__version__ = "0.1.0"
