"""Shared kernel of the AFAS services: contracts and plumbing only, never business rules."""
