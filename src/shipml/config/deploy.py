"""Where and how ``shipml deploy`` puts a model server (``deploy:`` in shipml.yaml).

One entry per environment under ``deploy.environments`` (``staging``, ``production``):
each call deploys to exactly one, so a workflow chains staging -> approval ->
production with GitHub's environment protection in between.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Section


class SmokeCheck(Section):
    """What proves the new version answers after the rollout: an HTTP GET or a command."""

    path: str | None = Field(
        default=None,
        description="HTTP path fetched on the Service through the API server's service proxy "
        "(e.g. /health); a 2xx answer passes.",
    )
    service: str | None = Field(
        default=None, description="Service to call. Default: the Service of the manifest set."
    )
    port: str | None = Field(
        default=None, description="Service port name or number. Default: the Service's first port."
    )
    command: list[str] | None = Field(
        default=None,
        description="A command run instead (argv, no shell); exit 0 passes. SHIPML_DEPLOY_NAMESPACE "
        "and SHIPML_DEPLOY_SERVICE are set for it.",
    )
    timeout: float = Field(default=30.0, gt=0, le=600, description="Seconds before the check fails.")
    retries: int = Field(
        default=5, ge=0, le=60, description="Further attempts (1 s apart) before the check fails."
    )

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError("must start with '/', e.g. /health")
        return value


class DeployEnvironment(Section):
    """One target: a cluster (kubeconfig context), a namespace and its GitHub environment."""

    context: str | None = Field(
        default=None, description="kubeconfig context. Default: the kubeconfig's current context."
    )
    namespace: str = Field(default="default", description="Namespace the manifests are applied in.")
    create_namespace: bool = Field(
        default=False, description="Create the namespace when it does not exist (otherwise exit 2)."
    )
    replicas: int | None = Field(
        default=None, ge=0, le=1000, description="Replicas of the Deployment. Default: the manifests'."
    )
    github_environment: str | None = Field(
        default=None,
        description="GitHub environment name the Deployment record goes to. Default: the key of this entry.",
    )
    url: str | None = Field(
        default=None, description="Public URL of the environment, shown on GitHub's Environments page."
    )
    smoke: SmokeCheck | None = Field(default=None, description="Post-deploy smoke check.")
    env: dict[str, str] = Field(
        default_factory=dict, description="Environment variables set on the model server's container."
    )


class DeploySection(Section):
    environments: dict[str, DeployEnvironment] = Field(
        default_factory=dict, description="Deploy targets by name (staging, production, ...)."
    )
    manifests: str | None = Field(
        default=None,
        description="Directory of Kubernetes YAML or a kustomization. Default: shipml's default set "
        "(Deployment, Service, optional HPA/PDB/NetworkPolicy) for the model server.",
    )
    name: str = Field(default="model-server", description="Name of the default set's objects.")
    port: int = Field(default=8080, ge=1, le=65535, description="Port the model server listens on.")
    replicas: int = Field(default=2, ge=0, le=1000, description="Replicas of the default Deployment.")
    hpa_max_replicas: int | None = Field(
        default=None, ge=1, le=1000, description="Add a HorizontalPodAutoscaler up to this many replicas."
    )
    pdb: bool = Field(default=False, description="Add a PodDisruptionBudget (minAvailable 1).")
    network_policy: bool = Field(
        default=False, description="Add a NetworkPolicy admitting traffic only on the server's port."
    )
    cpu: str = Field(default="250m", description="CPU request (and limit: twice it) of the server.")
    memory: str = Field(default="512Mi", description="Memory request and limit of the server.")
    progress_deadline_seconds: int = Field(
        default=120, ge=10, le=3600, description="The Deployment's progressDeadlineSeconds."
    )
    timeout: float = Field(
        default=300.0, gt=0, le=7200, description="Seconds to wait for the rollout before rolling back."
    )
    allow_tags: bool = Field(
        default=False, description="Accept image tags instead of digests (a tag can move; not advised)."
    )
    kubernetes_version: str = Field(
        default="1.37.0", description="Kubernetes version whose schemas the manifests are validated against."
    )
    validation: Literal["strict", "off"] = Field(
        default="strict", description="strict: offline schema validation, unknown fields refused; off: none."
    )
    verify_key: str | None = Field(
        default=None,
        description="cosign public key (file relative to shipml.yaml, env://VAR or KMS URI). When set, "
        "a deploy refuses (exit 1) an image this key did not sign, before touching the cluster.",
    )
    require_attestations: list[Literal["sbom", "scan"]] = Field(
        default_factory=list,
        description="Attestations the image must carry, signed by verify_key: sbom (its CycloneDX SBOM), "
        "scan (shipml's scan verdict, which must say passed). Needs verify_key.",
    )

    @model_validator(mode="after")
    def _attestations_need_a_key(self) -> DeploySection:
        if self.require_attestations and not self.verify_key:
            raise ValueError("require_attestations needs verify_key (the public key that signed them)")
        return self
