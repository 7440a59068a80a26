"""``kubectl rollout status`` and ``kubectl rollout undo`` semantics for Deployments.

Status (as kubectl's ``DeploymentStatusViewer``): nothing is decided until the
controller has observed the latest generation; ``Progressing=False`` with reason
``ProgressDeadlineExceeded`` is a failed rollout; otherwise it is finished when every
replica is updated, no old replica is left and every updated one is available.

Undo restores the pod template of the previous revision, read from the
Deployment's own ReplicaSets (their ``deployment.kubernetes.io/revision``
annotation), which is all ``kubectl rollout undo`` does; the controller then scales
the old ReplicaSet back up.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .client import Kube
from .errors import Call

REVISION = "deployment.kubernetes.io/revision"
HASH_LABEL = "pod-template-hash"
POLL_SECONDS = 0.5


@dataclass(frozen=True)
class RolloutState:
    done: bool
    failed: bool
    message: str
    updated: int = 0
    ready: int = 0
    available: int = 0
    desired: int = 0


def state(deployment: dict[str, Any]) -> RolloutState:
    """Where a Deployment's rollout stands, exactly as ``kubectl rollout status`` words it."""
    meta, spec, status = deployment["metadata"], deployment.get("spec") or {}, deployment.get("status") or {}
    name = meta["name"]
    desired = int(spec.get("replicas", 1))
    updated = int(status.get("updatedReplicas") or 0)
    ready = int(status.get("readyReplicas") or 0)
    available = int(status.get("availableReplicas") or 0)
    total = int(status.get("replicas") or 0)
    counts = {"updated": updated, "ready": ready, "available": available, "desired": desired}
    if int(meta.get("generation") or 0) > int(status.get("observedGeneration") or 0):
        return RolloutState(False, False, "Waiting for deployment spec update to be observed", **counts)
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
            return RolloutState(False, True, f'deployment "{name}" exceeded its progress deadline', **counts)
    if updated < desired:
        return RolloutState(False, False, f"{updated}/{desired} pods updated", **counts)
    if total > updated:
        return RolloutState(False, False, f"{total - updated} old replicas are pending termination", **counts)
    if available < updated:
        return RolloutState(False, False, f"{available}/{updated} updated pods available", **counts)
    return RolloutState(True, False, f'deployment "{name}" successfully rolled out', **counts)


def read(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"
    found: dict[str, Any] = kube.rest(Call("get", "deployments.apps", namespace, name), "GET", path)
    return found


def wait(
    kube: Kube,
    namespace: str,
    name: str,
    timeout: float,
    progress: Callable[[str], None] = lambda _: None,
) -> RolloutState:
    """Poll until finished, failed or ``timeout``; each new status line goes to ``progress``."""
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        current = state(read(kube, namespace, name))
        if current.message != last:
            progress(current.message)
            last = current.message
        if current.done or current.failed:
            return current
        if time.monotonic() >= deadline:
            return RolloutState(
                False,
                True,
                f"timed out after {timeout:g}s waiting for the rollout ({current.message})",
                current.updated,
                current.ready,
                current.available,
                current.desired,
            )
        time.sleep(POLL_SECONDS)


def replica_sets(kube: Kube, namespace: str, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    """The ReplicaSets this Deployment controls, newest revision first."""
    selector = (deployment.get("spec") or {}).get("selector", {}).get("matchLabels") or {}
    labels = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    answer = kube.rest(
        Call("list", "replicasets.apps", namespace),
        "GET",
        f"/apis/apps/v1/namespaces/{namespace}/replicasets",
        query=[("labelSelector", labels)] if labels else [],
    )
    uid = deployment["metadata"]["uid"]
    owned = [
        rs
        for rs in (answer or {}).get("items", [])
        if any(
            ref.get("uid") == uid and ref.get("controller")
            for ref in rs["metadata"].get("ownerReferences") or []
        )
    ]
    return sorted(owned, key=revision_of, reverse=True)


def revision_of(obj: dict[str, Any]) -> int:
    try:
        return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def template_of(replica_set: dict[str, Any]) -> dict[str, Any]:
    """A ReplicaSet's pod template as the Deployment had it (without the controller's hash label)."""
    template = copy.deepcopy(replica_set["spec"]["template"])
    labels = template.get("metadata", {}).get("labels") or {}
    labels.pop(HASH_LABEL, None)
    return dict(template)


def previous(kube: Kube, namespace: str, deployment: dict[str, Any]) -> dict[str, Any] | None:
    """The ReplicaSet of the revision before the current one (None: there is none)."""
    current = revision_of(deployment)
    for replica_set in replica_sets(kube, namespace, deployment):
        rev = revision_of(replica_set)
        if rev and rev < current:
            return replica_set
    return None
