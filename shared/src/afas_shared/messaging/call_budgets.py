"""How long a request may wait for its answer, by the kind of work it asks for.

A page's read answers in milliseconds and should fail fast when its service is gone; a login spends an argon2id
hash; an estimate runs the calculation; an operator's seed writes hundreds of rows. One budget for all either
answers 503 for work that was done or leaves a user waiting on a dead service. Each kind has its setting
(``AFAS_<SERVICE>_<KIND>_RPC_TIMEOUT_SECONDS``, README, Configuration); a caller that passes ``timeout=`` overrides.
Long work (campaign opening, imports, bulk grants) is not a request at all: it is a job that answers at once.
"""

from __future__ import annotations

from enum import StrEnum

from afas_shared.settings import ServiceSettings


class CallKind(StrEnum):
    INTERACTIVE = "interactive"
    LOGIN = "login"
    ESTIMATE = "estimate"
    BULK = "bulk"


# (service, verb) → kind; every other verb is interactive
_KINDS: dict[tuple[str, str], CallKind] = {
    # identity's verbs that hash a password
    ("identity", "login"): CallKind.LOGIN,
    ("identity", "activate"): CallKind.LOGIN,
    ("identity", "reset_password"): CallKind.LOGIN,
    ("identity", "change_password"): CallKind.LOGIN,
    ("estimation", "estimate"): CallKind.ESTIMATE,
    # the operator's: the demo seed (hundreds of rows, every service's events), a new signing key
    ("identity", "seed_demo"): CallKind.BULK,
    ("identity", "rotate_signing_key"): CallKind.BULK,
}


def kind_of(service: str, verb: str) -> CallKind:
    return _KINDS.get((service, verb), CallKind.INTERACTIVE)


def timeout_for(settings: ServiceSettings, service: str, verb: str) -> float:
    kind = kind_of(service, verb)
    if kind is CallKind.LOGIN:
        return settings.login_rpc_timeout_seconds
    if kind is CallKind.ESTIMATE:
        return settings.estimate_rpc_timeout_seconds
    if kind is CallKind.BULK:
        return settings.bulk_rpc_timeout_seconds
    return settings.rpc_timeout_seconds
