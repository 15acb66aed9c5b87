"""docs/operations/settings.md is what tools/settings_reference.py generates from the settings classes, and every
setting has a description: a new setting without its documentation line, or a stale reference, fails here."""

from __future__ import annotations

import importlib.util
import sys

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tests.deploy.k8s_manifest_checks import REPO_ROOT

TOOL = REPO_ROOT / "tools" / "settings_reference.py"


def _tool():
    if "settings_reference" not in sys.modules:
        spec = importlib.util.spec_from_file_location("settings_reference", TOOL)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["settings_reference"]


def test_every_setting_is_documented_and_the_committed_reference_is_current():
    tool = _tool()
    text, undocumented = tool.render()
    assert undocumented == [], "add description= to these settings' fields"
    assert tool.REFERENCE.read_text(encoding="utf-8") == text, "stale: run `make settings-reference`"


def test_the_reference_lists_every_environment_variable_the_deployment_may_set():
    """Same derivation as the manifest validator's allowed names: every one of them has its row."""
    from tests.deploy.k8s_manifest_checks import validate

    text = _tool().REFERENCE.read_text(encoding="utf-8")
    rows = {line.split("`")[1] for line in text.splitlines() if line.startswith("| `AFAS_")}
    assert rows == set(validate.allowed_env_names())


def test_the_reference_lists_every_opentelemetry_variable_the_services_read():
    """Every OTEL_* name the telemetry code reads or documents is in the table the reference and the manifest check
    use, and the reference has a row for each."""
    import re

    from afas_shared.telemetry.otel_config import STANDARD_VARIABLE_NAMES

    text = _tool().REFERENCE.read_text(encoding="utf-8")
    rows = {line.split("`")[1] for line in text.splitlines() if line.startswith("| `OTEL_")}
    assert rows == set(STANDARD_VARIABLE_NAMES)
    telemetry = REPO_ROOT / "shared" / "src" / "afas_shared" / "telemetry"
    # Full names only: one followed by `_"` or `{` is a prefix the code builds names from.
    found = (re.findall(r"OTEL_[A-Z_]*[A-Z](?![A-Z_{])", path.read_text()) for path in telemetry.glob("*.py"))
    named = {name for names in found for name in names}
    assert named and named <= STANDARD_VARIABLE_NAMES, sorted(named - STANDARD_VARIABLE_NAMES)


class _Example(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AFAS_EXAMPLE_")

    # Documented by the comment just above it
    commented: int = 3
    described: list[float] = Field(default=[1.0], min_length=1, description="Delays | in seconds")  # not forgotten's
    forgotten: str = "x"


def test_a_setting_without_description_is_reported_and_one_with_a_comment_is_not():
    rows, undocumented = _tool().settings_of(_Example)
    assert undocumented == ["AFAS_EXAMPLE_FORGOTTEN"]
    by_env = {row.env: row for row in rows}
    assert by_env["AFAS_EXAMPLE_COMMENTED"].description == "Documented by the comment just above it"
    described = by_env["AFAS_EXAMPLE_DESCRIBED"]
    assert (described.type, described.default, described.constraints) == ("list[float]", "`[1.0]`", "min length `1`")
    assert "Delays \\| in seconds" in "\n".join(_tool()._table(rows))  # a pipe does not break the table
