"""``shipml deploy`` against the real control plane (etcd, apiserver, controllers, scheduler, kwok).

No fake Kubernetes: server-side apply, field managers, ReplicaSet revisions and
``ProgressDeadlineExceeded`` are the API server's and the deployment controller's own.
kwok keeps pods of an image containing ``never-ready`` Running but never Ready, which
is how a broken rollout is produced. Each test takes a fresh namespace.
GitHub is the only fake (tests/support/fake_github.py, checked against GitHub's OpenAPI).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun, run_shipml
from tests.support.fake_github import FakeGitHub

GOOD_A = "registry.local:5000/team/model@sha256:" + "a1" * 32
GOOD_B = "registry.local:5000/team/model@sha256:" + "b2" * 32
GOOD_C = "registry.local:5000/team/model@sha256:" + "c3" * 32
BROKEN = "registry.local:5000/team/never-ready@sha256:" + "dd" * 32
REPO_NAME = "acme/churn"
TOKEN = "ghs_deploytoken"


def project(tmp_path: Path, *, deadline: int = 15, timeout: int = 60, extra: str = "") -> Path:
    (tmp_path / "shipml.yaml").write_text(
        "deploy:\n"
        "  name: srv\n  replicas: 3\n"
        f"  progress_deadline_seconds: {deadline}\n  timeout: {timeout}\n"
        "  environments:\n"
        "    staging:\n      namespace: placeholder\n      url: https://staging.example.com\n" + extra
    )
    return tmp_path


def deploy(cluster: Any, cwd: Path, ns: str, *args: str, env: dict[str, str] | None = None) -> CliRun:
    base = {"SHIPML_DEPLOY_GITHUB": "false", "GITHUB_TOKEN": "", "GH_TOKEN": ""}
    return run_shipml(
        "deploy",
        "--environment",
        "staging",
        "--kubeconfig",
        str(cluster.kubeconfig),
        "--namespace",
        ns,
        "--result-file",
        str(cwd / "deploy.json"),
        *args,
        cwd=cwd,
        env={**base, **(env or {})},
        timeout=400,
    )


def result(cwd: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((cwd / "deploy.json").read_text())
    return data


def live(cluster: Any, ns: str, name: str = "srv") -> dict[str, Any]:
    code, obj = cluster.request("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")
    assert code == 200, obj
    return dict(obj)


def image(obj: dict[str, Any]) -> str:
    return str(obj["spec"]["template"]["spec"]["containers"][0]["image"])


def test_good_deploy_completes_with_three_ready_replicas_and_audit_annotations(
    k8s_cluster: Any, tmp_path: Path
) -> None:
    ns = k8s_cluster.new_namespace("dep")
    run = deploy(
        k8s_cluster, project(tmp_path), ns, "--image", GOOD_A, "--model-name", "churn", "--model-version", "7"
    )
    assert run.code == 0, run.stderr
    obj = live(k8s_cluster, ns)
    assert image(obj) == GOOD_A
    assert obj["status"]["readyReplicas"] == 3 and obj["status"]["updatedReplicas"] == 3
    notes = obj["metadata"]["annotations"]
    assert notes["shipml.dev/digest"] == GOOD_A and notes["shipml.dev/model-version"] == "7"
    assert notes["shipml.dev/state"] == "done"
    out = result(tmp_path)
    assert out["status"] == "passed" and out["outputs"]["revision"] == "1"
    assert out["outputs"]["rolled-back"] == "false" and out["outputs"]["url"] == "https://staging.example.com"
    assert "successfully rolled out" in " ".join(out["details"]["progress"])


def test_never_ready_rollout_is_rolled_back_and_the_previous_digest_is_live_again(
    k8s_cluster: Any, tmp_path: Path
) -> None:
    ns = k8s_cluster.new_namespace("dep")
    cwd = project(tmp_path)
    assert deploy(k8s_cluster, cwd, ns, "--image", GOOD_A).code == 0
    run = deploy(k8s_cluster, cwd, ns, "--image", BROKEN)
    assert run.code == 1, run.stderr
    out = result(cwd)
    assert out["status"] == "failed" and out["outputs"]["rolled-back"] == "true"
    assert "progress deadline" in out["details"]["reason"]
    obj = live(k8s_cluster, ns)
    assert image(obj) == GOOD_A, "the previous digest is live again"
    assert obj["status"]["readyReplicas"] == 3
    assert obj["metadata"]["annotations"]["shipml.dev/digest"] == GOOD_A
    assert obj["metadata"]["annotations"]["shipml.dev/state"] == "rolled-back"
    assert "Traceback" not in run.stderr


def test_rollout_timeout_rolls_back_with_exit_1(k8s_cluster: Any, tmp_path: Path) -> None:
    ns = k8s_cluster.new_namespace("dep")
    cwd = project(tmp_path, deadline=600, timeout=60)
    assert deploy(k8s_cluster, cwd, ns, "--image", GOOD_A).code == 0
    started = time.monotonic()
    run = deploy(k8s_cluster, cwd, ns, "--image", BROKEN)
    assert run.code == 1 and time.monotonic() - started >= 60
    assert "timed out after 60s" in result(cwd)["details"]["reason"]
    assert image(live(k8s_cluster, ns)) == GOOD_A


def test_rollback_on_demand_restores_the_previous_revision(k8s_cluster: Any, tmp_path: Path) -> None:
    ns = k8s_cluster.new_namespace("dep")
    cwd = project(tmp_path)
    assert deploy(k8s_cluster, cwd, ns, "--image", GOOD_A).code == 0
    assert deploy(k8s_cluster, cwd, ns, "--image", GOOD_B).code == 0
    assert image(live(k8s_cluster, ns)) == GOOD_B
    run = deploy(k8s_cluster, cwd, ns, "--rollback")
    assert run.code == 0, run.stderr
    obj = live(k8s_cluster, ns)
    assert image(obj) == GOOD_A and obj["metadata"]["annotations"]["shipml.dev/digest"] == GOOD_A
    out = result(cwd)
    assert out["details"]["action"] == "rollback" and out["outputs"]["image"] == GOOD_A
    # a deploy after a rollback is not blocked by the rollback's own field ownership
    assert deploy(k8s_cluster, cwd, ns, "--image", GOOD_C).code == 0


def test_dry_run_changes_nothing_and_shows_the_diff(k8s_cluster: Any, tmp_path: Path) -> None:
    ns = k8s_cluster.new_namespace("dep")
    cwd = project(tmp_path)
    assert deploy(k8s_cluster, cwd, ns, "--image", GOOD_A).code == 0
    before = live(k8s_cluster, ns)
    run = deploy(k8s_cluster, cwd, ns, "--image", GOOD_B, "--dry-run")
    assert run.code == 0, run.stderr
    after = live(k8s_cluster, ns)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    changes = {o["kind"]: o for o in result(cwd)["details"]["objects"]}
    assert changes["Deployment"]["change"] == "configured"
    assert ".spec.template.spec.containers[0].image" in changes["Deployment"]["fields"]
    assert changes["Service"]["change"] == "unchanged"
    fresh = k8s_cluster.new_namespace("dry")
    assert deploy(k8s_cluster, cwd, fresh, "--image", GOOD_A, "--dry-run").code == 0
    code, _ = k8s_cluster.request("GET", f"/apis/apps/v1/namespaces/{fresh}/deployments/srv")
    assert code == 404


def test_interrupted_deploy_is_resolved_by_the_next_run(k8s_cluster: Any, tmp_path: Path) -> None:
    ns = k8s_cluster.new_namespace("dep")
    cwd = project(tmp_path)
    assert deploy(k8s_cluster, cwd, ns, "--image", GOOD_A).code == 0
    exe = Path(sys.executable).with_name("shipml")
    proc = subprocess.Popen(
        [
            str(exe),
            "deploy",
            "--environment",
            "staging",
            "--kubeconfig",
            str(k8s_cluster.kubeconfig),
            "--namespace",
            ns,
            "--image",
            BROKEN,
        ],
        cwd=cwd,
        env={**os.environ, "SHIPML_DEPLOY_GITHUB": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while image(live(k8s_cluster, ns)) != BROKEN:
            assert time.monotonic() < deadline, "the broken apply never happened"
            time.sleep(0.1)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # killed between apply and the rollout proof
        proc.wait()
    assert live(k8s_cluster, ns)["metadata"]["annotations"]["shipml.dev/state"] == "in-progress"
    run = deploy(k8s_cluster, cwd, ns, "--image", GOOD_C)
    assert run.code == 0, run.stderr
    out = result(cwd)
    assert "rolled back" in out["details"]["recovered"]
    obj = live(k8s_cluster, ns)
    assert image(obj) == GOOD_C and obj["metadata"]["annotations"]["shipml.dev/state"] == "done"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        fake.add_token(TOKEN, login="github-actions[bot]")
        yield fake


def test_github_deployment_statuses_and_approver_are_recorded(
    k8s_cluster: Any, tmp_path: Path, github: FakeGitHub
) -> None:
    ns = k8s_cluster.new_namespace("dep")
    cwd = project(tmp_path)
    github.add_approval(REPO_NAME, 4242, login="release-manager", environments=["staging"], comment="ship it")
    env = {
        "SHIPML_DEPLOY_GITHUB": "",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": REPO_NAME,
        "GITHUB_RUN_ID": "4242",
        "GITHUB_SHA": "5" * 40,
        "GITHUB_SERVER_URL": "https://github.example",
    }
    assert deploy(k8s_cluster, cwd, ns, "--image", GOOD_A, env=env).code == 0
    assert deploy(k8s_cluster, cwd, ns, "--image", BROKEN, env=env).code == 1
    first, second = github.deployments(REPO_NAME)
    assert first["environment"] == second["environment"] == "staging"
    assert first["payload"]["approved_by"] == "release-manager"
    states = [[s["state"] for s in github.deployment_statuses(REPO_NAME, d["id"])] for d in (first, second)]
    assert states == [["in_progress", "success"], ["in_progress", "failure"]]
    success = github.deployment_statuses(REPO_NAME, first["id"])[1]
    assert success["environment_url"] == "https://staging.example.com"
    assert live(k8s_cluster, ns)["metadata"]["annotations"]["shipml.dev/approved-by"] == "release-manager"
    assert result(cwd)["details"]["approved_by"] == "release-manager"
