"""docs/operations: every guide the index lists exists, every relative link of the guides resolves, every alert's
runbook is linked from the index, and the commands the guides name exist (make targets, scripts)."""

from __future__ import annotations

import re

from tests.deploy.k8s_manifest_checks import REPO_ROOT

DOCS = REPO_ROOT / "docs" / "operations"
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
_MAKE = re.compile(r"`make ([a-z0-9-]+)")


def _guides():
    return sorted(DOCS.glob("*.md"))


def test_every_relative_link_of_the_guides_resolves():
    broken = [
        f"{guide.name}: {target}"
        for guide in _guides()
        for target in _LINK.findall(guide.read_text(encoding="utf-8"))
        if "://" not in target and not (guide.parent / target).exists()
    ]
    assert broken == []


def test_the_index_links_every_guide_and_every_runbook():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = set(_LINK.findall(index))
    assert {g.name for g in _guides() if g.name != "README.md"} <= linked
    assert {f"runbooks/{r.name}" for r in (DOCS / "runbooks").glob("*.md") if r.name != "README.md"} <= linked


def test_the_make_targets_the_guides_name_exist():
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z0-9-]+):", makefile, re.M))
    named = {t for guide in _guides() for t in _MAKE.findall(guide.read_text(encoding="utf-8"))}
    assert named and named <= targets
    assert (REPO_ROOT / "deploy" / "postgres" / "restore_check.py").is_file()
