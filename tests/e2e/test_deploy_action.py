"""actions/deploy used as users do (`shipml/shipml/actions/deploy@v1`) under act, against the real cluster.

The user's workflow passes the kubeconfig as a secret's *content* (certificates inlined,
as `kubectl config view --raw --flatten` writes it), deploys a good digest, then a digest
whose pods never become Ready (kwok keeps them Running, not Ready): the second step fails,
rolls itself back and the good digest is live again. GitHub Deployments go to the fake
GitHub API (tests/support/fake_github.py), the only fake here.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.test_deploy_cluster import BROKEN, GOOD_A, image, live
from tests.support.act import UserRepo
from tests.support.fake_github import FakeGitHub

REPO = "acme/churn"
TOKEN = "ghs_FAKEe2eDeployToken000000000000000000"
OUTPUTS = ("status", "revision", "rolled-back", "url", "image")


def inline_kubeconfig(kubeconfig: Path) -> str:
    """The kubeconfig with its certificate files inlined: what a user stores as a secret."""
    doc: dict[str, Any] = yaml.safe_load(kubeconfig.read_text())
    for entry, keys in (
        ("clusters", ("certificate-authority",)),
        ("users", ("client-certificate", "client-key")),
    ):
        for item in doc[entry]:
            body = item["cluster" if entry == "clusters" else "user"]
            for key in keys:
                if key in body:
                    body[f"{key}-data"] = base64.b64encode(Path(body.pop(key)).read_bytes()).decode()
    return yaml.safe_dump(doc)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_token(TOKEN)
        yield server


def _collect(step: str) -> dict[str, str]:
    return {f"{step}-{name}": f"${{{{ steps.{step}.outputs.{name} }}}}" for name in OUTPUTS} | {
        f"{step}-outcome": f"${{{{ steps.{step}.outcome }}}}"
    }


def test_deploy_action_deploys_then_rolls_a_never_ready_digest_back(
    user_repo: UserRepo, k8s_cluster: Any, github: FakeGitHub
) -> None:
    ns = k8s_cluster.new_namespace("e2e")
    user_repo.write(
        "shipml.yaml",
        "deploy:\n  name: churn\n  replicas: 3\n  progress_deadline_seconds: 15\n  timeout: 120\n"
        "  environments:\n    staging:\n"
        f"      namespace: {ns}\n      url: https://staging.churn.example\n",
    )
    common = {"environment": "staging", "kubeconfig": "${{ secrets.KUBECONFIG }}", "model-name": "churn"}
    user_repo.workflow(
        [
            {
                "id": "good",
                "uses": "shipml/shipml/actions/deploy@v1",
                "with": {**common, "image": GOOD_A, "model-version": "3"},
            },
            {
                "id": "broken",
                "uses": "shipml/shipml/actions/deploy@v1",
                "continue-on-error": True,
                "with": {**common, "image": BROKEN, "model-version": "4"},
            },
        ],
        collect=_collect("good") | _collect("broken"),
        permissions={"contents": "read", "deployments": "write", "actions": "read"},
    )
    subprocess.run(
        ["git", "remote", "add", "origin", f"https://github.com/{REPO}.git"], cwd=user_repo.root, check=True
    )
    github.add_approval(REPO, 1, login="release-manager", environments=["staging"])  # act's run id is 1
    run = user_repo.run(
        env={"SHIPML_COMMENT__API_URL": github.url},
        secrets={"GITHUB_TOKEN": TOKEN, "KUBECONFIG": inline_kubeconfig(k8s_cluster.kubeconfig)},
    )
    out = run.outputs
    assert out.get("good-outcome") == "success", run.log[-6000:]
    assert out["good-status"] == "passed" and out["good-revision"] == "1" and out["good-image"] == GOOD_A
    assert out["good-rolled-back"] == "false" and out["good-url"] == "https://staging.churn.example"
    # the broken digest: the step failed (exit 1), rolled back by itself, the good digest live again
    assert out["broken-outcome"] == "failure" and out["broken-status"] == "failed", run.log[-6000:]
    assert out["broken-rolled-back"] == "true" and out["broken-image"] == GOOD_A
    details = run.result("deploy")["details"]
    assert "progress deadline" in details["reason"]
    obj = live(k8s_cluster, ns, "churn")
    assert image(obj) == GOOD_A and obj["status"]["readyReplicas"] == 3
    assert obj["metadata"]["annotations"]["shipml.dev/state"] == "rolled-back"
    assert obj["metadata"]["annotations"]["shipml.dev/model-version"] == "3"
    # the audit trail on GitHub: one Deployment per step, success then failure
    first, second = github.deployments(REPO)
    states = [[s["state"] for s in github.deployment_statuses(REPO, d["id"])] for d in (first, second)]
    assert states == [["in_progress", "success"], ["in_progress", "failure"]]
    assert first["payload"]["image"] == GOOD_A and second["payload"]["model_version"] == "4"
    assert first["payload"]["approved_by"] == "release-manager" == details["approved_by"]
    # the kubeconfig (a secret) never reached argv nor the log
    assert "client-key-data" not in run.log and "BEGIN" not in run.log
    ran = [line for line in run.log.splitlines() if "shipml: running: shipml " in line]
    assert ran and all("kubeconfig" not in line for line in ran), ran
    assert "### shipml deploy" in run.summary
    assert "Traceback" not in run.log
