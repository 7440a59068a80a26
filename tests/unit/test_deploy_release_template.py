"""The release pipeline's promises: order, approvals, one deploy per environment at a time,
least privilege per job, only a scanned digest deployed, and a rollback of cluster and alias
when a deploy fails. The jobs live in the reusable workflow the starter template calls."""

from __future__ import annotations

from typing import Any

import yaml

from tests.conftest import REPO

STARTER = REPO / "workflows-templates" / "shipml-release.yml"
TEMPLATE = REPO / ".github" / "workflows" / "shipml-release-reusable.yml"


def _workflow() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text())
    return doc


def _starter() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(STARTER.read_text())
    return doc


def _uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")) == f"shipml/shipml/actions/{action}@v1"]


def test_runs_on_push_to_main_and_chains_model_staging_production() -> None:
    starter = _starter()
    triggers = starter.get("on", starter.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"] == {"branches": ["main"]}
    assert "workflow_dispatch" in triggers  # the drift check's retraining dispatch lands here
    (call,) = starter["jobs"].values()
    assert call["uses"] == "shipml/shipml/.github/workflows/shipml-release-reusable.yml@v1"
    jobs = _workflow()["jobs"]
    model = [str(s.get("uses", "")).split("@")[0].rsplit("/", 1)[-1] for s in jobs["model"]["steps"]]
    order = ["train", "gate", "build-image", "scan-image", "promote"]
    assert [a for a in model if a in order] == order  # the alias moves only after the scan passed
    assert jobs["staging"]["needs"] == "model"
    assert jobs["production"]["needs"] == ["model", "staging"]


def test_each_deploy_job_has_its_environment_url_concurrency_and_timeout() -> None:
    jobs = _workflow()["jobs"]
    for name in ("staging", "production"):
        job = jobs[name]
        assert job["environment"] == {"name": name, "url": "${{ steps.deploy.outputs.url }}"}
        assert job["concurrency"] == {"group": f"shipml-deploy-{name}", "cancel-in-progress": False}
        assert 0 < job["timeout-minutes"] <= 60
        (deploy,) = _uses(job, "deploy")
        assert deploy["id"] == "deploy" and deploy["with"]["environment"] == name
        assert deploy["with"]["image"] == "${{ needs.model.outputs.image }}"
        assert deploy["with"]["kubeconfig"] == "${{ secrets.KUBECONFIG }}"  # the environment's secret


def test_only_deploy_jobs_may_write_deployments_and_only_the_build_packages() -> None:
    wf = _workflow()
    assert wf["permissions"] == {"contents": "read"}
    for name, job in wf["jobs"].items():
        writes = {k for k, v in job["permissions"].items() if v == "write"}
        deploys = any(s.get("with", {}).get("kubeconfig") for s in _uses(job, "deploy"))
        builds = bool(_uses(job, "build-image"))
        expected = ({"deployments"} if deploys else set()) | ({"packages"} if builds else set())
        assert writes == expected, name


def test_a_failed_deploy_rolls_back_the_alias_and_staging() -> None:
    jobs = _workflow()["jobs"]
    model = jobs["rollback-model"]
    assert "failure()" in model["if"] and "needs.model.result == 'success'" in model["if"]
    (promote,) = _uses(model, "promote")
    assert promote["with"]["rollback"] == "true"
    staging = jobs["rollback-staging"]
    assert "needs.production.result == 'failure'" in staging["if"]
    assert staging["environment"]["name"] == "staging"
    assert staging["concurrency"]["group"] == "shipml-deploy-staging"
    (rollback,) = _uses(staging, "deploy")
    assert rollback["with"]["rollback"] == "true" and "image" not in rollback["with"]


def test_only_the_scanned_digest_is_deployed() -> None:
    text = TEMPLATE.read_text() + STARTER.read_text()
    assert "SHIPML_IMAGE" not in text and "inputs.image" not in text  # the temporary source is gone
    model = _workflow()["jobs"]["model"]
    assert model["outputs"]["image"] == "${{ steps.build.outputs.digest }}"
    (build,) = _uses(model, "build-image")
    (scan,) = _uses(model, "scan-image")
    assert build["id"] == "build" and build["with"]["model"] == "${{ steps.train.outputs.model-uri }}"
    assert scan["with"]["image"] == "${{ steps.build.outputs.digest }}"
    assert scan["with"]["require-digest"] == "true"
    assert "if" not in scan and "continue-on-error" not in scan  # a policy failure stops the release


def test_production_by_canary_is_one_input_and_its_pause_is_an_environment_approval() -> None:
    doc = _workflow()
    inputs = doc.get("on", doc.get(True))["workflow_call"]["inputs"]
    assert inputs["production-strategy"]["default"] == "deploy"
    jobs = doc["jobs"]
    (deploy,) = _uses(jobs["production"], "deploy")
    (canary,) = _uses(jobs["production"], "canary")
    assert deploy["if"] == "inputs.production-strategy != 'canary'"  # exactly one of them runs
    assert canary["if"] == "inputs.production-strategy == 'canary'"
    assert canary["with"]["image"] == "${{ needs.model.outputs.image }}"  # the scanned digest only
    assert jobs["production"]["outputs"]["canary-outcome"] == "${{ steps.canary.outputs.outcome }}"
    resume = jobs["production-canary-resume"]
    assert resume["if"] == "needs.production.outputs.canary-outcome == 'paused'"
    assert resume["environment"]["name"] == "production-canary"  # a reviewer's approval resumes it
    assert resume["concurrency"]["group"] == jobs["production"]["concurrency"]["group"]
    (resumed,) = _uses(resume, "canary")
    assert resumed["with"]["resume"] == "true" and resumed["with"]["image"] == canary["with"]["image"]
    assert resume["permissions"] == {"contents": "read"}
    # a canary rolled back after a resume still puts the champion back
    assert "production-canary-resume" in jobs["rollback-model"]["needs"]
    starter = _starter()
    (call,) = starter["jobs"].values()
    assert call["with"]["production-strategy"] in ("deploy", "canary")
