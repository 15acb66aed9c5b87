"""Estimation service: rules as code, barèmes, subsidy estimates and payment schedules."""

SERVICE = "estimation"
__version__ = "0.1.0"
