"""Paths and fixed facts of the AFAS deployment that several checks share."""

from __future__ import annotations

from pathlib import Path

K8S_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = K8S_DIR.parent.parent
BASE_DIR = K8S_DIR / "base"
CRD_DIR = K8S_DIR / "crds"
OVERLAYS_DIR = K8S_DIR / "overlays"
# What `make k8s-validate` renders and validates when given no directory: the base and each overlay.
RENDERINGS = (BASE_DIR, OVERLAYS_DIR / "dev", OVERLAYS_DIR / "prod")

# The oldest Kubernetes the base supports (deploy/k8s/README.md, "Prerequisites").
K8S_VERSION = "1.31"
# Built-in objects are validated against each of these: the oldest supported and the newest kubernetes-validate
# knows, so an API version a later release removed (as 1.32 removed flowcontrol v1beta3) fails here, not at apply.
K8S_VERSIONS = (K8S_VERSION, "1.37")

SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")
HTTP_PORT = 8080
# /internal/* and /metrics (AFAS_<SERVICE>_INTERNAL_PORT): scraped by Prometheus, exposed by no Service
INTERNAL_PORT = 8180
# The user the service Dockerfiles create; pods must run as it so /app/var stays writable.
NON_ROOT_UID = 10001
