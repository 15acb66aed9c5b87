"""mypy passes over shared/ and every service's domain, with the repository's config ([tool.mypy], pyproject.toml):
`make lint` runs it, and so does the test suite, so that CI enforces it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_type_checker_covers_shared_and_every_domain() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    domains = {path.relative_to(ROOT).as_posix() for path in ROOT.glob("services/*/src/afas_*/domain")}
    assert domains, "no service domain found"
    assert set(config["files"]) == {"shared/src/afas_shared"} | domains


def test_mypy_passes() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, f"mypy found type errors (run `make lint`):\n{run.stdout}{run.stderr}"
