"""The canary's cluster side: the canary Deployment, the traffic split, promotion and rollback.

Everything goes through the shared Kubernetes adapter (:mod:`shipml.kube_api`):
its client, its one error translator (unreachable -> 3, RBAC -> 3, missing
object -> 2) and its rollout wait. What this module decides is *what* to write:

* the **canary Deployment** ``<stable>-canary`` is a copy of the stable
  Deployment with the canary's image and ``<track_label>: canary`` added to its
  pod labels and selector (so it never adopts stable's pods, and Prometheus can
  tell the tracks apart); it is created once and changed with merge patches
  under the field manager ``shipml-canary``, never server-side applied, so a
  scale never conflicts with the fields ``shipml deploy`` owns (and the next
  deploy takes back what a promotion wrote: :func:`shipml.kube_api.apply.apply`);
* **replica ratio** (default): both Deployments sit behind one Service that
  selects their shared labels; the canary gets ``round(replicas × weight / 100)``
  replicas (at least 1, at most ``replicas − 1`` while analysed), stable the rest,
  so the weight actually served is a multiple of ``100 / replicas`` and is what
  the decision log records;
* **Gateway API / Istio**: the ``HTTPRoute`` backend weights or the
  ``VirtualService`` route weights of the stable and canary Services, written
  as a whole-object replace guarded by ``resourceVersion`` (a concurrent edit is
  a 409, never silently overwritten); the CRD must be served (exit 2 naming it);
* **rollback**: traffic to stable first (route weight 0 / canary replicas 0),
  then stable back to the replica count it had when the canary began (recorded
  on the canary Deployment, so an ``--abort`` from another run restores it too);
  the canary Deployment stays at zero replicas with its decision log for inspection;
* **promotion**: stable takes the canary's image (a rolling update, waited for
  with :func:`shipml.kube_api.rollout.wait`), traffic back to 100 % stable, the
  canary Deployment deleted and its decision log kept on the stable Deployment.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ..config.canary import CanarySection
from ..errors import ConfigError, ExitCode, InputDataError, ShipmlError
from ..kube_api import rollout
from ..kube_api.apply import CANARY_FIELD_MANAGER
from ..kube_api.client import Kube
from ..kube_api.errors import Call
from .controller import CanaryState

STATE_ANNOTATION = "shipml.dev/canary-state"
LOG_ANNOTATION = "shipml.dev/canary-log"
IMAGE_ANNOTATION = "shipml.dev/canary-image"
#: Stable's replica count when the canary began: what rollback and promotion give it back, since the
#: split itself runs on ``canary.cluster.replicas``.
STABLE_REPLICAS_ANNOTATION = "shipml.dev/stable-replicas"
FIELD_MANAGER = CANARY_FIELD_MANAGER
MERGE_PATCH = "application/merge-patch+json"
MAX_LOG_RECORDS = 50  # an annotation set is limited to 256 KiB; older records stay in the result JSON


class PromotionFailed(ShipmlError):
    """Stable did not finish rolling out the canary's image."""

    exit_code = ExitCode.POLICY_FAILED


def replica_split(weight: int, replicas: int) -> tuple[int, int]:
    """(canary, stable) replicas for ``weight``, rounded as the docs state; stable keeps one below 100."""
    if weight <= 0:
        return 0, replicas
    if weight >= 100:
        return replicas, 0
    canary = min(replicas - 1, max(1, round(replicas * weight / 100)))
    return canary, replicas - canary


class Workloads:
    """The stable and canary Deployments of one app in one namespace."""

    def __init__(self, kube: Kube, cfg: CanarySection) -> None:
        cluster = cfg.cluster
        if not (cluster.deployment or cfg.app):
            raise ConfigError(
                "the canary has no stable Deployment to compare with",
                hint="set canary.app (or canary.cluster.deployment) in shipml.yaml",
            )
        self.kube = kube
        self.cfg = cfg
        self.namespace = cluster.namespace
        self.stable_name = cluster.deployment or cfg.app
        self.canary_name = f"{self.stable_name}-canary"

    def _path(self, name: str) -> str:
        return f"/apis/apps/v1/namespaces/{self.namespace}/deployments/{name}"

    def read(self, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.kube.rest(
                Call("get", "deployments.apps", self.namespace, name), "GET", self._path(name)
            )
        except InputDataError as exc:
            if "not found" in exc.message:
                return None
            raise
        return found

    def stable(self) -> dict[str, Any]:
        found = self.read(self.stable_name)
        if found is None:
            raise InputDataError(
                f"stable Deployment {self.stable_name} not found in namespace {self.namespace}",
                hint="deploy stable first (shipml deploy), or set canary.cluster.deployment / namespace",
            )
        return found

    def patch(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        patched: dict[str, Any] = self.kube.rest(
            Call("patch", "deployments.apps", self.namespace, name),
            "PATCH",
            self._path(name),
            body=body,
            query=[("fieldManager", FIELD_MANAGER)],
            content_type=MERGE_PATCH,
        )
        return patched

    def scale(self, name: str, replicas: int) -> None:
        self.patch(name, {"spec": {"replicas": replicas}})

    def container_index(self, deployment: dict[str, Any]) -> int:
        containers = deployment["spec"]["template"]["spec"]["containers"]
        wanted = self.cfg.cluster.container
        if not wanted:
            return 0
        for i, container in enumerate(containers):
            if container.get("name") == wanted:
                return i
        raise ConfigError(
            f"Deployment {deployment['metadata']['name']} has no container '{wanted}' "
            f"(it has: {', '.join(str(c.get('name')) for c in containers)})",
            hint="fix canary.cluster.container",
        )

    def image_of(self, deployment: dict[str, Any]) -> str:
        containers = deployment["spec"]["template"]["spec"]["containers"]
        return str(containers[self.container_index(deployment)].get("image", ""))

    def _with_image(self, deployment: dict[str, Any], image: str) -> list[dict[str, Any]]:
        containers = copy.deepcopy(deployment["spec"]["template"]["spec"]["containers"])
        containers[self.container_index(deployment)]["image"] = image
        return list(containers)

    def ensure_canary(self, image: str, replicas: int) -> None:
        """Create the canary Deployment (``replicas``) or point an existing one at ``image``."""
        live = self.read(self.canary_name)
        if live is not None:
            if self.image_of(live) != image:
                self.patch(
                    self.canary_name,
                    {
                        "metadata": {"annotations": {IMAGE_ANNOTATION: image}},
                        "spec": {"template": {"spec": {"containers": self._with_image(live, image)}}},
                    },
                )
            return
        stable = self.stable()
        track = {self.cfg.track_label: "canary"}
        spec = copy.deepcopy(stable["spec"])
        spec["replicas"] = replicas
        spec["selector"] = {"matchLabels": {**(spec["selector"].get("matchLabels") or {}), **track}}
        spec["template"].setdefault("metadata", {})
        spec["template"]["metadata"]["labels"] = {
            **(spec["template"]["metadata"].get("labels") or {}),
            **track,
        }
        spec["template"]["spec"]["containers"] = self._with_image(stable, image)
        labels = {**(stable["metadata"].get("labels") or {}), **track}
        before = int(stable["spec"].get("replicas") or 1)
        body = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": self.canary_name,
                "namespace": self.namespace,
                "labels": labels,
                "annotations": {IMAGE_ANNOTATION: image, STABLE_REPLICAS_ANNOTATION: str(before)},
            },
            "spec": spec,
        }
        self.kube.rest(
            Call("create", "deployments.apps", self.namespace, self.canary_name),
            "POST",
            f"/apis/apps/v1/namespaces/{self.namespace}/deployments",
            body=body,
            query=[("fieldManager", FIELD_MANAGER)],
        )

    def stable_replicas_before(self, default: int) -> int:
        """Stable's replica count when the canary began, as recorded on the canary Deployment."""
        live = self.read(self.canary_name)
        recorded = ((live or {}).get("metadata", {}).get("annotations") or {}).get(STABLE_REPLICAS_ANNOTATION)
        try:
            return max(1, int(recorded)) if recorded is not None else default
        except ValueError:
            return default

    def promote_stable(self, image: str, replicas: int | None) -> None:
        """Stable runs ``image`` (rolling update, waited for); fails with stable's rollout message."""
        stable = self.stable()
        body: dict[str, Any] = {
            "spec": {"template": {"spec": {"containers": self._with_image(stable, image)}}}
        }
        if replicas is not None:
            body["spec"]["replicas"] = replicas
        self.patch(self.stable_name, body)
        result = rollout.wait(self.kube, self.namespace, self.stable_name, self.cfg.cluster.rollout_timeout)
        if not result.done:
            raise PromotionFailed(
                f"stable Deployment {self.stable_name} did not roll out the canary's image {image}: "
                f"{result.message}",
                hint=f"inspect `kubectl -n {self.namespace} rollout status deployment/{self.stable_name}`; "
                "the canary keeps its traffic until you resume or abort",
            )

    def finish_canary(self) -> None:
        """Keep the canary's decision log on stable, then delete the canary Deployment."""
        live = self.read(self.canary_name)
        if live is None:
            return
        log = (live["metadata"].get("annotations") or {}).get(LOG_ANNOTATION)
        if log:
            self.patch(self.stable_name, {"metadata": {"annotations": {LOG_ANNOTATION: log}}})
        self.kube.rest(
            Call("delete", "deployments.apps", self.namespace, self.canary_name),
            "DELETE",
            self._path(self.canary_name),
        )


class ReplicaRatioRouter:
    """Weight = the canary's share of the replicas behind one Service."""

    mode = "replica-ratio"

    def __init__(self, workloads: Workloads) -> None:
        self.w = workloads
        self.replicas = workloads.cfg.cluster.replicas
        self.image = ""

    def prepare(self, image: str) -> None:
        self.w.stable()
        self.image = image
        self.w.ensure_canary(image, 0)

    def set_weight(self, weight: int) -> int:
        canary, stable = replica_split(weight, self.replicas)
        self.w.scale(self.w.canary_name, canary)  # up first: capacity never dips below the total
        self.w.scale(self.w.stable_name, stable)
        return round(100 * canary / self.replicas)

    def current_weight(self) -> int:
        canary = self.w.read(self.w.canary_name)
        stable = self.w.read(self.w.stable_name)
        c = int((canary or {}).get("spec", {}).get("replicas") or 0)
        s = int((stable or {}).get("spec", {}).get("replicas") or 0)
        return round(100 * c / (c + s)) if c + s else 0

    def promote(self) -> None:
        self.w.promote_stable(self.image, self.w.stable_replicas_before(self.replicas))
        self.w.finish_canary()

    def rollback(self) -> None:
        before = self.w.stable_replicas_before(self.replicas)
        if self.w.read(self.w.canary_name) is not None:
            self.w.scale(self.w.canary_name, 0)  # out of the Service's endpoints at once
        self.w.scale(self.w.stable_name, before)


class _RouteRouter:
    """Weights on a route object of a mesh or gateway; the canary runs at stable's size meanwhile."""

    mode = ""
    api_version = ""
    kind = ""
    crd = ""

    def __init__(self, workloads: Workloads) -> None:
        cfg = workloads.cfg
        self.w = workloads
        self.route = cfg.cluster.route or cfg.app or workloads.stable_name
        base = cfg.app or workloads.stable_name
        self.stable_service = cfg.cluster.stable_service or f"{base}-stable"
        self.canary_service = cfg.cluster.canary_service or f"{base}-canary"
        self.image = ""
        self.replicas = 1

    def _path(self) -> str:
        try:
            return self.w.kube.path(self.api_version, self.kind, self.w.namespace, self.route)
        except InputDataError:
            raise ConfigError(
                f"canary.cluster.mode {self.mode} needs the {self.kind} CRD ({self.crd}, "
                f"{self.api_version}), which this cluster does not serve",
                hint=f"install the {self.crd} CRD, or use canary.cluster.mode replica-ratio",
            ) from None

    def _call(self, verb: str) -> Call:
        return Call(verb, self.crd, self.w.namespace, self.route)

    def _read(self) -> dict[str, Any]:
        path = self._path()
        try:
            found: dict[str, Any] = self.w.kube.rest(self._call("get"), "GET", path)
        except InputDataError as exc:
            if "not found" in exc.message:
                raise InputDataError(
                    f"{self.kind} {self.route} not found in namespace {self.w.namespace}",
                    hint="create it with backends for the stable and canary Services, or set "
                    "canary.cluster.route",
                ) from None
            raise
        return found

    def _backends(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _host(self, backend: dict[str, Any]) -> str:
        raise NotImplementedError

    def _split(self, obj: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        backends = self._backends(obj)
        stable = [b for b in backends if self._host(b) == self.stable_service]
        canary = [b for b in backends if self._host(b) == self.canary_service]
        if not stable or not canary:
            raise InputDataError(
                f"{self.kind} {self.route} has no backend for both Services {self.stable_service} "
                f"and {self.canary_service}",
                hint="list both Services in the route (weights are set by shipml), or set "
                "canary.cluster.stable_service / canary_service",
            )
        return stable, canary

    def prepare(self, image: str) -> None:
        self._split(self._read())
        stable = self.w.stable()
        self.replicas = int(stable.get("spec", {}).get("replicas") or 1)
        self.image = image
        self.w.ensure_canary(image, self.replicas)
        self.w.scale(self.w.canary_name, self.replicas)

    def set_weight(self, weight: int) -> int:
        obj = self._read()
        stable, canary = self._split(obj)
        for backend in stable:
            backend["weight"] = 100 - weight
        for backend in canary:
            backend["weight"] = weight
        # a replace carrying resourceVersion: a concurrent edit is a 409, never overwritten silently
        self.w.kube.rest(
            self._call("update"), "PUT", self._path(), body=obj, query=[("fieldManager", FIELD_MANAGER)]
        )
        return weight

    def current_weight(self) -> int:
        _, canary = self._split(self._read())
        return int(canary[0].get("weight") or 0)

    def promote(self) -> None:
        self.w.promote_stable(self.image, None)
        self.set_weight(0)
        self.w.finish_canary()

    def rollback(self) -> None:
        self.set_weight(0)
        if self.w.read(self.w.canary_name) is not None:
            self.w.scale(self.w.canary_name, 0)


class GatewayRouter(_RouteRouter):
    """Gateway API: ``HTTPRoute.spec.rules[].backendRefs[].weight``."""

    mode = "gateway-api"
    api_version = "gateway.networking.k8s.io/v1"
    kind = "HTTPRoute"
    crd = "httproutes.gateway.networking.k8s.io"

    def _backends(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        rules = (obj.get("spec") or {}).get("rules") or []
        return [b for rule in rules for b in rule.get("backendRefs") or []]

    def _host(self, backend: dict[str, Any]) -> str:
        return str(backend.get("name", ""))


class IstioRouter(_RouteRouter):
    """Istio: ``VirtualService.spec.http[].route[].weight`` by ``destination.host``."""

    mode = "istio"
    api_version = "networking.istio.io/v1"
    kind = "VirtualService"
    crd = "virtualservices.networking.istio.io"

    def _backends(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        http = (obj.get("spec") or {}).get("http") or []
        return [r for entry in http for r in entry.get("route") or []]

    def _host(self, backend: dict[str, Any]) -> str:
        host = str((backend.get("destination") or {}).get("host", ""))
        return host.split(".")[0]  # reviews, reviews.ns, reviews.ns.svc.cluster.local


Router = ReplicaRatioRouter | GatewayRouter | IstioRouter


def router_for(workloads: Workloads) -> Router:
    mode = workloads.cfg.cluster.mode
    if mode == "gateway-api":
        return GatewayRouter(workloads)
    if mode == "istio":
        return IstioRouter(workloads)
    return ReplicaRatioRouter(workloads)


class AnnotationStore:
    """The canary's state and decision log as annotations on the canary Deployment.

    A re-run reads them back (resume at the recorded step; a different canary of
    the same app is refused by the controller). ``clear`` drops the state but keeps
    the decision log, so a rolled-back canary still shows why.
    """

    def __init__(self, workloads: Workloads) -> None:
        self.w = workloads

    def load(self) -> CanaryState | None:
        live = self.w.read(self.w.canary_name)
        annotations = ((live or {}).get("metadata") or {}).get("annotations") or {}
        raw = annotations.get(STATE_ANNOTATION)
        if not raw:
            return None
        try:
            state = CanaryState.model_validate_json(raw)
            log = json.loads(annotations.get(LOG_ANNOTATION) or "[]")
            return state.model_copy(
                update={"log": CanaryState.model_validate({"canary": "", "log": log}).log}
            )
        except ValueError:
            raise InputDataError(
                f"the canary state annotation {STATE_ANNOTATION} of Deployment {self.w.canary_name} "
                "cannot be read",
                hint="roll the canary back with `shipml canary --abort`",
            ) from None

    def save(self, state: CanaryState) -> None:
        log = [r.model_dump(mode="json") for r in state.log[-MAX_LOG_RECORDS:]]
        annotations = {
            STATE_ANNOTATION: state.model_dump_json(exclude={"log"}),
            LOG_ANNOTATION: json.dumps(log, separators=(",", ":")),
        }
        self.w.patch(self.w.canary_name, {"metadata": {"annotations": annotations}})

    def clear(self) -> None:
        if self.w.read(self.w.canary_name) is not None:
            self.w.patch(self.w.canary_name, {"metadata": {"annotations": {STATE_ANNOTATION: None}}})
