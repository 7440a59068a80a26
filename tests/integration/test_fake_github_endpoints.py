"""The GitHub FAKE's endpoints for deploys and scheduled drift checks, used through PyGithub.

Deployments, deployment statuses and run approvals (the deploy capability's audit
trail), issues looked up by label and creator (the drift workflow's one
marker-keyed issue) and repository/workflow dispatches (its retraining trigger):
each shown working with the real client against tests/support/fake_github.py, whose
shapes test_fake_github_openapi.py checks against GitHub's own description.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from github import GithubException, GithubRetry, UnknownObjectException

from tests.integration.test_fake_github_openapi import TOKEN, client
from tests.support.fake_github import FakeGitHub

pytestmark = pytest.mark.integration

REPO = "acme/churn"
SHA = "3f1c9e2b7a4d5e6f8091a2b3c4d5e6f708192a3b"
MARKER = "<!-- shipml:drift -->"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_token(TOKEN)
        server.add_pull(REPO, 1, SHA)
        yield server


def test_deployments_statuses_and_the_runs_approver(fake: FakeGitHub) -> None:
    fake.add_approval(REPO, 77, login="release-manager", environments=["production"], comment="go")
    gh = client(fake)
    repo = gh.get_repo(REPO)
    _, approvals = gh.requester.requestJsonAndCheck("GET", f"{repo.url}/actions/runs/77/approvals")
    assert isinstance(approvals, list)
    (approval,) = approvals
    assert approval["state"] == "approved" and approval["user"]["login"] == "release-manager"
    assert [e["name"] for e in approval["environments"]] == ["production"]
    _, none = gh.requester.requestJsonAndCheck("GET", f"{repo.url}/actions/runs/78/approvals")
    assert none == []

    staging = [
        repo.create_deployment(
            SHA,
            environment="staging",
            required_contexts=[],
            payload={"digest": f"sha256:{i}", "approver": "release-manager"},
            description=f"model v{i}",
        )
        for i in (1, 2)
    ]
    for deployment in staging:
        deployment.create_status("in_progress", description="rolling out")
        deployment.create_status("success", environment_url="https://staging.example.com")
    # auto_inactive (the default): the older staging deploy is marked inactive.
    assert [s["state"] for s in fake.deployment_statuses(REPO, staging[0].id)] == [
        "in_progress",
        "success",
        "inactive",
    ]
    assert [s["state"] for s in fake.deployment_statuses(REPO, staging[1].id)] == ["in_progress", "success"]
    latest = repo.get_deployment(staging[1].id)
    assert latest.payload == {"digest": "sha256:2", "approver": "release-manager"}
    assert latest.environment == "staging" and latest.production_environment is False
    assert latest.creator.login == fake.bot_login
    (newest, *_) = latest.get_statuses()
    assert newest.state == "success" and newest.environment_url == "https://staging.example.com"

    production = repo.create_deployment(SHA, environment="production", required_contexts=[])
    production.create_status("failure", description="rollout timed out; rolled back")
    assert production.production_environment is True
    assert [d.id for d in repo.get_deployments(environment="staging")] == [staging[1].id, staging[0].id]
    assert [d.id for d in repo.get_deployments(sha=SHA, environment="production")] == [production.id]
    assert list(repo.get_deployments(environment="nowhere")) == []


def test_a_deployment_of_a_commit_with_failing_checks_is_refused(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    repo.get_commit(SHA).create_status("failure", context="ci/tests")
    with pytest.raises(GithubException) as refused:
        repo.create_deployment(SHA, environment="production", auto_merge=False)
    assert refused.value.status == 409 and "status checks failed" in str(refused.value.data)
    with pytest.raises(GithubException) as named:
        repo.create_deployment(SHA, required_contexts=["ci/tests"])
    assert named.value.status == 409
    assert repo.create_deployment(SHA, required_contexts=[]).sha == SHA  # explicitly waived
    assert len(fake.deployments(REPO)) == 1


def test_one_marker_keyed_issue_is_opened_then_found_and_updated(fake: FakeGitHub) -> None:
    fake.add_issue(REPO, "Unrelated bug", labels=["drift"], login="someone")  # same label, not ours
    gh = client(fake, per_page=10)
    repo = gh.get_repo(REPO)

    def ours() -> list[int]:
        found = repo.get_issues(state="open", labels=["drift", "shipml"], creator=fake.bot_login)  # type: ignore[arg-type]
        return [i.number for i in found if (i.body or "").startswith(MARKER)]

    assert ours() == []
    opened = repo.create_issue(
        "Data drift beyond policy", body=f"{MARKER}\nrun 1", labels=["drift", "shipml"]
    )
    assert opened.html_url.endswith(f"/issues/{opened.number}") and opened.pull_request is None
    assert ours() == [opened.number]
    repo.get_issue(opened.number).edit(body=f"{MARKER}\nrun 2")
    assert ours() == [opened.number]
    assert [i["body"] for i in fake.issues(REPO) if i["number"] == opened.number] == [f"{MARKER}\nrun 2"]
    # GitHub's issue list holds pull requests too; state filters and closing work as documented.
    every = list(repo.get_issues(state="all"))
    assert {i.number for i in every if i.pull_request is not None} == {1}
    repo.get_issue(opened.number).edit(state="closed")
    assert ours() == []
    closed = list(repo.get_issues(state="closed"))
    assert [i.number for i in closed] == [opened.number] and closed[0].closed_at is not None


def test_issue_pages_keep_the_filters(fake: FakeGitHub) -> None:
    for i in range(25):
        fake.add_issue(REPO, f"drift {i}", labels=["drift"], login=fake.bot_login)
        fake.add_issue(REPO, f"other {i}", labels=["other"], login=fake.bot_login)
    found = list(client(fake, per_page=10).get_repo(REPO).get_issues(labels=["drift"]))
    assert len(found) == 25 and all(i.title.startswith("drift") for i in found)
    listed = fake.seen("GET", f"/repos/{REPO}/issues")
    assert [s.query.get("page", ["1"])[0] for s in listed] == ["1", "2", "3"]
    assert all(s.query["labels"] == ["drift"] for s in listed)  # the Link kept the filter


def test_dispatches_are_recorded(fake: FakeGitHub) -> None:
    repo = client(fake).get_repo(REPO)
    created = fake.add_workflow(REPO, ".github/workflows/retrain.yml", name="Retrain")
    assert repo.create_repository_dispatch("shipml-retrain", {"reason": "drift", "columns": 3}) is True
    assert repo.get_workflow("retrain.yml").create_dispatch("main", {"reason": "drift"}, throw=True) is True
    run = repo.get_workflow(created["id"]).create_dispatch("main", throw=True, return_run_details=True)
    assert not isinstance(run, bool)
    first, second, third = fake.dispatches(REPO)
    assert (first.kind, first.event_type, first.client_payload) == (
        "repository",
        "shipml-retrain",
        {"reason": "drift", "columns": 3},
    )
    assert (second.kind, second.workflow, second.ref, second.inputs) == (
        "workflow",
        ".github/workflows/retrain.yml",
        "main",
        {"reason": "drift"},
    )
    assert third.run_id == run.id and run.html_url.endswith(f"/actions/runs/{run.id}")
    with pytest.raises(UnknownObjectException):
        repo.get_workflow("missing.yml")
    assert repo.create_repository_dispatch("") is False  # PyGithub reports the 422 as False
    assert fake.seen("POST", f"/repos/{REPO}/dispatches")[-1].status == 422
    assert len(fake.dispatches(REPO)) == 3


def test_a_primary_rate_limit_is_waited_out_until_its_reset(fake: FakeGitHub) -> None:
    """With one correct ``X-RateLimit-Remaining: 0`` the client waits for the reset (issue 11 item 11)."""
    fake.inject_primary_rate_limit("GET", rf"^/repos/{REPO}$", reset_in=1)
    gh = client(fake, retry=GithubRetry(total=3))
    start = time.monotonic()
    assert gh.get_repo(REPO).full_name == REPO
    assert time.monotonic() - start >= 1.0
    assert [s.status for s in fake.seen("GET", f"/repos/{REPO}") if s.path == f"/repos/{REPO}"] == [403, 200]
