"""Refusals of an estimate request: each carries the French message shown to the user and the field at fault."""

from __future__ import annotations


class EstimationError(Exception):
    """A request that cannot be estimated as asked (never a crash: the caller turns it into a 422)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class UnknownFamily(EstimationError):
    """No rule and no barème exist for this PS family."""


class UnknownNature(EstimationError):
    """The nature is not one of the family's natures."""


class UnknownPeriod(EstimationError):
    """The exercice is malformed, or earlier than every known value of a parameter the rule needs."""


class InvalidInputs(EstimationError):
    """Figures missing or impossible; ``missing`` lists every missing field, ``problems`` every impossible one."""

    def __init__(self, missing: list[str], problems: list[tuple[str, str]]) -> None:
        parts = []
        if missing:
            parts.append("Données manquantes pour l'estimation : " + ", ".join(missing) + ".")
        parts.extend(f"{field} : {reason}" for field, reason in problems)
        field = missing[0] if missing else (problems[0][0] if problems else None)
        super().__init__(" ".join(parts), field)
        self.missing = missing
        self.problems = problems


class ParameterFileError(Exception):
    """A barème file is unusable (a packaging error, not a user error)."""
