"""The README is the newcomer's contract: its two commands, and every setting in its table."""

from __future__ import annotations

import importlib
from pathlib import Path

from afas_shared.settings import CommonSettings, ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")


def test_the_two_commands_come_first():
    commands = README.index("## The two commands")
    assert README.index("make run") > commands and README.index("make test") > commands
    assert README.index("make run") < README.index("## Architecture")


def test_every_setting_is_in_the_configuration_table():
    expected = {f"AFAS_{name.upper()}" for name in CommonSettings.model_fields}
    shared_fields = set(ServiceSettings.model_fields) - {"common"}
    expected |= {f"AFAS_<SERVICE>_{name.upper()}" for name in shared_fields}
    for service in SERVICES:
        settings = importlib.import_module(f"afas_{service}.config").Settings
        own = set(settings.model_fields) - shared_fields - {"common"}
        expected |= {f"{settings.model_config['env_prefix']}{name.upper()}" for name in own}
    missing = sorted(name for name in expected if f"| `{name}` |" not in README)
    assert missing == [], f"README configuration table lacks {missing}"
