"""actions/pr-comment under act, from a user repository, on a pull_request event.

The action posts to tests/support/fake_github.py, a FAKE of GitHub's REST API running in
this test process on 127.0.0.1 (act runs the job on the host), and the test reads
the comment back from it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.support.act import UserRepo
from tests.support.fake_github import FakeGitHub
from tests.unit.test_report_golden import FIXTURES

REPO = "acme/churn"
PR = 42
SHA = "3f1c9e2b7a4d5e6f8091a2b3c4d5e6f708192a3b"
TOKEN = "ghs_FAKEe2eToken00000000000000000000000"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_token(TOKEN)
        server.add_pull(REPO, PR, SHA)
        yield server


def _pull_request_event() -> dict[str, object]:
    return {
        "action": "synchronize",
        "number": PR,
        "pull_request": {
            "number": PR,
            "head": {"sha": SHA, "ref": "better-model"},
            "base": {"sha": "b" * 40, "ref": "main"},
        },
        "repository": {"full_name": REPO},
    }


def test_pr_comment_action_posts_and_updates_one_comment(user_repo: UserRepo, fake: FakeGitHub) -> None:
    user_repo.copy_in(FIXTURES / "fail", "results")
    subprocess.run(
        ["git", "remote", "add", "origin", f"https://github.com/{REPO}.git"], cwd=user_repo.root, check=True
    )
    user_repo.workflow(
        [
            {
                "id": "comment",
                "uses": "shipml/shipml/actions/pr-comment@v1",
                "with": {"results": "results", "status-context": "shipml/gate"},
            }
        ],
        on="pull_request",
        permissions={"contents": "read", "pull-requests": "write", "statuses": "write"},
        collect={
            "comment-url": "${{ steps.comment.outputs.comment-url }}",
            "comment-id": "${{ steps.comment.outputs.comment-id }}",
            "verdict": "${{ steps.comment.outputs.verdict }}",
            "status": "${{ steps.comment.outputs.status }}",
        },
    )
    env = {"SHIPML_COMMENT__API_URL": fake.url, "SHIPML_COMMENT__WRITE_INTERVAL": "0"}
    run = user_repo.run(
        event="pull_request", payload=_pull_request_event(), env=env, secrets={"GITHUB_TOKEN": TOKEN}
    )
    assert run.returncode == 0, run.log[-4000:]
    assert TOKEN not in run.log
    comments = fake.comments(REPO, PR)
    assert len(comments) == 1
    body = str(comments[0]["body"])
    assert body.startswith("<!-- shipml:report -->\n### ⛔ Don't ship")
    assert f"[`{SHA[:7]}`](https://github.com/{REPO}/commit/{SHA})" in body
    assert run.outputs["comment-id"] == str(comments[0]["id"])
    assert run.outputs["comment-url"] == comments[0]["html_url"]
    assert run.outputs["verdict"] == "dont-ship" and run.outputs["status"] == "passed"
    (status,) = fake.statuses(REPO, SHA)
    assert status["state"] == "failure" and status["context"] == "shipml/gate"
    assert "⛔ Don't ship" in run.summary and "#### Data validation" in run.summary
    assert all(s.authorization == f"token {TOKEN}" for s in fake.requests)

    # a new push to the PR: the same comment is edited, not a second one added
    user_repo.copy_in(FIXTURES / "pass", "results")
    run = user_repo.run(
        event="pull_request", payload=_pull_request_event(), env=env, secrets={"GITHUB_TOKEN": TOKEN}
    )
    assert run.returncode == 0, run.log[-4000:]
    comments = fake.comments(REPO, PR)
    assert len(comments) == 1 and "### 🚀 Ship" in str(comments[0]["body"])
    assert len(fake.seen("PATCH")) == 1
