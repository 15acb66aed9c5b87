"""Offline checks of the Kubernetes manifests (deploy/k8s): the AFAS_* settings they set are derived from the
settings classes, the required ones are present, the secrets come from their own Secret."""

from __future__ import annotations

import pytest

from tests.deploy.k8s_manifest_checks import SERVICES, _app_container, validate

# --- AFAS_* settings derived from the settings classes ------------------------------------------------


def test_allowed_env_names_come_from_the_settings_classes():
    allowed = validate.allowed_env_names()
    assert {"AFAS_ENV", "AFAS_NATS_URL", "AFAS_VAR_DIR", "AFAS_TELEMETRY_SAMPLE_RATIO"} <= allowed
    for svc in SERVICES:
        prefix = f"AFAS_{svc.upper()}_"
        assert {f"{prefix}DATABASE_URL", f"{prefix}HTTP_HOST", f"{prefix}HTTP_PORT"} <= allowed
        assert f"{prefix}COMMON" not in allowed
    assert "AFAS_DECLARATION_ADMIN_TOKEN" in allowed
    assert "AFAS_IDENTITY_ADMIN_TOKEN" not in allowed


def test_required_env_names():
    assert validate.required_env_names("declaration") == {
        "AFAS_DECLARATION_DATABASE_URL",
        "AFAS_DECLARATION_ADMIN_TOKEN",
        "AFAS_DECLARATION_CSRF_SECRET",
        "AFAS_DECLARATION_NATS_PASSWORD",
    }
    assert validate.required_env_names("identity") == {
        "AFAS_IDENTITY_DATABASE_URL",
        "AFAS_IDENTITY_OPERATOR_TOKEN",
        "AFAS_IDENTITY_NATS_PASSWORD",
    }
    for svc in set(SERVICES) - {"declaration", "identity"}:
        assert validate.required_env_names(svc) == {
            f"AFAS_{svc.upper()}_DATABASE_URL",
            f"AFAS_{svc.upper()}_NATS_PASSWORD",
        }


def test_unknown_afas_name_is_rejected(docs):
    assert validate.check_policies(docs) == []
    container = _app_container(docs, "identity")
    for env in container["env"]:
        if env["name"] == "AFAS_IDENTITY_DATABASE_URL":
            env["name"] = "AFAS_IDENTITY_DATABASE_ULR"
    joined = "\n".join(validate.check_policies(docs))
    assert "AFAS_IDENTITY_DATABASE_ULR is not a known AFAS setting" in joined


def test_unknown_afas_name_in_configmap_is_rejected(docs):
    config = next(doc for doc in docs if (doc.kind, doc.name) == ("ConfigMap", "afas-config"))
    config.data["data"]["AFAS_NATS_URI"] = "nats://nats:4222"
    assert any("AFAS_NATS_URI is not a known AFAS setting" in p for p in validate.check_policies(docs))


@pytest.mark.parametrize("svc", SERVICES)
def test_deployment_without_database_url_is_rejected(docs, svc):
    container = _app_container(docs, svc)
    container["env"] = [env for env in container["env"] if env["name"] != f"AFAS_{svc.upper()}_DATABASE_URL"]
    problems = validate.check_policies(docs)
    assert any(f"Deployment/{svc} " in p and f"AFAS_{svc.upper()}_DATABASE_URL is required" in p for p in problems)


def test_empty_database_url_is_rejected(docs):
    container = _app_container(docs, "habilitation")
    container["env"] = [
        {"name": env["name"], "value": ""} if env["name"] == "AFAS_HABILITATION_DATABASE_URL" else env
        for env in container["env"]
    ]
    assert any("AFAS_HABILITATION_DATABASE_URL is required" in p for p in validate.check_policies(docs))


@pytest.mark.parametrize("name", ["AFAS_DECLARATION_ADMIN_TOKEN", "AFAS_DECLARATION_CSRF_SECRET"])
def test_declaration_without_its_secrets_is_rejected(docs, name):
    container = _app_container(docs, "declaration")
    container["env"] = [env for env in container["env"] if env["name"] != name]
    assert any(f"{name} is required" in p for p in validate.check_policies(docs))


def test_the_csrf_key_comes_from_its_own_secret(objects):
    container = objects[("Deployment", "declaration")]["spec"]["template"]["spec"]["containers"][0]
    refs = {env["name"]: env["valueFrom"]["secretKeyRef"] for env in container["env"] if "valueFrom" in env}
    assert refs["AFAS_DECLARATION_CSRF_SECRET"] == {"name": "afas-declaration-csrf", "key": "csrf-secret"}
    assert refs["AFAS_DECLARATION_ADMIN_TOKEN"]["name"] != "afas-declaration-csrf"
    assert objects[("Secret", "afas-declaration-csrf")]["stringData"] == {"csrf-secret": "REPLACE_ME"}


def test_required_setting_may_come_from_env_from(docs):
    container = _app_container(docs, "notification")
    container["env"] = [env for env in container["env"] if env["name"] != "AFAS_NOTIFICATION_DATABASE_URL"]
    config = next(doc for doc in docs if (doc.kind, doc.name) == ("ConfigMap", "afas-config"))
    config.data["data"]["AFAS_NOTIFICATION_DATABASE_URL"] = "postgresql+psycopg://afas-pg-rw/afas_notification"
    assert validate.check_policies(docs) == []
