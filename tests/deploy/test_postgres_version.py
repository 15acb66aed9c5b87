"""Production's PostgreSQL is the one the suite and the restore drill run on: the CloudNativePG cluster names its
image with a full version (never the operator's default, which moves with the operator), and its major version is
the one of the client tools the drill dumps and restores with."""

from __future__ import annotations

import re
import shutil
import subprocess

import yaml

from tests.deploy.k8s_manifest_checks import REPO_ROOT

CLUSTER = REPO_ROOT / "deploy" / "k8s" / "base" / "postgres" / "cluster.yaml"
PINNED = re.compile(r"^ghcr\.io/cloudnative-pg/postgresql:(\d+)\.(\d+)$")


def cluster_image() -> str:
    return str(yaml.safe_load(CLUSTER.read_text())["spec"]["imageName"])


def test_the_cluster_names_its_postgresql_image_with_a_full_version():
    assert PINNED.match(cluster_image()), cluster_image()


def test_the_cluster_runs_the_major_version_the_restore_drill_uses():
    major = PINNED.match(cluster_image()).group(1)  # type: ignore[union-attr]
    assert major == "15"  # the version `make run`'s and CI's PostgreSQL and the drill's client are (Debian 12)
    if (pg_dump := shutil.which("pg_dump")) is not None:
        printed = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, check=True).stdout
        assert re.search(r"\) (\d+)\.", printed).group(1) == major, printed  # type: ignore[union-attr]
