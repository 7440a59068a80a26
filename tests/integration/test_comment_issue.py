"""``shipml comment --issue``: a scheduled check's ONE issue, kept through PyGithub on the FAKE GitHub API.

tests/support/fake_github.py is a real HTTP server on 127.0.0.1 speaking GitHub's
wire protocol; the CLI runs as a subprocess exactly as a workflow step would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun, run_shipml
from tests.support.fake_github import FakeGitHub
from tests.unit.test_report_golden import FIXTURES

pytestmark = pytest.mark.integration

REPO = "acme/churn"
TOKEN = "ghs_FAKEissueToken0123456789abcdefghij"
PAT = "ghp_FAKEpersonalToken0123456789abcdefgh"
TITLE = "Data drift: churn"
KEY = "<!-- shipml:issue:data-drift-churn -->"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_token(TOKEN)  # acts as github-actions[bot], like a workflow's GITHUB_TOKEN
        server.add_token(PAT, login="release-bot")
        server.add_workflow(REPO, ".github/workflows/retrain.yml", name="retrain")
        yield server


def drift(fake: FakeGitHub, fixture: str, *args: str, token: str = TOKEN) -> CliRun:
    return drift_result(fake, fixture, *args, token=token)[0]


def drift_result(
    fake: FakeGitHub, fixture: str, *args: str, token: str = TOKEN, out: Path | None = None
) -> tuple[CliRun, dict[str, Any]]:
    extra = ["--result-file", str(out)] if out else []
    run = run_shipml(
        "comment",
        "--post",
        "--repo",
        REPO,
        "--api-url",
        fake.url,
        "--results",
        str(FIXTURES / fixture),
        "--issue",
        TITLE,
        *extra,
        *args,
        env={"SHIPML_COMMENT__WRITE_INTERVAL": "0", "SHIPML_COMMENT__BACKOFF": "0.01", "GITHUB_TOKEN": token},
        timeout=120,
    )
    assert token not in run.output, "the token was printed"
    assert "Traceback" not in run.output
    details: dict[str, Any] = json.loads(out.read_text())["details"] if out and run.code == 0 else {}
    return run, details


def marked(fake: FakeGitHub) -> list[dict[str, object]]:
    return [i for i in fake.issues(REPO) if str(i["body"] or "").startswith(KEY)]


def test_drift_opens_one_issue_then_updates_it_and_dispatches_once(fake: FakeGitHub, tmp_path: Path) -> None:
    args = ("--issue-label", "data-drift", "--dispatch", "retrain.yml")
    first, details = drift_result(fake, "fail", *args, out=tmp_path / "first.json")
    assert first.code == 0, first.output
    (opened,) = marked(fake)
    assert opened["title"] == TITLE and opened["state"] == "open"
    assert "Don't ship" in str(opened["body"]) and "Data validation" in str(opened["body"])
    assert [label["name"] for label in opened["labels"]] == ["data-drift"]  # type: ignore[attr-defined]
    (started,) = fake.dispatches(REPO)
    assert started.workflow == ".github/workflows/retrain.yml" and started.ref == "main"
    assert details["issue_action"] == "created" and details["dispatched"] == "retrain.yml@main"
    assert details["issue_number"] == opened["number"]

    second, details = drift_result(fake, "look", *args, out=tmp_path / "second.json")
    assert second.code == 0, second.output
    (updated,) = marked(fake)
    assert updated["number"] == opened["number"] and updated["body"] != opened["body"]
    assert "Needs a look" in str(updated["body"])
    assert len(fake.dispatches(REPO)) == 1, "retraining starts once per episode, not on every run"
    assert details["issue_action"] == "updated" and details.get("dispatched") is None
    assert len(fake.issues(REPO)) == 1


def test_back_within_policy_closes_the_issue_and_nothing_happens_without_one(fake: FakeGitHub) -> None:
    quiet = drift(fake, "pass")
    assert quiet.code == 0, quiet.output
    assert fake.issues(REPO) == [] and not fake.seen("PATCH")
    assert drift(fake, "fail").code == 0
    resolved = drift(fake, "pass")
    assert resolved.code == 0, resolved.output
    (closed,) = marked(fake)
    assert closed["state"] == "closed" and closed["state_reason"] == "completed"
    assert "Back within policy" in str(closed["body"]) and "🚀 Ship" in str(closed["body"])
    # a later problem is a new episode: a new issue, the closed one stays history
    assert drift(fake, "fail").code == 0
    assert [i["state"] for i in marked(fake)] == ["closed", "open"]


def test_a_persons_issue_with_the_marker_is_never_taken_over(fake: FakeGitHub) -> None:
    squatter = fake.add_issue(REPO, TITLE, f"{KEY}\nI copied this marker", login="someone")
    run = drift(fake, "fail")
    assert run.code == 0, run.output
    issues = fake.issues(REPO)
    assert len(issues) == 2
    assert next(i for i in issues if i["number"] == squatter["number"])["body"] == squatter["body"]
    assert drift(fake, "pass").code == 0
    assert next(i for i in fake.issues(REPO) if i["number"] == squatter["number"])["state"] == "open"


def test_duplicates_from_earlier_runs_are_closed_keeping_the_oldest(fake: FakeGitHub) -> None:
    for _ in range(2):
        fake.add_issue(REPO, TITLE, f"{KEY}\nold", login="github-actions[bot]")
    run = drift(fake, "fail")
    assert run.code == 0, run.output
    first, second = marked(fake)
    assert first["state"] == "open" and "Don't ship" in str(first["body"])
    assert second["state"] == "closed" and second["state_reason"] == "not_planned"


def test_a_personal_token_needs_issue_author(fake: FakeGitHub) -> None:
    run = drift(fake, "fail", token=PAT)
    assert run.code == 0 and "--issue-author release-bot" in run.output, run.output
    assert drift(fake, "fail", "--issue-author", "release-bot", token=PAT).code == 0
    assert len(marked(fake)) == 1, "with --issue-author the same issue is found again"


def test_two_titles_keep_two_issues_and_an_explicit_marker_wins(fake: FakeGitHub) -> None:
    assert drift(fake, "fail").code == 0
    other = run_shipml(
        "comment", "--post", "--repo", REPO, "--api-url", fake.url, "--results", str(FIXTURES / "fail"),
        "--issue", "Data drift: fraud", "--marker", "fraud",
        env={"SHIPML_COMMENT__WRITE_INTERVAL": "0", "GITHUB_TOKEN": TOKEN},
    )  # fmt: skip
    assert other.code == 0, other.output
    bodies = sorted(str(i["body"]).splitlines()[0] for i in fake.issues(REPO))
    assert bodies == ["<!-- shipml:fraud -->", KEY]


def test_bad_dispatch_input_fails_before_posting_and_a_missing_workflow_exits_2(fake: FakeGitHub) -> None:
    typo = drift(fake, "fail", "--dispatch", "retrain")
    assert typo.code == 2 and "--dispatch 'retrain'" in typo.output
    assert fake.issues(REPO) == []
    missing = drift(fake, "fail", "--dispatch", "nope.yml")
    assert missing.code == 2 and "no workflow 'nope.yml'" in missing.output
    lonely = run_shipml("comment", "--no-post", "--results", str(FIXTURES / "fail"), "--dispatch", "x.yml")
    assert lonely.code == 2 and "--dispatch needs --issue" in lonely.output


def test_read_only_token_exits_3_naming_the_permission(fake: FakeGitHub) -> None:
    fake.add_token("ghs_FAKEreadOnly000000000000000000000000", write=False)
    run = drift(fake, "fail", token="ghs_FAKEreadOnly000000000000000000000000")
    assert run.code == 3 and "issues: write" in run.output, run.output
