"""The PR pair of workflows-templates/ under act, verbatim, from a user-style repository.

`shipml-pr.yml` calls `shipml/shipml/.github/workflows/shipml-pr-reusable.yml@v1`; act maps that
(and every `shipml/shipml/actions/...@v1` inside it) to a clean export of this checkout. act
cannot download third-party actions, so `actions/setup-python`, `actions/upload-artifact` and
`actions/download-artifact` at the templates' pinned SHAs are mapped to stand-ins
(tests/support/act_stubs: the host's Python; a copy of the uploaded paths; a copy back from where
the test keeps the PR run's artifact). Models go to the session's real MLflow server.

Then `shipml-comment.yml` runs on the `workflow_run` event GitHub sends when "shipml PR" completes:
it downloads the PR run's artifact and posts the report to tests/support/fake_github.py, a FAKE of
GitHub's REST API on 127.0.0.1, from which the test reads the comment and the commit status back.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLE, REPO
from tests.integration.test_gate_support import unique_name
from tests.support.act import ActRun, UserRepo
from tests.support.fake_github import FakeGitHub

STUBS = REPO / "tests" / "support" / "act_stubs"
TEMPLATES = REPO / "workflows-templates"
SHA = "3f1c9e2b7a4d5e6f8091a2b3c4d5e6f708192a3b"
REPOSITORY = "acme/churn"
PR = 7
RUN_ID = 18_273_645_501  # the PR run's id, as GitHub names it in the workflow_run event
TOKEN = "ghs_FAKEe2eToken00000000000000000000000"
PR_WORKFLOW = ".github/workflows/shipml-pr.yml"
COMMENT_WORKFLOW = ".github/workflows/shipml-comment.yml"


def stand_ins() -> dict[str, Path]:
    """The third-party actions the PR pair pins (reusable workflows and templates), mapped to stand-ins."""
    sources = [*(REPO / ".github" / "workflows").glob("*.yml"), *TEMPLATES.glob("*.yml")]
    text = "".join(p.read_text() for p in sources)
    mapped: dict[str, Path] = {}
    for name, sha in re.findall(r"uses: actions/([a-z-]+)@([0-9a-f]{40})", text):
        if (STUBS / name).is_dir():
            mapped[f"actions/{name}@{sha}"] = STUBS / name
    assert {k.split("@")[0] for k in mapped} == {
        "actions/setup-python",
        "actions/upload-artifact",
        "actions/download-artifact",
    }
    return mapped


@dataclass
class PrRun:
    """The PR starter's act run, and its `shipml-results` artifact kept where GitHub would keep it."""

    repo: UserRepo
    run: ActRun
    registered_model: str
    artifacts: Path  # $SHIPML_TEST_ARTIFACTS for the download-artifact stand-in: RUN_ID/NAME/...

    @property
    def artifact(self) -> Path:
        return self.artifacts / str(RUN_ID) / "shipml-results"


@pytest.fixture(scope="module")
def pr_run(tmp_path_factory: pytest.TempPathFactory, shipml_checkout: Path, mlflow_server: str) -> PrRun:
    """Run the PR starter once for the module: both tests below read its artifact."""
    user_repo = UserRepo.create(tmp_path_factory.mktemp("pr-pair"), shipml_checkout)
    for part in ("data", "expectations"):
        user_repo.copy_in(EXAMPLE / part, part)
    config = yaml.safe_load((EXAMPLE / "shipml.yaml").read_text())
    model = unique_name("pr-template")
    config["mlflow"]["registered_model"] = model
    config["gate"]["slices"] = []  # keep the e2e quick: slices are the gate tests' business
    user_repo.write("shipml.yaml", yaml.safe_dump(config, sort_keys=False))
    # the user's repository holds the pair, as the README tells them to copy it
    user_repo.copy_in(TEMPLATES / "shipml-pr.yml", PR_WORKFLOW)
    user_repo.copy_in(TEMPLATES / "shipml-comment.yml", COMMENT_WORKFLOW)
    subprocess.run(
        ["git", "remote", "add", "origin", f"https://github.com/{REPOSITORY}.git"],
        cwd=user_repo.root,
        check=True,
    )
    event = {
        "action": "synchronize",
        "number": PR,
        "pull_request": {
            "number": PR,
            "head": {"sha": SHA, "ref": "better-model"},
            "base": {"ref": "main"},
        },
        "repository": {"full_name": REPOSITORY},
    }
    run = user_repo.run(
        event="pull_request",
        payload=event,
        secrets={"MLFLOW_TRACKING_URI": mlflow_server},
        local_repositories=stand_ins(),
        timeout=1500,
        workflow=PR_WORKFLOW,
    )
    assert run.returncode == 0, run.log[-8000:]
    # act-out/ is wiped by the next act run: keep the upload as GitHub keeps a run's artifacts
    artifacts = user_repo.root.parent / "uploaded-artifacts"
    shutil.copytree(run.out_dir / "artifacts", artifacts / str(RUN_ID))
    return PrRun(user_repo, run, model, artifacts)


def test_pr_starter_runs_validate_train_gate_through_the_reusable_workflow(pr_run: PrRun) -> None:
    results = pr_run.artifact / "results"
    assert (results / "pr-number").read_text() == str(PR)
    for command in ("validate", "train", "gate"):
        result = json.loads((results / f"{command}.json").read_text())
        assert result["command"] == command and result["status"] in ("passed", "inconclusive"), result
    assert (pr_run.artifact / "validate").is_dir(), "the drift HTML and GX result the report links to"
    # no `image: true` and no Dockerfile: no build, no scan (their Pre steps run regardless)
    assert not (results / "build.json").exists() and not (results / "scan.json").exists()
    assert "Main shipml/shipml/actions/validate-data@v1" in pr_run.run.log
    assert "Main shipml/shipml/actions/build-image@v1" not in pr_run.run.log


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_token(TOKEN)
        server.add_pull(REPOSITORY, PR, SHA)
        yield server


def _workflow_run_event(run_id: int, head_sha: str, *, fork: bool) -> dict[str, Any]:
    """What GitHub sends when "shipml PR" (run `run_id`, on `head_sha`) completes on PR 7.

    GitHub lists the PR in `workflow_run.pull_requests` only when its head branch is in this
    repository; for a fork's PR the list is empty and the number comes from the artifact's
    pr-number file (which shipml then checks against the PR's head on the API).
    """
    head = {"sha": head_sha, "ref": "better-model"}
    return {
        "action": "completed",
        "workflow_run": {
            "id": run_id,
            "name": "shipml PR",
            "event": "pull_request",
            "status": "completed",
            "conclusion": "success",
            "head_sha": head_sha,
            "head_branch": "better-model",
            "pull_requests": [] if fork else [{"number": PR, "head": head, "base": {"ref": "main"}}],
            "repository": {"full_name": REPOSITORY},
            "head_repository": {"full_name": "contributor/churn" if fork else REPOSITORY},
        },
        "repository": {"full_name": REPOSITORY},
    }


def _expected_state(results: Path) -> str:
    """The commit status the gate's result calls for (shipml/gate: success only when all passed)."""
    statuses = {json.loads(p.read_text())["status"] for p in results.glob("*.json")}
    if "failed" in statuses or "error" in statuses:
        return "error" if "error" in statuses else "failure"
    return "failure" if "inconclusive" in statuses else "success"  # comment.inconclusive_status default


def test_comment_workflow_posts_the_pr_runs_report_then_updates_the_same_comment(
    pr_run: PrRun, fake: FakeGitHub
) -> None:
    results = pr_run.artifact / "results"
    gate = json.loads((results / "gate.json").read_text())
    train = json.loads((results / "train.json").read_text())
    env = {
        "SHIPML_COMMENT__API_URL": fake.url,
        "SHIPML_COMMENT__WRITE_INTERVAL": "0",
        "SHIPML_TEST_ARTIFACTS": str(pr_run.artifacts),
    }

    def comment(payload: dict[str, Any]) -> ActRun:
        return pr_run.repo.run(
            event="workflow_run",
            payload=payload,
            env=env,
            secrets={"GITHUB_TOKEN": TOKEN},
            local_repositories=stand_ins(),
            timeout=600,
            workflow=COMMENT_WORKFLOW,
        )

    run = comment(_workflow_run_event(RUN_ID, SHA, fork=False))
    assert run.returncode == 0, run.log[-6000:]
    assert TOKEN not in run.log
    assert "Main shipml/shipml/actions/pr-comment@v1" in run.log
    comments = fake.comments(REPOSITORY, PR)
    assert len(comments) == 1, comments
    first = comments[0]
    body = str(first["body"])
    assert body.startswith("<!-- shipml:report -->\n### "), body[:200]
    assert f"[`{SHA[:7]}`](https://github.com/{REPOSITORY}/commit/{SHA})" in body
    # the gate's verdict and evidence, as the PR run computed them
    assert f"Gate **{gate['status']}**" in body, body
    assert train["details"]["registered_model"] == pr_run.registered_model
    assert f"**{pr_run.registered_model} v{train['details']['model_version']}**" in body, body
    primary = gate["details"]["primary_metric"]
    assert f"primary metric `{primary}`" in body
    table = re.search(r"^\| metric \|.*\n\|[-:|]+\|\n((?:\|.*\|\n)+)", body, re.MULTILINE)
    assert table, body
    assert any(row.startswith(f"| **{primary}** |") for row in table.group(1).splitlines()), table.group(0)
    assert "#### Data validation" in body
    # same-repository PR: the number came from the event, so no check against the API was needed
    assert not fake.seen("GET", f"/pulls/{PR}")
    (status,) = fake.statuses(REPOSITORY, SHA)
    assert status["context"] == "shipml/gate"
    assert status["state"] == _expected_state(results), (status, gate["status"])

    # The PR gets a new push (head SHA2) and its "shipml PR" run (RUN_ID2) completes; its artifact
    # holds the same result files (no retraining here). This time GitHub names no PR in the event
    # (the fork case): shipml takes the number from the artifact and checks the PR's head first.
    # The same comment is edited in place to the new commit.
    sha2, run_id2 = "9e8d7c6b5a4f30211f0e9d8c7b6a5f4e3d2c1b0a", RUN_ID + 17
    shutil.copytree(pr_run.artifacts / str(RUN_ID), pr_run.artifacts / str(run_id2))
    fake.add_pull(REPOSITORY, PR, sha2)
    run = comment(_workflow_run_event(run_id2, sha2, fork=True))
    assert run.returncode == 0, run.log[-6000:]
    comments = fake.comments(REPOSITORY, PR)
    assert len(comments) == 1, comments
    assert comments[0]["id"] == first["id"]
    assert len(fake.seen("PATCH", "/issues/comments/")) == 1
    body = str(comments[0]["body"])
    headline = body.splitlines()[1]
    assert (
        f"[`{sha2[:7]}`](https://github.com/{REPOSITORY}/commit/{sha2})" in headline and SHA not in headline
    )
    assert f"Gate **{gate['status']}**" in body
    assert fake.seen("GET", f"/pulls/{PR}")
    (status2,) = fake.statuses(REPOSITORY, sha2)
    assert status2["context"] == "shipml/gate" and status2["state"] == _expected_state(results)
    assert len(fake.statuses(REPOSITORY, SHA)) == 1

    # "shipml PR" completing for a push (not a pull request) is none of the comment job's business
    pushed = _workflow_run_event(RUN_ID + 18, sha2, fork=False)
    pushed["workflow_run"].update(event="push", pull_requests=[])
    before = len(fake.requests)
    run = comment(pushed)
    assert run.returncode == 0, run.log[-6000:]
    assert "Main shipml/shipml/actions/pr-comment@v1" not in run.log
    assert len(fake.requests) == before
