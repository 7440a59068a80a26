"""``shipml comment`` posting through PyGithub to tests/support/fake_github.py, a FAKE of GitHub's REST API.

The fake is a real HTTP server on 127.0.0.1 speaking GitHub's wire protocol (see
its docstring); the CLI runs as a subprocess exactly as a workflow step would.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CliRun, run_shipml
from tests.support.fake_github import FakeGitHub
from tests.unit.test_report_golden import FIXTURES
from tests.unit.test_report_limits import _huge

pytestmark = pytest.mark.integration

REPO = "acme/churn"
PR = 42
SHA = "3f1c9e2b7a4d5e6f8091a2b3c4d5e6f708192a3b"
TOKEN = "ghs_FAKEtokenDoNotPrint0123456789abcdef"
READ_ONLY = "ghs_FAKEforkTokenReadOnly0123456789abc"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_token(TOKEN)
        server.add_token(READ_ONLY, write=False)
        server.add_pull(REPO, PR, SHA)
        yield server


def comment(
    fake: FakeGitHub, *args: str, token: str | None = TOKEN, env: dict[str, str] | None = None
) -> CliRun:
    base = {"SHIPML_COMMENT__WRITE_INTERVAL": "0", "SHIPML_COMMENT__BACKOFF": "0.01"}
    if token:
        base["GITHUB_TOKEN"] = token
    run = run_shipml(
        "comment",
        "--post",
        "--repo",
        REPO,
        "--api-url",
        fake.url,
        *args,
        env={**base, **(env or {})},
        timeout=120,
    )
    assert TOKEN not in run.output and READ_ONLY not in run.output, "the token was printed"
    if "--debug" not in args:
        assert "Traceback" not in run.output
    return run


def results(name: str) -> str:
    return str(FIXTURES / name)


def ours(fake: FakeGitHub, key: str = "report") -> list[dict[str, object]]:
    return [c for c in fake.comments(REPO, PR) if str(c["body"]).startswith(f"<!-- shipml:{key} -->")]


def test_running_twice_edits_one_comment(fake: FakeGitHub) -> None:
    fake.add_comment(REPO, PR, "LGTM, but please look at the drift", login="reviewer")
    first = comment(fake, "--results", results("pass"), "--pr-number", str(PR))
    assert first.code == 0, first.output
    (posted,) = ours(fake)
    assert "🚀 Ship" in str(posted["body"])
    second = comment(fake, "--results", results("fail"), "--pr-number", str(PR))
    assert second.code == 0, second.output
    (edited,) = ours(fake)
    assert edited["id"] == posted["id"]
    assert "⛔ Don't ship" in str(edited["body"]) and "🚀 Ship" not in str(edited["body"])
    assert len(fake.seen("PATCH", f"/issues/comments/{posted['id']}")) == 1
    assert len(fake.comments(REPO, PR)) == 2  # the reviewer's comment is untouched
    assert (
        f"comment updated: https://github.com/{REPO}/pull/{PR}#issuecomment-{posted['id']}" in second.stdout
    )
    # identical content: nothing is written at all
    third = comment(fake, "--results", results("fail"), "--pr-number", str(PR))
    assert third.code == 0 and "comment unchanged" in third.stdout
    assert len(fake.seen("PATCH")) == 1


def test_a_second_marker_makes_a_second_comment(fake: FakeGitHub) -> None:
    assert comment(fake, "--results", results("pass"), "--pr-number", str(PR)).code == 0
    assert (
        comment(fake, "--results", results("look"), "--pr-number", str(PR), "--marker", "nightly").code == 0
    )
    assert (
        comment(fake, "--results", results("fail"), "--pr-number", str(PR), "--marker", "nightly").code == 0
    )
    assert len(ours(fake)) == 1 and len(ours(fake, "nightly")) == 1
    assert "🚀 Ship" in str(ours(fake)[0]["body"])
    assert "⛔ Don't ship" in str(ours(fake, "nightly")[0]["body"])


def test_recreate_mode_replaces_the_comment(fake: FakeGitHub) -> None:
    assert comment(fake, "--results", results("pass"), "--pr-number", str(PR)).code == 0
    (old,) = ours(fake)
    run = comment(fake, "--results", results("fail"), "--pr-number", str(PR), "--mode", "recreate")
    assert run.code == 0, run.output
    (new,) = ours(fake)
    assert new["id"] != old["id"]
    assert len(fake.seen("DELETE", f"/issues/comments/{old['id']}")) == 1
    assert "comment recreated" in run.stdout


def test_hide_mode_minimizes_the_old_comment_and_posts_a_new_one(fake: FakeGitHub) -> None:
    assert comment(fake, "--results", results("pass"), "--pr-number", str(PR)).code == 0
    (old,) = ours(fake)
    run = comment(fake, "--results", results("fail"), "--pr-number", str(PR), "--mode", "hide")
    assert run.code == 0, run.output
    (new,) = ours(fake)  # the hidden one no longer carries the current marker
    assert new["id"] != old["id"] and "⛔ Don't ship" in str(new["body"])
    assert fake.minimized == {old["id"]: "OUTDATED"}
    assert fake.seen("DELETE", f"/issues/comments/{old['id']}") == []
    assert "comment hidden-and-recreated" in run.stdout
    # A third run hides only the current comment, not the one already hidden.
    assert comment(fake, "--results", results("pass"), "--pr-number", str(PR), "--mode", "hide").code == 0
    assert set(fake.minimized) == {old["id"], new["id"]}
    assert len(ours(fake)) == 1


def test_the_marker_is_found_on_a_later_page(fake: FakeGitHub) -> None:
    for i in range(230):
        fake.add_comment(REPO, PR, f"chatter {i}")
    fake.add_comment(REPO, PR, "<!-- shipml:report -->\nold report", login="github-actions[bot]")
    for i in range(20):
        fake.add_comment(REPO, PR, f"more chatter {i}")
    run = comment(fake, "--results", results("pass"), "--pr-number", str(PR))
    assert run.code == 0, run.output
    (mine,) = ours(fake)
    assert "old report" not in str(mine["body"])
    pages = [s.query.get("page", ["1"])[0] for s in fake.seen("GET", f"/issues/{PR}/comments")]
    assert pages == ["1", "2", "3"]  # PyGithub followed the Link header, 100 per page
    assert all(s.query.get("per_page") == ["100"] for s in fake.seen("GET", f"/issues/{PR}/comments"))
    assert len(fake.comments(REPO, PR)) == 251


def test_duplicate_sticky_comments_are_cleaned_up(fake: FakeGitHub) -> None:
    fake.add_comment(REPO, PR, "<!-- shipml:report -->\nfirst", login="github-actions[bot]")
    fake.add_comment(REPO, PR, "<!-- shipml:report -->\nduplicate", login="github-actions[bot]")
    fake.add_comment(REPO, PR, "> <!-- shipml:report -->\n> quoted by a human", login="reviewer")
    assert comment(fake, "--results", results("pass"), "--pr-number", str(PR)).code == 0
    assert len(ours(fake)) == 1
    assert len(fake.comments(REPO, PR)) == 2  # the human's quote stays


def test_retries_with_backoff_on_5xx_including_patch(fake: FakeGitHub) -> None:
    assert comment(fake, "--results", results("pass"), "--pr-number", str(PR)).code == 0
    fake.inject("GET", r"/issues/\d+/comments$", 502, times=2)
    fake.inject("PATCH", r"/issues/comments/\d+$", 503, times=2)
    fake.inject("POST", r"/statuses/", 500, times=1)
    run = comment(
        fake, "--results", results("fail"), "--pr-number", str(PR), "--status-context", "shipml/gate"
    )
    assert run.code == 0, run.output
    assert [s.status for s in fake.seen("PATCH")] == [503, 503, 200]
    assert [s.status for s in fake.seen("POST", "/statuses/")] == [500, 201]
    assert "⛔ Don't ship" in str(ours(fake)[0]["body"])


def test_secondary_rate_limit_waits_for_retry_after(fake: FakeGitHub) -> None:
    fake.inject_secondary_rate_limit("POST", r"/issues/\d+/comments$", retry_after=1)
    start = time.monotonic()
    run = comment(fake, "--results", results("pass"), "--pr-number", str(PR))
    assert run.code == 0, run.output
    assert [s.status for s in fake.seen("POST")] == [403, 201]
    assert time.monotonic() - start >= 1.0  # it honoured Retry-After
    assert len(ours(fake)) == 1


def test_github_down_after_retries_exits_3(fake: FakeGitHub) -> None:
    fake.inject("GET", r"/issues/\d+/comments$", 503, times=100)
    run = comment(fake, "--results", results("pass"), "--pr-number", str(PR))
    assert run.code == 3, run.output
    assert "after 6 attempts" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert len(fake.seen("GET")) == 6  # 1 + 5 retries
    assert len([line for line in run.stderr.splitlines() if line.startswith("shipml comment: error")]) == 1


def test_github_unreachable_exits_3(fake: FakeGitHub, tmp_path: Path) -> None:
    run = run_shipml(
        "comment",
        "--post",
        "--repo",
        REPO,
        "--pr-number",
        str(PR),
        "--results",
        results("pass"),
        "--api-url",
        "http://127.0.0.1:9",
        env={"GITHUB_TOKEN": TOKEN, "SHIPML_COMMENT__BACKOFF": "0.01", "SHIPML_COMMENT__RETRIES": "2"},
    )
    assert run.code == 3, run.output
    assert "unreachable" in run.stderr and "after 3 attempts" in run.stderr
    assert "Traceback" not in run.output and TOKEN not in run.output


def test_fork_token_403_exits_3_and_explains_workflow_run(fake: FakeGitHub) -> None:
    run = comment(fake, "--results", results("pass"), "--pr-number", str(PR), token=READ_ONLY)
    assert run.code == 3, run.output
    assert "403: Resource not accessible by integration" in run.stderr
    assert "workflow_run" in run.stderr and "forks" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1  # one line, no library log noise
    assert ours(fake) == []
    debug = comment(fake, "--results", results("pass"), "--pr-number", str(PR), "--debug", token=READ_ONLY)
    assert debug.code == 3  # comment() also checked that --debug output holds no token


def test_missing_token_exits_2(fake: FakeGitHub) -> None:
    run = comment(fake, "--results", results("pass"), "--pr-number", str(PR), token=None)
    assert run.code == 2, run.output
    assert "no GitHub token" in run.stderr and "GITHUB_TOKEN" in run.stderr
    assert fake.requests == []


def test_unknown_pr_outside_a_pr_event_exits_2(fake: FakeGitHub, tmp_path: Path) -> None:
    folder = tmp_path / "results"
    shutil.copytree(FIXTURES / "pass", folder)
    for path in folder.glob("*.json"):  # results from a push run carry no PR number
        data = json.loads(path.read_text())
        data["pr_number"] = None
        path.write_text(json.dumps(data))
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/heads/main", "after": SHA}))
    run = comment(
        fake,
        "--results",
        str(folder),
        env={"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": REPO},
    )
    assert run.code == 2, run.output
    assert "no pull request number: this is a 'push' event" in run.stderr
    assert "--pr-number" in run.stderr and "pr-number" in run.stderr
    assert fake.requests == []


def _workflow_run_event(tmp_path: Path, head_sha: str) -> Path:
    event = tmp_path / "workflow_run.json"
    event.write_text(
        json.dumps(
            {
                "action": "completed",
                "workflow_run": {
                    "id": 777,
                    "head_sha": head_sha,
                    "event": "pull_request",
                    "pull_requests": [],
                },
                "repository": {"full_name": REPO},
            }
        )
    )
    return event


def test_workflow_run_mode_reads_the_pr_number_from_the_artifact(fake: FakeGitHub, tmp_path: Path) -> None:
    artifact = tmp_path / "artifact"
    shutil.copytree(FIXTURES / "fail", artifact)
    (artifact / "pr-number").write_text(f"{PR}\n")
    env = {
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_EVENT_PATH": str(_workflow_run_event(tmp_path, SHA)),
        "GITHUB_REPOSITORY": REPO,
    }
    run = comment(fake, "--results", str(artifact), "--status-context", "shipml/gate", env=env)
    assert run.code == 0, run.output
    (posted,) = ours(fake)
    assert "⛔ Don't ship" in str(posted["body"])
    assert fake.seen("GET", f"/pulls/{PR}")  # the artifact's claim was checked against GitHub
    (status,) = fake.statuses(REPO, SHA)
    assert status["state"] == "failure" and status["context"] == "shipml/gate"
    assert str(status["description"]).startswith("don't ship: gate failed")


def test_workflow_run_mode_refuses_a_pr_that_is_not_the_runs_commit(fake: FakeGitHub, tmp_path: Path) -> None:
    artifact = tmp_path / "artifact"
    shutil.copytree(FIXTURES / "pass", artifact)
    (artifact / "pr-number").write_text(f"{PR}\n")
    env = {
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_EVENT_PATH": str(_workflow_run_event(tmp_path, "f" * 40)),
        "GITHUB_REPOSITORY": REPO,
    }
    run = comment(fake, "--results", str(artifact), env=env)
    assert run.code == 0, run.output
    assert "not posting" in run.output
    assert ours(fake) == [] and fake.seen("POST") == []


def test_status_and_summary_and_output_file(fake: FakeGitHub, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    outputs = tmp_path / "outputs"
    out = tmp_path / "report" / "pr.md"
    run = comment(
        fake,
        "--results",
        results("look"),
        "--pr-number",
        str(PR),
        "--status-context",
        "shipml/gate",
        "--output",
        str(out),
        env={"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)},
    )
    assert run.code == 0, run.output
    (posted,) = ours(fake)
    report = out.read_text()
    assert str(posted["body"]) == f"<!-- shipml:report -->\n{report}"
    assert report in summary.read_text()
    assert f"report written to {out}" in run.stdout
    (status,) = fake.statuses(REPO, SHA)
    # An inconclusive gate must not turn a required check green (comment.inconclusive_status).
    assert status["state"] == "failure" and str(status["description"]).startswith("needs a look")
    assert status["target_url"] == posted["html_url"]
    written = outputs.read_text()
    assert f"comment-id={posted['id']}" in written and f"comment-url={posted['html_url']}" in written
    assert "verdict=needs-a-look" in written


def test_a_report_over_githubs_limit_is_cut_and_still_posted(fake: FakeGitHub, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    run = comment(
        fake,
        "--results",
        str(_huge(tmp_path)),
        "--pr-number",
        str(PR),
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert run.code == 0, run.output
    (posted,) = ours(fake)
    body = str(posted["body"])
    assert len(body) <= 65_536
    assert "### ⛔ Don't ship" in body and "cut to fit GitHub's comment limit" in body
    assert len(summary.read_text()) > 200_000  # the job summary keeps everything
    assert "cut to fit" in run.output


@pytest.mark.parametrize("chosen", ["pending", "success"])
def test_inconclusive_status_is_the_projects_choice(fake: FakeGitHub, chosen: str) -> None:
    run = comment(
        fake,
        "--results",
        results("look"),
        "--pr-number",
        str(PR),
        "--status-context",
        "shipml/gate",
        env={"SHIPML_COMMENT__INCONCLUSIVE_STATUS": chosen},
    )
    assert run.code == 0, run.output
    (status,) = fake.statuses(REPO, SHA)
    assert status["state"] == chosen
