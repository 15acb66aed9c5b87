"""Services share only `shared/`, and every service has the same shape."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")
LAYOUT = (
    "__init__.py",
    "__main__.py",
    "config.py",
    "bootstrap.py",
    "domain",
    "application",
    "adapters",
    "entrypoints",
    "migrations/env.py",
    "migrations/versions/0001_initial.py",
)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service):
    others = {f"afas_{s}" for s in SERVICES if s != service}
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (ROOT / "services" / service).rglob("*.py")
        for module in _imported_modules(path)
        if module.split(".")[0] in others
    ]
    assert offenders == []


def test_shared_imports_no_service():
    services = {f"afas_{s}" for s in SERVICES}
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (ROOT / "shared" / "src").rglob("*.py")
        for module in _imported_modules(path)
        if module.split(".")[0] in services
    ]
    assert offenders == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_layout(service):
    package = ROOT / "services" / service / "src" / f"afas_{service}"
    missing = [part for part in LAYOUT if not (package / part).exists()]
    assert missing == []
    assert (ROOT / "services" / service / "pyproject.toml").exists()
    assert (ROOT / "services" / service / "Dockerfile").exists()
    assert any((ROOT / "services" / service / "tests").glob("test_*.py"))


def test_domain_code_does_no_io():
    io_modules = {"sqlalchemy", "sqlmodel", "nats", "faststream", "fastapi", "httpx", "alembic"}
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for service in SERVICES
        for path in (ROOT / "services" / service / "src" / f"afas_{service}" / "domain").rglob("*.py")
        for module in _imported_modules(path)
        if module.split(".")[0] in io_modules
    ]
    assert offenders == []


def _names_rpc_failure(path: Path) -> bool:
    """Imports the bus's refusal type (``from afas_shared.messaging.rpc import RpcFailure``) or uses it by attribute."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and any(alias.name == "RpcFailure" for alias in node.names):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "RpcFailure":
            return True
    return False


def test_declaration_use_cases_raise_their_own_errors_not_the_bus_type():
    """Declaration's application and domain refuse with ``afas_declaration.application.errors``; the entrypoints
    alone turn them into the bus's RpcFailure and HTTP answers (``gateway/clients/service_calls.py``)."""
    package = ROOT / "services" / "declaration" / "src" / "afas_declaration"
    offenders = [
        str(path.relative_to(ROOT))
        for layer in ("application", "domain")
        for path in sorted((package / layer).rglob("*.py"))
        if _names_rpc_failure(path)
    ]
    assert offenders == []


def test_declaration_core_never_imports_the_gateway():
    """The gateway sits inside the declaration service but apart: domain, application, adapters and the
    service's own entrypoints (bus, internal HTTP) work without it."""
    package = ROOT / "services" / "declaration" / "src" / "afas_declaration"
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for layer in ("domain", "application", "adapters", "entrypoints")
        for path in sorted((package / layer).rglob("*.py"))
        for module in _imported_modules(path)
        if module == "afas_declaration.gateway" or module.startswith("afas_declaration.gateway.")
    ]
    assert offenders == []
