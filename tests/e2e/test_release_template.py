"""The release starter under act, verbatim, from a user-style repository, through staging to production.

`workflows-templates/shipml-release.yml` calls shipml's reusable release workflow
(`shipml/shipml/.github/workflows/shipml-release-reusable.yml@v1`); act maps it, and every
`shipml/shipml/actions/...@v1` in it, to a clean export of this checkout.
Real parts: the MLflow server (train, gate, aliases), dockerd and a registry on 127.0.0.1 (the
user's Dockerfile is built and pushed; the digest is what everything after uses), trivy with the
generated DB (scan policy: CRITICAL), the Kubernetes control plane (kwok node) for staging and
production namespaces, and a real `shipml serve` answering the smoke check through the API
server's service proxy (the pod network of tests/integration/test_deploy_smoke.py). GitHub's API
(Deployments, the run's approvals) is tests/support/fake_github.py, the only fake.

What act cannot do, and what stands in:
- GitHub environment approvals: the setup-python stand-in holds the `production` job before it
  touches anything (tests/support/act_stubs/setup-python); the test checks staging and the
  untouched production namespace, records the release manager's approval on the fake API and
  releases the job. (`act -j` cannot pick a job inside a called workflow, and always runs a job's
  `needs` too, so a second invocation would retrain.)
- Environment secrets: act passes a called workflow only the secrets its caller maps, so the
  environments' KUBECONFIG secret is empty there; the deploy action then reads $KUBECONFIG, which
  the test sets to the cluster's kubeconfig file.
"""

from __future__ import annotations

import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLE, REPO, Registry
from tests.e2e.test_pr_template import stand_ins
from tests.integration import test_deploy_smoke as smoke
from tests.integration.test_deploy_cluster import image, live
from tests.integration.test_gate_support import unique_name
from tests.support.act import ActRun, UserRepo
from tests.support.fake_github import FakeGitHub

REPOSITORY = "acme/churn"
TOKEN = "ghs_FAKEe2eReleaseToken0000000000000000"
WORKFLOW = ".github/workflows/shipml-release.yml"
IMAGE_REPO = "acme/churn-server"
RUN_ID = 1  # act numbers every run 1
APPROVER = "release-manager"

pod_network = smoke.pod_network  # fixtures reused: a netns holding a real `shipml serve`
model_server = smoke.model_server


@dataclass
class Release:
    """The user's repository and everything the release touches, shared by the tests in order."""

    repo: UserRepo
    model: str
    staging: str  # namespaces
    production: str
    github: FakeGitHub
    env: dict[str, str]
    secrets: dict[str, str]
    config: dict[str, Any]
    hold: Path
    digests: list[str] = field(default_factory=list)  # released digests, in order

    def write_config(self) -> None:
        self.repo.write("shipml.yaml", yaml.safe_dump(self.config, sort_keys=False))

    def run(self, *, hold: bool) -> ActRun:
        env = {**self.env, "SHIPML_TEST_HOLD_JOBS": "production" if hold else ""}
        run = self.repo.run(
            event="push",
            env=env,
            secrets=self.secrets,
            local_repositories=stand_ins(),
            timeout=1500,
            workflow=WORKFLOW,
        )
        # the whole log, for when an assertion shows only its tail
        (self.repo.root.parent / f"act-release-{len(self.digests) + 1}.log").write_text(run.log)
        return run


def _user_dockerfile(repo: UserRepo, base_image: str) -> None:
    """The user's own server image: the base plus a package with a known HIGH advisory (CVE-2018-18074)."""
    repo.write(
        "server/pkgs/requests-2.19.1.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\n",
    )
    repo.write(
        "server/Dockerfile", f"FROM {base_image}\nCOPY pkgs /usr/lib/python3/dist-packages\nUSER 10001\n"
    )


@pytest.fixture(scope="module")
def release(
    tmp_path_factory: pytest.TempPathFactory,
    shipml_checkout: Path,
    mlflow_server: str,
    docker_daemon: str,
    base_image: str,
    registry: Registry,
    trivy_db: Path,
    k8s_cluster: Any,
    pod_network: smoke.PodNetwork,
) -> Iterator[Release]:
    tmp = tmp_path_factory.mktemp("release")
    repo = UserRepo.create(tmp, shipml_checkout)
    repo.copy_in(EXAMPLE / "data", "data")
    repo.copy_in(REPO / "workflows-templates" / "shipml-release.yml", WORKFLOW)
    _user_dockerfile(repo, base_image)
    smoke.manifests(repo.root / "k8s", pod_network.pod_ip)  # Deployment + Service `churn`, pods at the netns
    staging, production = k8s_cluster.new_namespace("rel-stg"), k8s_cluster.new_namespace("rel-prd")
    config: dict[str, Any] = yaml.safe_load((EXAMPLE / "shipml.yaml").read_text())
    model = unique_name("release-template")
    config["mlflow"]["registered_model"] = model
    config["gate"]["slices"] = []  # slices and latency budgets are the gate tests' business
    config["gate"].pop("budgets", None)
    config["image"] = {
        "dockerfile": "Dockerfile",
        "context": "server",
        "registry": registry.host,
        "repository": IMAGE_REPO,
    }
    config["scan"] = {"fail_on": ["CRITICAL"], "cache_dir": str(trivy_db)}
    environment = {"smoke": {"path": "/health", "retries": 10}}
    config["deploy"] = {
        "manifests": "k8s",
        "timeout": 90,
        "environments": {
            "staging": {"namespace": staging, "url": "https://staging.churn.example", **environment},
            "production": {"namespace": production, "url": "https://churn.example", **environment},
        },
    }
    subprocess.run(
        ["git", "remote", "add", "origin", f"https://github.com/{REPOSITORY}.git"], cwd=repo.root, check=True
    )
    hold = tmp / "approvals"
    hold.mkdir()
    with FakeGitHub() as github:
        github.add_token(TOKEN)
        github.add_workflow(REPOSITORY, WORKFLOW, name="shipml release")  # the repository, with its workflow
        rel = Release(
            repo=repo,
            model=model,
            staging=staging,
            production=production,
            github=github,
            env={
                "DOCKER_HOST": docker_daemon,
                "KUBECONFIG": str(k8s_cluster.kubeconfig),
                "SHIPML_COMMENT__API_URL": github.url,
                "SHIPML_TEST_HOLD_DIR": str(hold),
            },
            secrets={"MLFLOW_TRACKING_URI": mlflow_server, "GITHUB_TOKEN": TOKEN},
            config=config,
            hold=hold,
        )
        rel.write_config()
        yield rel


def _champion(tracking_uri: str, model: str) -> str | None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        return str(
            MlflowClient(tracking_uri=tracking_uri).get_model_version_by_alias(model, "champion").version
        )
    except MlflowException:
        return None


def _deployment(cluster: Any, ns: str) -> dict[str, Any] | None:
    code, obj = cluster.request("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/churn")
    return dict(obj) if code == 200 else None


def _in_registry(registry: Registry, digest: str) -> bool:
    repo, _, sha = digest.partition("@")
    url = f"http://{registry.host}/v2/{repo.split('/', 1)[1]}/manifests/{sha}"
    accept = (
        "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"
    )
    request = urllib.request.Request(url, method="HEAD", headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        return bool(response.status == 200)


def _scanned(log: str) -> list[str]:
    """The digests `shipml scan` ran on, from the runner's `shipml: running:` lines."""
    return re.findall(r"shipml: running: \S*shipml scan .*?--image=(\S+@sha256:[0-9a-f]{64})", log)


def _jobs(log: str) -> dict[str, str]:
    """How each job of the called workflow ended, from act's `🏁  Job succeeded|failed` lines."""
    found = re.findall(r"^\[[^\]/]+/[^\]/]+/([\w-]+)\s*\] 🏁  Job (succeeded|failed)", log, re.MULTILINE)
    return dict(found)


def _wait_for(path: Path, worker: Any, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if worker.done():
            run = worker.result()
            pytest.fail(f"the release ended (exit {run.returncode}) before {path.name}:\n{run.log[-8000:]}")
        assert time.monotonic() < deadline, f"no {path.name} within {timeout} s"
        time.sleep(1)


def test_release_starter_trains_scans_promotes_deploys_staging_then_production_after_approval(
    release: Release, mlflow_server: str, registry: Registry, k8s_cluster: Any, model_server: Path
) -> None:
    assert _champion(mlflow_server, release.model) is None
    health = '"route":"/health"'
    smoked = model_server.read_text().count(health)
    started = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        worker = pool.submit(release.run, hold=True)
        _wait_for(release.hold / "production.waiting", worker)
        held_at = time.monotonic() - started
        # GitHub holds production for its reviewers: model and staging are done, production untouched
        assert _champion(mlflow_server, release.model) == "1"  # promoted after the scan, before any deploy
        staged = _deployment(k8s_cluster, release.staging)
        assert staged is not None
        digest = image(staged)
        assert digest.startswith(f"{registry.host}/{IMAGE_REPO}@sha256:"), digest
        assert _in_registry(registry, digest)
        assert staged["status"].get("readyReplicas") == 2, staged["status"]
        assert staged["metadata"]["annotations"]["shipml.dev/model-version"] == "1"
        assert model_server.read_text().count(health) > smoked, "the staging smoke check reached the server"
        assert _deployment(k8s_cluster, release.production) is None
        (stg_record,) = release.github.deployments(REPOSITORY)
        assert stg_record["environment"] == "staging" and stg_record["payload"]["image"] == digest
        # the release manager approves; the job goes on
        release.github.add_approval(REPOSITORY, RUN_ID, login=APPROVER, environments=["production"])
        (release.hold / "production.approved").touch()
        run = worker.result()
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.log[-8000:]
    print(f"release run: {elapsed:.0f} s ({held_at:.0f} s to the production hold)")

    assert _scanned(run.log) == [digest], "the pushed digest, and only it, was scanned"
    # the policy (CRITICAL) passes the image with its HIGH advisory reported, on the pushed digest
    assert "### shipml scan: ✅ passed" in run.summary and f"`{digest}` with trivy" in run.summary
    assert re.search(r"^\| all \| 0 \| 1 \|", run.summary, re.MULTILINE), run.summary
    assert re.search(r"^\| blocking \| 0 \| 0 \|", run.summary, re.MULTILINE), run.summary
    prod = _deployment(k8s_cluster, release.production)
    assert prod is not None and image(prod) == digest and prod["status"].get("readyReplicas") == 2
    assert _champion(mlflow_server, release.model) == "1"
    stg_record, prd_record = release.github.deployments(REPOSITORY)
    assert prd_record["environment"] == "production" and prd_record["payload"]["image"] == digest
    assert prd_record["payload"]["approved_by"] == APPROVER
    for record in (stg_record, prd_record):
        states = [s["state"] for s in release.github.deployment_statuses(REPOSITORY, record["id"])]
        assert states == ["in_progress", "success"], states
    # nothing went wrong, so neither rollback job ran
    assert _jobs(run.log) == {"model": "succeeded", "staging": "succeeded", "production": "succeeded"}
    assert TOKEN not in run.log and "Traceback" not in run.log
    release.digests.append(digest)


def test_failing_staging_smoke_check_rolls_staging_back_and_puts_the_champion_back(
    release: Release, mlflow_server: str, k8s_cluster: Any
) -> None:
    if not release.digests:
        pytest.fail("needs the successful release of the test before it (run the module)")
    (first,) = release.digests
    # the user's next commit breaks the staging smoke check (a path the server does not serve)
    release.config["deploy"]["environments"]["staging"]["smoke"] = {"path": "/no-such-page", "retries": 1}
    release.write_config()
    started = time.monotonic()
    run = release.run(hold=False)
    print(f"failing release run: {time.monotonic() - started:.0f} s")
    assert run.returncode != 0, run.log[-8000:]
    (second,) = _scanned(run.log)
    assert second != first  # a new image was built, pushed and scanned
    # staging rolled itself back to the previous digest; production never started
    staged = _deployment(k8s_cluster, release.staging)
    assert staged is not None and image(staged) == first, staged and image(staged)
    assert staged["metadata"]["annotations"]["shipml.dev/state"] == "rolled-back"
    prod = _deployment(k8s_cluster, release.production)
    assert prod is not None and image(prod) == first
    # the champion moved to v2 before the deploy (the model job promoted it), and rollback-model put
    # it back on v1; production never started, so rollback-staging (production failed) did not run
    assert _jobs(run.log) == {"model": "succeeded", "staging": "failed", "rollback-model": "succeeded"}
    assert "Rolled **" in run.summary and "`champion` back to v1 (was v2)" in run.summary
    assert _champion(mlflow_server, release.model) == "1"
    records = release.github.deployments(REPOSITORY)
    assert len(records) == 3 and records[2]["environment"] == "staging"
    assert records[2]["payload"]["image"] == second
    states = [s["state"] for s in release.github.deployment_statuses(REPOSITORY, records[2]["id"])]
    assert states[-1] == "failure", states
    assert live(k8s_cluster, release.staging, "churn")["status"].get("readyReplicas") == 2
    assert TOKEN not in run.log and "Traceback" not in run.log
