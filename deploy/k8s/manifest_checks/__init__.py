"""Offline checks of the AFAS Kubernetes manifests; ``deploy/k8s/validate.py`` is the command line.

1. ``kustomize_loader`` renders the kustomize subset the base and the overlays use (``resources:``, ``namespace:``,
   the dashboards' ``configMapGenerator:``, JSON 6902 ``patches:`` in ``json_patches``);
2. ``schemas`` validates built-in kinds with kubernetes_validate in strict mode and custom resources
   against the closed ``openAPIV3Schema`` of their CRD in deploy/k8s/crds;
3. ``policies`` checks what AFAS needs: the images the Dockerfiles build, probes on /healthz and /readyz,
   resources and a restricted security context, AFAS_* names that are real settings
   (``settings_names``) and the ones production requires, references that resolve (``references``), replicas,
   autoscaling bounds and disruption budgets that agree (``scaling``), an Ingress serving public paths only over
   TLS and NetworkPolicies in step with the bus permissions (``exposure``).
"""

from .dockerfiles import dockerfile_image, dockerfile_images, dockerfile_path
from .documents import Doc, KustomizeError, load_yaml_docs
from .kustomize_loader import load_kustomization
from .policies import check_policies
from .project import (
    BASE_DIR,
    CRD_DIR,
    HTTP_PORT,
    INTERNAL_PORT,
    K8S_VERSION,
    K8S_VERSIONS,
    NON_ROOT_UID,
    OVERLAYS_DIR,
    RENDERINGS,
    REPO_ROOT,
    SERVICES,
)
from .runner import Report, validate_all
from .schemas import CrdSchemas, close_schema, load_crds, validate_builtin, validate_custom, validate_doc
from .settings_names import allowed_env_names, required_env_names

__all__ = [
    "BASE_DIR",
    "CRD_DIR",
    "HTTP_PORT",
    "INTERNAL_PORT",
    "K8S_VERSION",
    "K8S_VERSIONS",
    "NON_ROOT_UID",
    "OVERLAYS_DIR",
    "RENDERINGS",
    "REPO_ROOT",
    "SERVICES",
    "CrdSchemas",
    "Doc",
    "KustomizeError",
    "Report",
    "allowed_env_names",
    "check_policies",
    "close_schema",
    "dockerfile_image",
    "dockerfile_images",
    "dockerfile_path",
    "load_crds",
    "load_kustomization",
    "load_yaml_docs",
    "required_env_names",
    "validate_all",
    "validate_builtin",
    "validate_custom",
    "validate_doc",
]
