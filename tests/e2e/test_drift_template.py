"""workflows-templates/shipml-drift.yml under act, from a user-style repository, against the FAKE GitHub API.

The template runs as a user would copy it (its `uses: shipml/shipml/actions/...@v1` mapped to
this checkout); only `actions/setup-python` is dropped (act runs the job on the host, whose
Python is used, and cannot download actions). tests/support/fake_github.py is a fake of GitHub's
REST API on 127.0.0.1; the test reads the issue and the recorded dispatch back from it.
"""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLE, REPO
from tests.support.act import UserRepo
from tests.support.fake_github import FakeGitHub

OWNER_REPO = "acme/churn"
TOKEN = "ghs_FAKEdriftToken000000000000000000000"
TEMPLATE = REPO / "workflows-templates" / "shipml-drift.yml"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_token(TOKEN)
        server.add_workflow(OWNER_REPO, ".github/workflows/shipml-release.yml", name="shipml release")
        yield server


def _drifted(shift: float) -> str:
    """Recent data whose numeric columns moved: dataset drift, beyond the example's policy."""
    rows = list(csv.reader((EXAMPLE / "data" / "new.csv").read_text().splitlines()))
    header = rows[0]
    for name in ("tenure_months", "monthly_charges", "total_charges", "support_calls"):
        col = header.index(name)
        for row in rows[1:]:
            row[col] = str(round(float(row[col]) * shift + 3, 2))
    for row in rows[1:]:
        row[header.index("region")] = "north"
        row[header.index("internet_service")] = "dsl"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _template_as_user_workflow() -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads a bare `on` as true; act wants it back
    job = workflow["jobs"]["drift"]
    job["steps"] = [s for s in job["steps"] if not str(s.get("uses", "")).startswith("actions/setup-python@")]
    job["steps"].append(
        {
            "name": "collect",
            "if": "always()",
            "env": {
                "URL": "${{ steps.issue.outputs.issue-url }}",
                "DISPATCHED": "${{ steps.issue.outputs.dispatched }}",
                "VALIDATE": "${{ steps.validate.outcome }}",
            },
            "run": 'mkdir -p "$SHIPML_TEST_OUT/outputs"\n'
            'printf %s "$URL" > "$SHIPML_TEST_OUT/outputs/issue-url"\n'
            'printf %s "$DISPATCHED" > "$SHIPML_TEST_OUT/outputs/dispatched"\n'
            'printf %s "$VALIDATE" > "$SHIPML_TEST_OUT/outputs/validate"',
        }
    )
    return workflow


def test_drift_template_opens_then_updates_one_issue_and_dispatches_retraining(
    user_repo: UserRepo, fake: FakeGitHub
) -> None:
    for part in ("shipml.yaml", "data", "expectations"):
        user_repo.copy_in(EXAMPLE / part, part)
    user_repo.write("data/recent.csv", _drifted(1.6))
    user_repo.write(
        ".github/workflows/test.yml", yaml.safe_dump(_template_as_user_workflow(), sort_keys=False)
    )
    subprocess.run(
        ["git", "remote", "add", "origin", f"https://github.com/{OWNER_REPO}.git"],
        cwd=user_repo.root,
        check=True,
    )
    env = {"SHIPML_COMMENT__API_URL": fake.url, "SHIPML_COMMENT__WRITE_INTERVAL": "0"}

    first = user_repo.run(event="workflow_dispatch", payload={}, env=env, secrets={"GITHUB_TOKEN": TOKEN})
    assert first.returncode != 0, "drift fails the run (red while the data drifts)"
    assert first.outputs["validate"] == "failure", first.log[-6000:]
    assert TOKEN not in first.log and "Traceback" not in first.log
    (issue,) = fake.issues(OWNER_REPO)
    assert issue["title"] == "Data drift: churn" and issue["state"] == "open"
    body = str(issue["body"])
    assert body.startswith("<!-- shipml:issue:data-drift-churn -->\n") and "Don't ship" in body
    assert "monthly_charges" in body  # the drift table names the drifted columns
    assert [label["name"] for label in issue["labels"]] == ["data-drift"]
    assert first.outputs["issue-url"] == issue["html_url"]
    (dispatched,) = fake.dispatches(OWNER_REPO)
    assert dispatched.workflow == ".github/workflows/shipml-release.yml" and dispatched.ref == "main"
    assert first.outputs["dispatched"] == "shipml-release.yml@main"

    # the next scheduled run: still drifting (differently): the same issue is updated, no new dispatch
    user_repo.write("data/recent.csv", _drifted(2.2))
    second = user_repo.run(event="workflow_dispatch", payload={}, env=env, secrets={"GITHUB_TOKEN": TOKEN})
    assert second.outputs["validate"] == "failure", second.log[-6000:]
    (again,) = fake.issues(OWNER_REPO)
    assert again["number"] == issue["number"] and again["body"] != issue["body"]
    assert len(fake.seen("POST", f"/repos/{OWNER_REPO}/issues")) == 1
    assert len(fake.dispatches(OWNER_REPO)) == 1
    assert second.outputs["issue-url"] == issue["html_url"] and second.outputs["dispatched"] == ""
