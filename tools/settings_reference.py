"""Generate, or check, docs/operations/settings.md: every setting of every service, from the settings classes.

python tools/settings_reference.py           # exit 1 when the reference is stale or a setting is undocumented
python tools/settings_reference.py --write   # rewrite it after adding or changing a setting (`make settings-reference`)

The classes are the truth: ``afas_shared.settings.CommonSettings`` (``AFAS_*``, read by every service) and each
service's ``afas_<service>.config.Settings`` (``AFAS_<SERVICE>_*``, with the fields every service inherits from
``ServiceSettings``). For each environment variable: its type, its default, its constraints (bounds, pattern,
length) and its description — the field's ``description=``, else the comment block written just above the field in
the class (how the shared settings are documented). A setting with neither is refused: adding a setting without
its line of documentation fails ``tests/deploy/test_settings_reference.py``.
"""

from __future__ import annotations

import argparse
import enum
import importlib
import inspect
import io
import json
import sys
import tokenize
import typing
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from afas_shared.settings import CommonSettings
from afas_shared.telemetry.otel_config import STANDARD_VARIABLES

SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")
REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "operations" / "settings.md"
# Filled by the service from CommonSettings at start-up: not an environment variable.
NOT_FROM_ENV = frozenset({"common"})
# Where a default is a secret only good on a developer's machine, say so rather than print it as a value to keep.
LOCAL_ONLY_NOTE = "`local-only-change-me` (refused outside AFAS_ENV=local)"
CONSTRAINTS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"), ("min_length", "min length"), ("pattern", "pattern"))


@dataclass(frozen=True)
class Setting:
    env: str
    type: str
    default: str
    constraints: str
    description: str


def _comments_above(cls: type) -> dict[str, str]:
    """Field name -> the comment lines directly above its annotated assignment in the class body."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    found: dict[str, str] = {}
    block: list[str] = []
    previous_row = 0
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and token.line.strip().startswith("#"):  # a line of its own, not trailing
            if token.start[0] != previous_row + 1:
                block = []
            block.append(token.string.lstrip("#").strip())
            previous_row = token.start[0]
        elif token.type == tokenize.NAME and token.start[1] == 4 and token.line.strip().startswith(token.string):
            if block and previous_row == token.start[0] - 1:
                found.setdefault(token.string, " ".join(block))
            block = []
        elif token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            continue
    return found


@cache
def _comments(cls: type) -> dict[str, str]:
    merged: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if issubclass(klass, BaseSettings) and not klass.__module__.startswith("pydantic"):
            merged.update(_comments_above(klass))
    return merged


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(f"`{member.value}`" for member in annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return "one of " + ", ".join(f"`{value}`" for value in typing.get_args(annotation))
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("pathlib.", "")


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "(required)"
    else:
        value = field.default
    if value == "local-only-change-me":
        return LOCAL_ONLY_NOTE
    if value is None:
        return "(none)"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        return f"`{value}`" if value else '`""` (empty)'
    return f"`{json.dumps(value)}`"


def _constraints(field: FieldInfo) -> str:
    found = []
    for meta in field.metadata:
        for attribute, label in CONSTRAINTS:
            value = getattr(meta, attribute, None)
            if value is not None:
                found.append(f"{label} `{value}`")
    return ", ".join(found)


def settings_of(cls: type[BaseSettings]) -> tuple[list[Setting], list[str]]:
    """The documented settings of a class, and the environment variables left without a description."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    comments = _comments(cls)
    rows, undocumented = [], []
    for name, field in cls.model_fields.items():
        if name in NOT_FROM_ENV:
            continue
        env = f"{prefix}{name}".upper()
        description = (field.description or comments.get(name, "")).strip()
        if not description:
            undocumented.append(env)
        rows.append(Setting(env, _type_name(field.annotation), _default(field), _constraints(field), description))
    return sorted(rows, key=lambda s: s.env), undocumented


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "—"


def _table(rows: list[Setting]) -> list[str]:
    lines = ["| Variable | Type | Default | Constraints | Description |", "|---|---|---|---|---|"]
    for s in rows:
        cells = (f"`{s.env}`", s.type, s.default, s.constraints, s.description)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def service_settings(service: str) -> type[BaseSettings]:
    settings: type[BaseSettings] = importlib.import_module(f"afas_{service}.config").Settings
    return settings


def render() -> tuple[str, list[str]]:
    """The reference's Markdown text, and every undocumented environment variable."""
    out = [
        "# Settings reference",
        "",
        "<!-- Generated by tools/settings_reference.py (`make settings-reference`) from the settings classes: do not",
        "     edit by hand; tests/deploy/test_settings_reference.py fails when this file is stale. -->",
        "",
        "Every service reads its settings from environment variables (pydantic-settings; unknown `AFAS_*` names are",
        "ignored by the services but refused by `make k8s-validate`). `AFAS_*` are common to the five services;",
        "`AFAS_<SERVICE>_*` belong to one service. Lists are JSON (`[1, 5, 15]`). In production",
        "(`AFAS_ENV=production`) each service refuses to start without its database URL, its NATS password and",
        "real secrets (the deployment sets them from Secrets: deploy/k8s/base/secrets.yaml). The standard",
        "OpenTelemetry variables every service honours are listed last (`OTEL_*`).",
        "",
        "## Common to every service (`AFAS_*`)",
        "",
    ]
    rows, undocumented = settings_of(CommonSettings)
    out += _table(rows)
    for service in SERVICES:
        rows, missing = settings_of(service_settings(service))
        undocumented += missing
        out += ["", f"## {service} (`AFAS_{service.upper()}_*`)", ""] + _table(rows)
    out += [
        "",
        "## OpenTelemetry, every service (`OTEL_*`)",
        "",
        "The specification's names, read by afas_shared.telemetry (exporters, sampler, resource) or by the SDK's",
        "OTLP/HTTP exporters and metric reader (`afas_shared.telemetry.otel_config.STANDARD_VARIABLES`); an invalid",
        "value stops the service at start naming the variable, and `make k8s-validate` refuses any other `OTEL_*`",
        "name in the manifests.",
        "",
        "| Variable | Default | Description |",
        "|---|---|---|",
    ]
    for variable in STANDARD_VARIABLES:
        cells = (f"`{variable.name}`", variable.default, variable.description)
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(out) + "\n", undocumented


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"rewrite {REFERENCE}")
    args = parser.parse_args(argv)
    text, undocumented = render()
    if undocumented:
        print("settings without a description (add description= to the field):", file=sys.stderr)
        for env in undocumented:
            print(f"  {env}", file=sys.stderr)
        return 1
    if args.write:
        REFERENCE.parent.mkdir(parents=True, exist_ok=True)
        REFERENCE.write_text(text, encoding="utf-8")
        print(f"wrote {REFERENCE}")
        return 0
    if not REFERENCE.is_file() or REFERENCE.read_text(encoding="utf-8") != text:
        print(f"{REFERENCE} is stale: run `make settings-reference`", file=sys.stderr)
        return 1
    print(f"{REFERENCE} is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
