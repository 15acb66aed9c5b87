"""AFAS_<SERVICE>_INTERNAL_PORT: the port of /internal/* and /metrics, by default the HTTP port + 100."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from afas_shared.settings import ServiceSettings


class _Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AFAS_PORTTEST_", extra="ignore")


def test_the_internal_port_defaults_to_the_http_port_plus_100(monkeypatch):
    assert _Settings().internal_port == 8100
    monkeypatch.setenv("AFAS_PORTTEST_HTTP_PORT", "8080")
    assert _Settings().internal_port == 8180
    monkeypatch.setenv("AFAS_PORTTEST_INTERNAL_PORT", "9090")
    assert _Settings().internal_port == 9090


def test_the_internal_port_must_differ_from_the_http_port(monkeypatch):
    monkeypatch.setenv("AFAS_PORTTEST_HTTP_PORT", "9000")
    monkeypatch.setenv("AFAS_PORTTEST_INTERNAL_PORT", "9000")
    with pytest.raises(ValidationError, match="AFAS_PORTTEST_INTERNAL_PORT must differ"):
        _Settings()
    monkeypatch.setenv("AFAS_PORTTEST_HTTP_PORT", "65500")
    monkeypatch.delenv("AFAS_PORTTEST_INTERNAL_PORT")
    with pytest.raises(ValidationError, match="AFAS_PORTTEST_INTERNAL_PORT is required"):
        _Settings()
