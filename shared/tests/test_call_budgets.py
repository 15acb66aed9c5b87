"""Each kind of call waits as long as its own setting says: a login is not cut at the interactive budget."""

from __future__ import annotations

import pytest

from afas_declaration.config import Settings
from afas_shared.contracts.rpc import contract_for
from afas_shared.messaging import call_budgets
from afas_shared.messaging.call_budgets import CallKind, kind_of, timeout_for
from afas_shared.settings import CommonSettings


def _settings(**env: str) -> Settings:
    return Settings(common=CommonSettings(), **env)


def test_each_kind_reads_its_own_setting():
    settings = _settings(
        rpc_timeout_seconds=1.5,
        login_rpc_timeout_seconds=7.0,
        estimate_rpc_timeout_seconds=4.0,
        bulk_rpc_timeout_seconds=90.0,
    )
    assert timeout_for(settings, "habilitation", "search_grants") == 1.5
    assert timeout_for(settings, "identity", "login") == 7.0
    assert timeout_for(settings, "identity", "activate") == 7.0
    assert timeout_for(settings, "identity", "reset_password") == 7.0
    assert timeout_for(settings, "estimation", "estimate") == 4.0
    assert timeout_for(settings, "identity", "seed_demo") == 90.0


def test_the_defaults_give_logins_more_than_interactive_calls():
    settings = _settings()
    assert timeout_for(settings, "identity", "login") > timeout_for(settings, "identity", "whoami") == 2.0
    assert timeout_for(settings, "identity", "seed_demo") >= 60.0


def test_the_environment_sets_them(monkeypatch):
    monkeypatch.setenv("AFAS_DECLARATION_LOGIN_RPC_TIMEOUT_SECONDS", "12.5")
    assert timeout_for(_settings(), "identity", "login") == 12.5


@pytest.mark.parametrize(("service", "verb"), sorted(call_budgets._KINDS))
def test_every_classified_verb_is_a_real_one(service, verb):
    # a misspelt verb would silently fall back to the interactive budget
    assert contract_for(service, verb) is not None
    assert kind_of(service, verb) is not CallKind.INTERACTIVE
