"""The deploy sequence: check everything offline, apply, prove the rollout, or put the old one back.

Order matters for "never leave a Deployment between versions":

1. everything that can be refused offline is refused before the cluster is touched
   (manifests, schema, digests, the scan result), then the cluster is probed;
2. a Deployment still marked ``in-progress`` by a run that died is resolved first:
   finished if its rollout completes, else undone to the revision it replaced;
3. the apply carries the marker itself, the rollout is waited for with ``kubectl
   rollout status`` semantics, the smoke check runs, and only then the marker is
   cleared; a failure at any point restores the replaced revision, waits for it,
   and reports exit 1 with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import runner
from ..config.deploy import DeployEnvironment, DeploySection
from ..contracts.deploy import DeployDetails, ObjectChange
from ..errors import InputDataError, PolicyFailed, UsageError
from ..kube_api import apply as kapply
from ..kube_api import rollout
from ..kube_api.client import Kube
from . import audit, images, manifests, smoke, validation
from .record import GitHubRecord

NOISY_ANNOTATIONS = (audit.DEPLOYED_AT, audit.LAST_APPLIED, audit.STATE, audit.RUN_URL)


@dataclass
class Request:
    environment: str
    target: DeployEnvironment
    section: DeploySection
    image: str | None
    manifests_dir: Path | None
    timeout: float
    dry_run: bool
    model_name: str | None = None
    model_version: str | None = None
    scan_result: Path | None = None


@dataclass
class Plan:
    """The objects to apply, checked offline."""

    objects: list[manifests.Manifest]
    image: images.ImageRef | None
    unchecked: list[str] = field(default_factory=list)

    @property
    def deployments(self) -> list[manifests.Manifest]:
        return [m for m in self.objects if m.kind == "Deployment"]


def plan(request: Request, *, for_rollback: bool = False) -> Plan:
    """Load, fill in and validate the manifests; nothing here talks to a cluster."""
    section, target = request.section, request.target
    ref = None
    if request.image:
        ref = images.require_digest(request.image, "--image", allow_tags=section.allow_tags)
    elif not for_rollback and request.manifests_dir is None:
        raise UsageError(
            "no image to deploy", hint="pass --image REPO@sha256:DIGEST (the digest `shipml build` printed)"
        )
    if request.manifests_dir is not None:
        loaded = manifests.load(request.manifests_dir)
        if ref is not None:
            manifests.set_image(loaded, ref)
    else:
        loaded = manifests.default_set(
            section.name,
            str(ref) if ref else f"placeholder@sha256:{'0' * 64}",
            port=section.port,
            replicas=section.replicas,
            cpu=section.cpu,
            memory=section.memory,
            progress_deadline=section.progress_deadline_seconds,
            hpa_max=section.hpa_max_replicas,
            pdb=section.pdb,
            network_policy=section.network_policy,
        )
    labels = {}
    if request.model_name:
        labels[manifests.LABEL_NAME] = manifests.label_value(request.model_name)
    if request.model_version:
        labels[manifests.LABEL_VERSION] = manifests.label_value(request.model_version)
    env = dict(target.env)
    if request.manifests_dir is None:
        env.update(
            {
                k: v
                for k, v in (
                    ("SHIPML_MODEL_NAME", request.model_name),
                    ("SHIPML_MODEL_VERSION", request.model_version),
                )
                if v
            }
        )
    objects = manifests.prepare(loaded, target.namespace, replicas=target.replicas, env=env, labels=labels)
    if not for_rollback:
        for manifest in objects:
            for container in manifests.containers(manifest.obj):
                images.require_digest(
                    str(container.get("image", "")),
                    f"{manifest.label()} container {container.get('name')}",
                    allow_tags=section.allow_tags,
                )
    unchecked = (
        [] if section.validation == "off" else validation.validate(objects, section.kubernetes_version)
    )
    result = Plan(objects, ref, unchecked)
    if not result.deployments:
        raise InputDataError(
            "the manifests hold no Deployment to roll out", hint="add one (or use the default set)"
        )
    return result


def _image_of(obj: dict[str, Any] | None) -> str | None:
    found = manifests.containers(obj or {})
    return str(found[-1].get("image")) if found else None


def _hash_of(replica_set: dict[str, Any] | None) -> str | None:
    if not replica_set:
        return None
    labels = replica_set["metadata"].get("labels") or {}
    return str(labels.get(rollout.HASH_LABEL)) if labels.get(rollout.HASH_LABEL) else None


def current_replica_set(kube: Kube, namespace: str, live: dict[str, Any]) -> dict[str, Any] | None:
    revision = rollout.revision_of(live)
    return next(
        (rs for rs in rollout.replica_sets(kube, namespace, live) if rollout.revision_of(rs) == revision),
        None,
    )


def _progress(prefix: str) -> Any:
    def emit(line: str) -> None:
        print(f"{prefix}: {line}", flush=True)

    return emit


@dataclass
class Undo:
    restored_image: str | None
    revision: str | None
    message: str


def undo(kube: Kube, namespace: str, name: str, timeout: float, *, to_hash: str | None = None) -> Undo:
    """Restore the replaced revision's pod template (``rollout undo``) with shipml's whole intent; wait."""
    live = rollout.read(kube, namespace, name)
    body = audit.last_applied(live)
    if body is None:
        raise InputDataError(
            f"Deployment {namespace}/{name} was not deployed by shipml (no {audit.LAST_APPLIED} annotation)",
            hint=f"roll it back with kubectl rollout undo deployment/{name} -n {namespace}",
        )
    sets = rollout.replica_sets(kube, namespace, live)
    target = next((rs for rs in sets if to_hash and _hash_of(rs) == to_hash), None) if to_hash else None
    if target is None:
        target = rollout.previous(kube, namespace, live)
    if target is None:
        raise PolicyFailed(
            f"Deployment {namespace}/{name} has no previous revision to roll back to",
            hint="deploy a working digest instead",
        )
    body = json.loads(json.dumps(body))
    body["spec"]["template"] = rollout.template_of(target)
    notes = body.setdefault("metadata", {}).setdefault("annotations", {})
    recorded = audit.annotations_of(target)
    for key in audit.RECORD_KEYS:
        notes.pop(key, None)
        if recorded.get(key):
            notes[key] = recorded[key]
    current = current_replica_set(kube, namespace, live)
    kapply.apply(kube, audit.with_state(body, audit.IN_PROGRESS, _hash_of(current)), namespace)
    with runner.group(f"rollback of deployment/{name}"):
        state = rollout.wait(kube, namespace, name, timeout, _progress(f"rollback {name}"))
    if not state.done:
        raise PolicyFailed(
            f"the rollback of Deployment {namespace}/{name} did not finish: {state.message}",
            hint="inspect the cluster (kubectl rollout status); the Deployment is marked in-progress and the "
            "next shipml deploy resolves it",
        )
    final = kapply.apply(kube, audit.with_state(body, audit.ROLLED_BACK), namespace)
    return Undo(_image_of(final), audit.annotations_of(final).get(rollout.REVISION), state.message)


def recover(kube: Kube, namespace: str, name: str, timeout: float) -> str | None:
    """Finish or undo a deploy a previous run left ``in-progress``; what was done (None: nothing to do)."""
    live = kapply.get(
        kube, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}}, namespace
    )
    if live is None or audit.annotations_of(live).get(audit.STATE) != audit.IN_PROGRESS:
        return None
    notes = audit.annotations_of(live)
    who = notes.get(audit.RUN_URL) or "an earlier run"
    runner.warning(f"deployment/{name} in {namespace} was left mid-deploy by {who}; resolving it first")
    with runner.group(f"resolving the interrupted deploy of deployment/{name}"):
        state = rollout.wait(kube, namespace, name, timeout, _progress(f"interrupted {name}"))
    body = audit.last_applied(live)
    if state.done and body is not None:
        kapply.apply(kube, audit.with_state(body, audit.DONE), namespace)
        what = notes.get(audit.DIGEST, "deployment/" + name)
        return f"an interrupted deploy of {what} had finished; marked done"
    done = undo(kube, namespace, name, timeout, to_hash=notes.get(audit.PREVIOUS_HASH))
    return f"an interrupted deploy ({state.message}) was rolled back to {done.restored_image}"


def dry_run(kube: Kube, request: Request, the_plan: Plan, namespace_missing: bool) -> list[ObjectChange]:
    """What a real apply would change, object by object, from ``dryRun=All`` against the live objects."""
    changes: list[ObjectChange] = []
    for manifest in the_plan.objects:
        if namespace_missing:
            changes.append(ObjectChange(kind=manifest.kind, name=manifest.name, change="created"))
            continue
        live = kapply.get(kube, manifest.obj, request.target.namespace)
        body = manifest.obj
        if manifest.kind == "Deployment":
            body = audit.with_state(body, audit.DONE)
        after = kapply.apply(kube, body, request.target.namespace, dry_run=True)
        if live is None:
            changes.append(ObjectChange(kind=manifest.kind, name=manifest.name, change="created"))
            continue
        fields = [
            path
            for path, _, _ in kapply.diff(kapply.comparable(live), kapply.comparable(after))
            if not any(path.startswith(f".metadata.annotations.{key}") for key in NOISY_ANNOTATIONS)
        ]
        changes.append(
            ObjectChange(
                kind=manifest.kind,
                name=manifest.name,
                change="configured" if fields else "unchanged",
                fields=fields[:50],
            )
        )
    return changes


def deploy(
    kube: Kube, request: Request, the_plan: Plan, record: GitHubRecord, details: DeployDetails
) -> DeployDetails:
    """Apply, wait, smoke-check; roll back on failure. ``details`` is filled in as it goes."""
    ctx = runner.run_context()
    ns = request.target.namespace
    primary = the_plan.deployments[0].name
    before = {m.name: kapply.get(kube, m.obj, ns) for m in the_plan.deployments}
    details.previous_image = _image_of(before[primary])
    details.previous_revision = audit.annotations_of(before[primary]).get(rollout.REVISION)
    approvers = record.approvers(
        ctx.run_url.rsplit("/", 1)[-1] if ctx.run_url else None, details.github_environment
    )
    details.approved_by = ", ".join(approvers) or None
    stamp = audit.record(
        digest=str(the_plan.image) if the_plan.image else (_image_of(the_plan.deployments[0].obj) or ""),
        model_name=request.model_name,
        model_version=request.model_version,
        commit=ctx.commit,
        run_url=ctx.run_url,
        approved_by=details.approved_by,
        environment=request.environment,
    )
    details.github_deployment_id = record.start(
        ref=ctx.commit or ctx.ref or "main",
        environment=details.github_environment,
        description=f"{details.image} to {ns}",
        payload={
            "image": details.image,
            "model": request.model_name,
            "model_version": request.model_version,
            "approved_by": details.approved_by,
        },
        log_url=ctx.run_url,
    )
    previous_hash = {
        name: _hash_of(current_replica_set(kube, ns, live)) if live else None for name, live in before.items()
    }
    for manifest in the_plan.objects:
        body = manifest.obj
        if manifest.kind == "Deployment":
            body = json.loads(json.dumps(body))
            body["metadata"].setdefault("annotations", {}).update(stamp)
            body = audit.with_state(body, audit.IN_PROGRESS, previous_hash.get(manifest.name))
            manifest.obj = body
        live = (
            before.get(manifest.name) if manifest.kind == "Deployment" else kapply.get(kube, manifest.obj, ns)
        )
        kapply.apply(kube, body, ns)
        details.objects.append(
            ObjectChange(kind=manifest.kind, name=manifest.name, change="configured" if live else "created")
        )
    failure = None
    for manifest in the_plan.deployments:
        with runner.group(f"rollout of deployment/{manifest.name} in {ns}"):
            state = rollout.wait(kube, ns, manifest.name, request.timeout, _progress(manifest.name))
        details.progress.append(f"{manifest.name}: {state.message}")
        if not state.done:
            failure = f"the rollout of deployment/{manifest.name} failed: {state.message}"
            break
    if failure is None and request.target.smoke is not None:
        service = request.target.smoke.service or next(
            (m.name for m in the_plan.objects if m.kind == "Service"), primary
        )
        port = request.target.smoke.port or _service_port(the_plan, service)
        checked = smoke.run(kube, request.target.smoke, ns, service, port)
        details.smoke = checked.detail
        if not checked.ok:
            failure = f"the smoke check failed: {checked.detail}"
    if failure is not None:
        details.reason = failure
        details.status = "failed"
        for manifest in the_plan.deployments:
            if before.get(manifest.name) is None:
                details.progress.append(f"{manifest.name}: first deploy, no previous revision to restore")
                continue
            done = undo(kube, ns, manifest.name, request.timeout, to_hash=previous_hash.get(manifest.name))
            details.rolled_back = True
            details.progress.append(f"{manifest.name}: rolled back to {done.restored_image} ({done.message})")
            if manifest.name == primary:
                details.revision = done.revision
                details.live_image = done.restored_image
        record.finish("failure", failure[:140], ctx.run_url, None)
        return details
    final = None
    for manifest in the_plan.deployments:
        final_obj = kapply.apply(kube, audit.with_state(manifest.obj, audit.DONE), ns)
        if manifest.name == primary:
            final = final_obj
    details.status = "passed"
    details.revision = audit.annotations_of(final).get(rollout.REVISION)
    details.live_image = _image_of(final)
    record.finish("success", f"{details.image} is live", ctx.run_url, details.url)
    return details


def _service_port(the_plan: Plan, service: str) -> str:
    for manifest in the_plan.objects:
        if manifest.kind == "Service" and manifest.name == service:
            ports = (manifest.obj.get("spec") or {}).get("ports") or []
            if ports:
                return str(ports[0].get("name") or ports[0].get("port"))
    return "80"
