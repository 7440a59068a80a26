"""The objects a deploy applies: the user's YAML, a kustomization, or shipml's default set.

Every object remembers its file and document index, so a schema error names
*file, object and field* (``k8s/deploy.yaml#1 Deployment/api: spec.replicas``).
The kustomization support is deliberately the common subset (``resources``,
``namespace``, ``commonLabels``/``labels``, ``commonAnnotations``, ``images``);
anything else is refused by name rather than silently ignored: render it with
``kubectl kustomize`` and deploy the output directory.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputDataError, UsageError
from .images import ImageRef

KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZE_FIELDS = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "images",
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
}
LABEL_NAME, LABEL_VERSION = "shipml.dev/model-name", "shipml.dev/model-version"


@dataclass
class Manifest:
    obj: dict[str, Any]
    source: str  # "k8s/app.yaml#0" or "default set"

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind"))

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name"))

    def label(self) -> str:
        return f"{self.source} {self.kind}/{self.name}"


def _documents(path: Path) -> list[Manifest]:
    try:
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputDataError(f"cannot read manifest {path}: {exc}", hint="check the path") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InputDataError(
            f"{path}{line}: invalid YAML: {getattr(exc, 'problem', None) or exc}", hint="fix the syntax"
        ) from None
    out: list[Manifest] = []
    for index, doc in enumerate(docs):
        if doc is None:
            continue
        where = f"{path}#{index}"
        if not isinstance(doc, dict) or not doc.get("kind") or not doc.get("apiVersion"):
            raise InputDataError(
                f"{where}: not a Kubernetes object (needs apiVersion, kind, metadata.name)",
                hint="remove it from the manifests directory or complete it",
            )
        if doc["kind"] == "List":
            out += [Manifest(item, f"{where}.items[{i}]") for i, item in enumerate(doc.get("items") or [])]
        else:
            out.append(Manifest(doc, where))
    for manifest in out:
        if not (manifest.obj.get("metadata") or {}).get("name"):
            raise InputDataError(
                f"{manifest.source} {manifest.kind}: metadata.name is missing", hint="add it"
            )
    return out


def load(directory: Path) -> list[Manifest]:
    """All objects of a directory (its kustomization when it has one, else every *.yaml/*.yml)."""
    if not directory.exists():
        raise InputDataError(
            f"manifests {directory} not found", hint="pass --manifests DIR (or deploy.manifests)"
        )
    if directory.is_file():
        return _documents(directory)
    for name in KUSTOMIZATIONS:
        if (directory / name).is_file():
            return kustomize(directory / name)
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    found = [m for f in files for m in _documents(f)]
    if not found:
        raise InputDataError(
            f"no Kubernetes objects in {directory}", hint="put *.yaml files or a kustomization there"
        )
    return found


def kustomize(path: Path) -> list[Manifest]:
    """The common subset of kustomize, applied in kustomize's order (resources, then transformers)."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = sorted(set(spec) - KUSTOMIZE_FIELDS)
    if unknown:
        raise InputDataError(
            f"{path}: kustomization field {unknown[0]!r} is not supported by shipml's renderer",
            hint=f"render it first (kubectl kustomize {path.parent} > OUT/all.yaml) and deploy OUT",
        )
    out: list[Manifest] = []
    for resource in spec.get("resources") or []:
        target = path.parent / str(resource)
        if not target.exists():
            raise InputDataError(f"{path}: resource {resource!r} not found", hint="fix the resources list")
        out += load(target)
    labels = dict(spec.get("commonLabels") or {})
    for entry in spec.get("labels") or []:
        labels.update(entry.get("pairs") or {})
    annotations = dict(spec.get("commonAnnotations") or {})
    for manifest in out:
        meta = manifest.obj.setdefault("metadata", {})
        meta.setdefault("labels", {}).update(labels)
        meta.setdefault("annotations", {}).update(annotations) if annotations else None
        if spec.get("namespace") and manifest.kind not in CLUSTER_SCOPED:
            meta["namespace"] = spec["namespace"]
        if labels and manifest.kind in WORKLOADS:
            template = manifest.obj.setdefault("spec", {}).setdefault("template", {})
            template.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
        for image in spec.get("images") or []:
            for container in containers(manifest.obj):
                repo = str(container.get("image", "")).split("@")[0].rsplit(":", 1)[0]
                if repo == image.get("name"):
                    new = image.get("newName") or repo
                    suffix = (
                        f"@{image['digest']}" if image.get("digest") else f":{image.get('newTag', 'latest')}"
                    )
                    container["image"] = f"{new}{suffix}"
    return out


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The containers (and init containers) of a workload's pod template."""
    if obj.get("kind") not in WORKLOADS:
        return []
    pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]


def label_value(text: str) -> str:
    """A valid label value (63 chars, alphanumerics at both ends)."""
    clean = re.sub(r"[^A-Za-z0-9_.-]", "-", text)[:63]
    return clean.strip("-_.")


def default_set(
    name: str,
    image: str,
    *,
    port: int,
    replicas: int,
    cpu: str,
    memory: str,
    progress_deadline: int,
    hpa_max: int | None,
    pdb: bool,
    network_policy: bool,
) -> list[Manifest]:
    """shipml's set for ``python -m shipml.serve``: probes on /health, non-root, read-only root."""
    selector = {"app.kubernetes.io/name": name}
    labels = {**selector, "app.kubernetes.io/managed-by": "shipml"}
    cpu_limit = _double_cpu(cpu)
    deployment: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": progress_deadline,
            "selector": {"matchLabels": dict(selector)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "fsGroup": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        {
                            "name": "server",
                            "image": image,
                            "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
                            "env": [{"name": "SHIPML_SERVE_PORT", "value": str(port)}],
                            "readinessProbe": {
                                "httpGet": {"path": "/health", "port": "http"},
                                "periodSeconds": 5,
                                "failureThreshold": 3,
                            },
                            "livenessProbe": {
                                "httpGet": {"path": "/health", "port": "http"},
                                "initialDelaySeconds": 20,
                                "periodSeconds": 10,
                                "failureThreshold": 6,
                            },
                            "resources": {
                                "requests": {"cpu": cpu, "memory": memory},
                                "limits": {"cpu": cpu_limit, "memory": memory},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                        }
                    ],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {
            "type": "ClusterIP",
            "selector": dict(selector),
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }
    out = [Manifest(deployment, "default set"), Manifest(service, "default set")]
    if hpa_max:
        out.append(
            Manifest(
                {
                    "apiVersion": "autoscaling/v2",
                    "kind": "HorizontalPodAutoscaler",
                    "metadata": {"name": name, "labels": dict(labels)},
                    "spec": {
                        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                        "minReplicas": max(1, replicas),
                        "maxReplicas": max(hpa_max, replicas, 1),
                        "metrics": [
                            {
                                "type": "Resource",
                                "resource": {
                                    "name": "cpu",
                                    "target": {"type": "Utilization", "averageUtilization": 70},
                                },
                            }
                        ],
                    },
                },
                "default set",
            )
        )
    if pdb:
        out.append(
            Manifest(
                {
                    "apiVersion": "policy/v1",
                    "kind": "PodDisruptionBudget",
                    "metadata": {"name": name, "labels": dict(labels)},
                    "spec": {"minAvailable": 1, "selector": {"matchLabels": dict(selector)}},
                },
                "default set",
            )
        )
    if network_policy:
        out.append(
            Manifest(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "NetworkPolicy",
                    "metadata": {"name": name, "labels": dict(labels)},
                    "spec": {
                        "podSelector": {"matchLabels": dict(selector)},
                        "policyTypes": ["Ingress"],
                        "ingress": [{"ports": [{"protocol": "TCP", "port": port}]}],
                    },
                },
                "default set",
            )
        )
    return out


def _double_cpu(cpu: str) -> str:
    if cpu.endswith("m") and cpu[:-1].isdigit():
        return f"{int(cpu[:-1]) * 2}m"
    try:
        return f"{float(cpu) * 2:g}"
    except ValueError:
        return cpu


def set_image(manifests: list[Manifest], image: ImageRef) -> list[str]:
    """Put ``image`` into the containers of the same repository (or the only container); where it went."""
    placed: list[str] = []
    all_containers = [(m, c) for m in manifests for c in containers(m.obj) if c.get("name")]
    for manifest, container in all_containers:
        current = str(container.get("image", ""))
        repo = current.split("@")[0]
        if ":" in repo.rsplit("/", 1)[-1]:
            repo = repo.rsplit(":", 1)[0]
        if repo == image.repository:
            container["image"] = str(image)
            placed.append(f"{manifest.kind}/{manifest.name}:{container['name']}")
    if not placed and len(all_containers) == 1:
        manifest, container = all_containers[0]
        container["image"] = str(image)
        placed.append(f"{manifest.kind}/{manifest.name}:{container['name']}")
    if not placed:
        raise UsageError(
            f"image {image} matches no container of the manifests (repository {image.repository})",
            hint="name the same repository in the manifests' image, or deploy a set with one container",
        )
    return placed


def prepare(
    manifests: list[Manifest],
    namespace: str,
    *,
    replicas: int | None,
    env: dict[str, str],
    labels: dict[str, str],
) -> list[Manifest]:
    """Namespace checked, replicas/env/model labels set on the workloads; copies, never in place."""
    out: list[Manifest] = []
    for manifest in manifests:
        obj = copy.deepcopy(manifest.obj)
        meta = obj.setdefault("metadata", {})
        declared = meta.pop("namespace", None)
        if declared and declared != namespace and obj.get("kind") not in CLUSTER_SCOPED:
            raise UsageError(
                f"{manifest.label()}: metadata.namespace is {declared!r} but the environment deploys "
                f"to {namespace!r}",
                hint="drop metadata.namespace from the manifest or set the environment's namespace to match",
            )
        if obj.get("kind") in WORKLOADS:
            meta.setdefault("labels", {}).update(labels)
            template = obj.setdefault("spec", {}).setdefault("template", {})
            template.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
            if replicas is not None and obj["kind"] != "DaemonSet":
                obj["spec"]["replicas"] = replicas
            for container in (template.get("spec") or {}).get("containers") or []:
                current = {e.get("name"): e for e in container.get("env") or []}
                for key, value in env.items():
                    current[key] = {"name": key, "value": value}
                if current:
                    container["env"] = list(current.values())
        out.append(Manifest(obj, manifest.source))
    return out
