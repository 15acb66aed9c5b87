"""Fixtures of the Kubernetes manifest tests: the rendered report and CRD schemas, fresh copies of the objects."""

from __future__ import annotations

import copy

import pytest

from tests.deploy.k8s_manifest_checks import validate


# Once per session: rendering and validating the base takes seconds, and the tests read it only through the copies
# below (``objects``, ``docs``) or its problem list.
@pytest.fixture(scope="session")
def report():
    return validate.validate_all()


@pytest.fixture(scope="session")
def overlay_reports():
    """The dev and prod overlays rendered and validated, once per session (by overlay name)."""
    return {name: validate.validate_all(validate.OVERLAYS_DIR / name) for name in ("dev", "prod")}


@pytest.fixture(scope="session")
def crds():
    return validate.load_crds()


@pytest.fixture()
def objects(report):
    """Fresh copies of the rendered objects, by (kind, name)."""
    return {(doc.kind, doc.name): copy.deepcopy(doc.data) for doc in report.docs}


@pytest.fixture()
def docs(report):
    """Fresh copies of the rendered objects, as the policy checks take them."""
    return [validate.Doc(copy.deepcopy(doc.data), doc.source) for doc in report.docs]
