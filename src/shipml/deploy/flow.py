"""From a resolved environment to an :class:`~shipml.results.Outcome`: what ``shipml deploy`` runs.

Kept apart from :mod:`.run` (the cluster steps) so the order of the offline checks,
the connection and the choice between deploy, rollback and dry run reads in one place.
"""

from __future__ import annotations

from pathlib import Path

from .. import runner
from ..config.deploy import DeployEnvironment
from ..config.load import ShipmlConfig
from ..contracts.deploy import DeployDetails
from ..errors import InputDataError
from ..kube_api import apply as kapply
from ..kube_api import rollout
from ..kube_api.client import Kube, connect, kubeconfig_file, reachable
from ..results import Outcome
from . import audit, images, run
from .record import GitHubRecord, open_record


def execute(
    cfg: ShipmlConfig,
    environment: str,
    target: DeployEnvironment,
    *,
    image: str | None,
    manifests: Path | None,
    kubeconfig: str | None,
    dry_run: bool,
    rollback: bool,
    scan_result: Path | None,
    model_name: str | None,
    model_version: str | None,
) -> Outcome:
    section = cfg.deploy
    request = run.Request(
        environment=environment,
        target=target,
        section=section,
        image=image,
        manifests_dir=manifests,
        timeout=section.timeout,
        dry_run=dry_run,
        model_name=model_name,
        model_version=model_version,
        scan_result=scan_result,
    )
    # 1. everything that can be refused offline, before any connection
    the_plan = run.plan(request, for_rollback=rollback)
    if scan_result is not None and not rollback:
        if the_plan.image is None:
            raise InputDataError("--scan-result needs --image", hint="pass the digest the scan was about")
        runner.notice(f"scan: {images.check_scanned(the_plan.image, scan_result)}")
    if cfg.deploy.verify_key and not rollback:
        from ..sign.verify import check_signed

        if the_plan.image is None:
            raise InputDataError(
                "deploy.verify_key is set, but no --image names the digest to verify",
                hint="pass --image REPO@sha256:... (the digest that was signed)",
            )

        runner.notice(f"cosign: {check_signed(cfg, the_plan.image)}")
    ns = target.namespace
    details = DeployDetails(
        environment=environment,
        github_environment=target.github_environment or environment,
        namespace=ns,
        action="rollback" if rollback else ("dry-run" if dry_run else "deploy"),
        dry_run=dry_run,
        image=str(the_plan.image) if the_plan.image else None,
        url=target.url,
        model_name=model_name,
        model_version=model_version,
        unvalidated=the_plan.unchecked,
    )
    # 2. the cluster
    with kubeconfig_file(kubeconfig) as path:
        kube = connect(path, target.context)
        version = reachable(kube)
        details.context, details.server = kube.context, kube.server
        print(f"shipml deploy: {kube.server} ({version}), context {kube.context}, namespace {ns}", flush=True)
        missing = not kapply.namespace_exists(kube, ns)
        if missing and not target.create_namespace:
            raise InputDataError(
                f"namespace {ns} does not exist in {kube.server} (context {kube.context})",
                hint=f"create it, or set deploy.environments.{environment}.create_namespace: true "
                "(or --create-namespace)",
            )
        if dry_run:
            if missing:
                kapply.create_namespace(kube, ns, dry_run=True)
            details.objects = run.dry_run(kube, request, the_plan, missing)
            details.status = "passed"
            return _outcome(details)
        if missing:
            kapply.create_namespace(kube, ns)
        undone: set[str] = set()
        for deployment in the_plan.deployments:
            recovered = run.recover(kube, ns, deployment.name, request.timeout)
            if recovered:
                details.recovered = recovered.message
                if recovered.undone:
                    undone.add(deployment.name)
        record = open_record(cfg.comment.api_url, cfg.comment.retries, cfg.comment.backoff)
        if rollback:
            # a Deployment whose interrupted deploy was just undone is already back where the
            # user asked to go; undoing it again would go one revision too far
            return _outcome(_rollback(kube, request, the_plan, record, details, undone))
        return _outcome(run.deploy(kube, request, the_plan, record, details))


def _rollback(
    kube: Kube,
    request: run.Request,
    the_plan: run.Plan,
    record: GitHubRecord,
    details: DeployDetails,
    already_undone: set[str],
) -> DeployDetails:
    ctx = runner.run_context()
    ns = request.target.namespace
    primary = the_plan.deployments[0].name
    live = kapply.get(kube, the_plan.deployments[0].obj, ns)
    if live is None:
        raise InputDataError(
            f"Deployment {ns}/{primary} does not exist: nothing to roll back", hint="deploy first"
        )
    details.previous_image = run._image_of(live)
    details.previous_revision = audit.annotations_of(live).get(rollout.REVISION)
    done = None
    for manifest in the_plan.deployments:
        if manifest.name in already_undone:
            now = rollout.read(kube, ns, manifest.name)
            result = run.Undo(
                run._image_of(now),
                audit.annotations_of(now).get(rollout.REVISION),
                "the interrupted deploy was undone; not rolled back further",
            )
        else:
            result = run.undo(kube, ns, manifest.name, request.timeout)
        details.progress.append(f"{manifest.name}: {result.message}")
        if manifest.name == primary:
            done = result
    assert done is not None
    details.live_image, details.revision = done.restored_image, done.revision
    details.image = done.restored_image
    details.rolled_back, details.status = True, "passed"
    record.start(
        ref=ctx.commit or ctx.ref or "main",
        environment=details.github_environment,
        description=f"rollback to {done.restored_image}",
        payload={"image": done.restored_image, "rollback": True},
        log_url=ctx.run_url,
    )
    record.finish("success", f"rolled back to {done.restored_image}", ctx.run_url, details.url)
    return details


def _outcome(details: DeployDetails) -> Outcome:
    where = f"{details.environment} ({details.namespace})"
    if details.action == "dry-run":
        changed = [o for o in details.objects if o.change != "unchanged"]
        summary = f"dry run for {where}: {len(changed)} of {len(details.objects)} objects would change"
    elif details.action == "rollback":
        summary = f"rolled {where} back to {details.live_image} (revision {details.revision})"
    elif details.status == "passed":
        summary = f"{details.image} is live in {where}, revision {details.revision}"
    else:
        undone = f"; rolled back to {details.live_image}" if details.rolled_back else ""
        summary = f"deploy to {where} failed: {details.reason}{undone}"
    if details.recovered:
        summary += f" (first: {details.recovered})"
    return Outcome(
        "passed" if details.status == "passed" else "failed",
        summary=summary,
        details=details.model_dump(mode="json"),
        outputs={
            "revision": details.revision or "",
            "rolled-back": "true" if details.rolled_back else "false",
            "url": details.url or "",
            "image": details.live_image or "",
        },
        blocking=details.status != "passed",
    )
