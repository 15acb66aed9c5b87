"""The Kubernetes manifest checks (deploy/k8s/manifest_checks), loaded by path, for the ``test_k8s_*.py`` files.

Their fixtures (the rendered report and CRD schemas once per session, fresh copies of the objects for each test)
are in this directory's ``conftest.py``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VALIDATOR_PATH = REPO_ROOT / "deploy" / "k8s" / "validate.py"
CHECKS_DIR = REPO_ROOT / "deploy" / "k8s" / "manifest_checks"


def _load_checks():
    """Import deploy/k8s/manifest_checks by path: deploy/ is not a package and not on sys.path."""
    if "manifest_checks" in sys.modules:
        return sys.modules["manifest_checks"]
    spec = importlib.util.spec_from_file_location(
        "manifest_checks", CHECKS_DIR / "__init__.py", submodule_search_locations=[str(CHECKS_DIR)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # relative imports and dataclasses look the package up by name
    spec.loader.exec_module(module)
    return module


validate = _load_checks()
SERVICES = validate.SERVICES


def _app_container(docs, svc):
    deployment = next(doc for doc in docs if (doc.kind, doc.name) == ("Deployment", svc))
    return deployment.data["spec"]["template"]["spec"]["containers"][0]
