"""Every response the GitHub FAKE serves, checked against GitHub's own OpenAPI description.

The fake (tests/support/fake_github.py) is the only fake this project allows, so it
must answer as GitHub documents: each route is driven through PyGithub (the real
client) for its normal answers and through plain HTTP for injected and natural
errors (5xx, 401, 403 forbidden, primary and secondary rate limits, 404, 409, 422),
and every recorded response (status, headers as sent, body) is validated against
the spec's schema for that operation and status (tests/support/github_openapi.py,
npm @octokit/openapi pinned). The spec is fetched into a cache outside the repo on
first use; when it cannot be, these tests fail, they never skip.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from github import Auth, Github, GithubException
from github.CommitStatus import CommitStatus
from github.PaginatedList import PaginatedList

from tests.support.fake_github import FakeGitHub
from tests.support.github_openapi import (
    GRAPHQL,
    REST,
    ResponseChecker,
    SpecUnavailable,
    graphql_problems,
    link_urls,
)

pytestmark = pytest.mark.integration

REPO = "acme/churn"
PR = 42
SHA = "3f1c9e2b7a4d5e6f8091a2b3c4d5e6f708192a3b"
TOKEN = "ghs_FAKEtokenForTheSpecCheck0123456789ab"
READ_ONLY = "ghs_FAKEreadOnlyForTheSpecCheck01234567"
ERRORS_COVERED = {401, 403, 404, 409, 422, 429, 500, 502, 503}


@pytest.fixture(scope="module")
def checker() -> ResponseChecker:
    return ResponseChecker()  # raises SpecUnavailable (a failure, not a skip) without the spec


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_token(TOKEN)
        server.add_token(READ_ONLY, write=False)
        server.add_pull(REPO, PR, SHA)
        yield server


def call(
    fake: FakeGitHub, method: str, path: str, payload: Any = None, *, token: str = TOKEN
) -> tuple[int, list[tuple[str, str]], Any]:
    """One request with no client logic in the way (PyGithub would retry injected faults)."""
    data = None if payload is None else json.dumps(payload).encode()
    url = path if path.startswith("http") else fake.url + path
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Authorization": f"token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, response.getheaders(), json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, list(error.headers.items()), json.loads(raw) if raw else None


def client(fake: FakeGitHub, *, per_page: int = 30, retry: Any = None) -> Github:
    """PyGithub as shipml builds it, minus its default throttle (0.25 s per request, 1 s per write)."""
    return Github(
        base_url=fake.url,
        auth=Auth.Token(TOKEN),
        per_page=per_page,
        retry=retry,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def drive_every_route(fake: FakeGitHub) -> None:
    """Normal answers of every route, through PyGithub, with lists long enough to paginate."""
    gh = client(fake, per_page=2)
    repo = gh.get_repo(REPO)
    assert repo.full_name == REPO
    assert repo.get_pull(PR).head.sha == SHA
    assert repo.get_issue(PR).pull_request is not None
    issue = repo.get_issue(PR)
    posted = [issue.create_comment(f"comment {i}") for i in range(3)]
    assert [c.body for c in issue.get_comments()] == ["comment 0", "comment 1", "comment 2"]
    assert repo.get_issue(PR).get_comment(posted[0].id).body == "comment 0"  # GET comments/{id}
    posted[0].edit("edited")
    posted[1].delete()
    commit = repo.get_commit(SHA)
    for state in ("pending", "failure", "success"):
        commit.create_status(state, description=state, context="shipml/gate")
    # Commit.get_statuses() reads GET /statuses/{sha}, a path GitHub does not document; the
    # documented list is /commits/{ref}/statuses, followed here with PyGithub's own paging.
    listed = PaginatedList(CommitStatus, gh.requester, f"{repo.url}/commits/{SHA}/statuses", None)
    assert [s.state for s in listed] == ["success", "failure", "pending"]

    for i in range(3):
        repo.create_issue(f"drift {i}", body="<!-- shipml:drift -->", labels=["drift", "shipml"])
    # PyGithub's annotation says NamedUser; its code (and GitHub) take a login.
    found = repo.get_issues(state="open", labels=["drift"], creator=fake.bot_login)  # type: ignore[arg-type]
    assert sorted(i.title for i in found) == ["drift 0", "drift 1", "drift 2"]
    repo.get_issue(found[0].number).edit(state="closed", body="resolved")

    deployments = [
        repo.create_deployment(SHA, environment="staging", required_contexts=[], auto_merge=False)
        for _ in range(3)
    ]
    first = repo.get_deployment(deployments[0].id)
    for state in ("queued", "in_progress", "success"):
        first.create_status(state, environment_url="https://staging.example.com", description=state)
    statuses = list(first.get_statuses())
    assert [s.state for s in statuses] == ["success", "in_progress", "queued"]
    assert first.get_status(statuses[0].id).state == "success"
    assert len(list(repo.get_deployments(environment="staging"))) == 3

    fake.add_approval(REPO, 9001, login="release-manager", environments=["production"], comment="ship it")
    _, approvals = gh.requester.requestJsonAndCheck("GET", f"{repo.url}/actions/runs/9001/approvals")
    assert isinstance(approvals, list) and approvals[0]["user"]["login"] == "release-manager"

    fake.add_workflow(REPO, ".github/workflows/retrain.yml", name="retrain")
    workflow = repo.get_workflow("retrain.yml")
    assert workflow.create_dispatch("main", {"reason": "drift"}, throw=True) is True
    run = workflow.create_dispatch("main", throw=True, return_run_details=True)
    assert not isinstance(run, bool) and run.id > 0
    assert repo.create_repository_dispatch("retrain", {"why": "drift"}) is True


def drive_errors(fake: FakeGitHub) -> None:
    """The error answers: injected faults and the fake's own refusals."""
    base = f"/repos/{REPO}"
    expected: list[tuple[int, str, str, Any, str]] = [
        (401, "GET", base, None, "not-a-token"),
        (403, "POST", f"{base}/issues/{PR}/comments", {"body": "x"}, READ_ONLY),
        (403, "POST", f"{base}/deployments", {"ref": "main"}, READ_ONLY),
        (403, "POST", f"{base}/issues", {"title": "t"}, READ_ONLY),
        (403, "POST", f"{base}/dispatches", {"event_type": "x"}, READ_ONLY),
        (404, "GET", "/repos/nobody/nothing", None, TOKEN),
        (404, "GET", f"{base}/issues/comments/1", None, TOKEN),
        (404, "PATCH", f"{base}/issues/999", {"body": "x"}, TOKEN),
        (404, "GET", f"{base}/deployments/1", None, TOKEN),
        (404, "GET", f"{base}/actions/workflows/missing.yml", None, TOKEN),
        (404, "POST", f"{base}/actions/workflows/missing.yml/dispatches", {"ref": "main"}, TOKEN),
        (422, "POST", f"{base}/issues/{PR}/comments", {"body": "x" * 70_000}, TOKEN),
        (422, "POST", f"{base}/issues/{PR}/comments", {"body": ""}, TOKEN),
        (422, "POST", f"{base}/statuses/{SHA}", {"state": "green"}, TOKEN),
        (422, "POST", f"{base}/statuses/{SHA}", {"state": "success", "description": "d" * 141}, TOKEN),
        (422, "POST", f"{base}/issues", {"body": "no title"}, TOKEN),
        (422, "GET", f"{base}/issues?state=maybe", None, TOKEN),
        (422, "POST", f"{base}/deployments", {"environment": "staging"}, TOKEN),
        (422, "POST", f"{base}/dispatches", {"client_payload": {}}, TOKEN),
        (422, "GET", f"{base}/issues/{PR}/comments?per_page=x", None, TOKEN),
    ]
    fake.add_workflow(REPO, ".github/workflows/nightly.yml")
    expected.append((422, "POST", f"{base}/actions/workflows/nightly.yml/dispatches", {"inputs": {}}, TOKEN))
    for status, method, path, payload, token in expected:
        got = call(fake, method, path, payload, token=token)[0]
        assert got == status, f"{method} {path}: {got}"
    # 409: a deployment whose commit has a failing status and no required_contexts override.
    call(fake, "POST", f"{base}/statuses/{SHA}", {"state": "failure", "context": "ci"})
    assert call(fake, "POST", f"{base}/deployments", {"ref": SHA})[0] == 409
    deployment = call(fake, "POST", f"{base}/deployments", {"ref": SHA, "required_contexts": []})[2]
    did = deployment["id"]
    assert call(fake, "POST", f"{base}/deployments/{did}/statuses", {"state": "done"})[0] == 422
    assert call(fake, "GET", f"{base}/deployments/{did}/statuses/1")[0] == 404
    # Injected faults on reads and writes.
    fake.inject("GET", r"/issues/\d+/comments$", 500)
    fake.inject("GET", r"/deployments$", 502)
    fake.inject("POST", r"/statuses/", 503)
    fake.inject_primary_rate_limit("GET", r"/issues$", reset_in=60)
    fake.inject_primary_rate_limit("POST", r"/deployments$", reset_in=60, status=429)
    fake.inject_secondary_rate_limit("PATCH", r"/issues/comments/\d+$", retry_after=30)
    comment = call(fake, "POST", f"{base}/issues/{PR}/comments", {"body": "hello"})[2]
    assert call(fake, "GET", f"{base}/issues/{PR}/comments")[0] == 500
    assert call(fake, "GET", f"{base}/deployments")[0] == 502
    assert call(fake, "POST", f"{base}/statuses/{SHA}", {"state": "success"})[0] == 503
    assert call(fake, "GET", f"{base}/issues")[0] == 403
    assert call(fake, "POST", f"{base}/deployments", {"ref": SHA, "required_contexts": []})[0] == 429
    assert call(fake, "PATCH", f"{base}/issues/comments/{comment['id']}", {"body": "x"})[0] == 403


def test_every_response_matches_githubs_description(fake: FakeGitHub, checker: ResponseChecker) -> None:
    drive_every_route(fake)
    drive_errors(fake)
    rest = [s for s in fake.requests if s.template != "/graphql"]
    problems = [
        f"{s.method} {s.path} -> {p}"
        for s in rest
        for p in checker.problems(s.method, s.path, s.status, s.headers, s.response)
    ]
    assert problems == [], "\n".join(problems)
    served = {(s.method, s.template) for s in rest if s.status < 300}
    assert sorted(set(fake.routes()) - served) == [], "routes never driven to a success"
    errors = {s.status for s in rest if s.status >= 400}
    assert errors >= ERRORS_COVERED, f"error statuses not exercised: {ERRORS_COVERED - errors}"
    for method, template in fake.routes():  # the fake's routes are GitHub's own operations
        op = checker.operation(method, template)
        assert op is not None and op.template == template, f"{method} {template} is not in GitHub's API"


def test_links_and_locations_lead_where_they_say(fake: FakeGitHub, checker: ResponseChecker) -> None:
    drive_every_route(fake)
    recorded = list(fake.requests)
    followed = 0
    for seen in recorded:
        for name, value in seen.headers:
            if name.lower() == "link":
                for rel, url in link_urls(value):
                    status, _, body = call(fake, "GET", url)
                    assert status == 200 and isinstance(body, list), f'{seen.path} rel="{rel}" {url}'
                    followed += 1
            if name.lower() == "location":
                assert value == seen.response["url"], (
                    f"{seen.path}: Location {value} is not the created object"
                )
                path = urlsplit(value).path
                op = checker.operation("GET", path)
                deleted = any(d.method == "DELETE" and d.path == path for d in recorded)
                if op is not None and not deleted:  # /statuses/{sha} has no GET in GitHub's API
                    status, _, body = call(fake, "GET", value)
                    assert status == 200 and body["id"] == seen.response["id"], value
                    followed += 1
    pages = {s.template for s in recorded if any(k.lower() == "link" for k, _ in s.headers)}
    assert {
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        "/repos/{owner}/{repo}/commits/{ref}/statuses",
        "/repos/{owner}/{repo}/issues",
        "/repos/{owner}/{repo}/deployments",
        "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
    } <= pages
    assert followed >= 10


def test_injected_rate_limit_headers_replace_the_defaults(fake: FakeGitHub) -> None:
    fake.inject_primary_rate_limit("GET", rf"^/repos/{REPO}$", reset_in=120)
    status, headers, _ = call(fake, "GET", f"/repos/{REPO}")
    assert status == 403
    remaining = [v for k, v in headers if k.lower() == "x-ratelimit-remaining"]
    assert remaining == ["0"]
    # Afterwards the quota counts down from the limit, one per request.
    used = [
        int(v) for _ in range(2) for k, v in call(fake, "GET", f"/repos/{REPO}")[1] if k == "X-RateLimit-Used"
    ]
    assert used[1] == used[0] + 1


def _problems(
    checker: ResponseChecker, path: str, status: int, headers: list[tuple[str, str]], body: Any
) -> str:
    return "\n".join(checker.problems("GET" if status != 201 else "POST", path, status, headers, body))


def test_the_checker_catches_what_the_old_fake_got_wrong(fake: FakeGitHub, checker: ResponseChecker) -> None:
    """The check is only worth something if it fails: feed it the shapes the fake used to send."""
    status, headers, body = call(fake, "GET", f"/repos/{REPO}/pulls/{PR}")
    assert _problems(checker, f"/repos/{REPO}/pulls/{PR}", status, headers, body) == ""
    doubled = [*headers, ("X-RateLimit-Remaining", "0")]
    assert "x-ratelimit-remaining sent 2 times" in _problems(
        checker, f"/repos/{REPO}/pulls/{PR}", 200, doubled, body
    )
    thin_user = {k: body["user"][k] for k in ("login", "id", "url", "html_url", "type")}
    assert "'followers_url' is a required property" in _problems(
        checker, f"/repos/{REPO}/pulls/{PR}", 200, headers, {**body, "user": thin_user}
    )
    statuses = f"/repos/{REPO}/commits/{SHA}/statuses"
    bad_link = [*headers, ("Link", f'<{fake.url}/commits/{SHA}/statuses?per_page=1&page=2>; rel="next"')]
    assert "not the listed resource" in _problems(checker, statuses, 200, bad_link, [])
    created = call(fake, "POST", f"/repos/{REPO}/issues/{PR}/comments", {"body": "hi"})
    no_location = [(k, v) for k, v in created[1] if k.lower() != "location"]
    comments = f"/repos/{REPO}/issues/{PR}/comments"
    assert "201 Created without Location" in _problems(checker, comments, 201, no_location, created[2])
    reactions = {**created[2], "reactions": {"url": created[2]["reactions"]["url"], "total_count": 0}}
    assert "'+1' is a required property" in _problems(checker, comments, 201, created[1], reactions)
    assert "not documented" in _problems(checker, comments, 204, created[1], None)


def test_the_graphql_mutation_matches_githubs_schema(fake: FakeGitHub) -> None:
    """``minimizeComment`` (the sticky comment's hide mode): request and every answer vs GitHub's schema."""
    issue = client(fake).get_repo(REPO).get_issue(PR)
    comment = issue.create_comment("an old report")
    assert comment.minimize("OUTDATED") is True
    assert fake.minimized == {comment.id: "OUTDATED"}
    read_only = Github(base_url=fake.url, auth=Auth.Token(READ_ONLY), retry=None, seconds_between_writes=0)
    with pytest.raises(GithubException):
        read_only.get_repo(REPO).get_issue(PR).get_comment(comment.id).minimize("OUTDATED")  # FORBIDDEN
    ghost = {"subjectId": "IC_kwDOnothing", "classifier": "OUTDATED"}
    with pytest.raises(GithubException):
        client(fake).requester.graphql_named_mutation(
            "minimizeComment", ghost, "minimizedComment { isMinimized }"
        )
    sent = fake.seen("POST", "/graphql")
    assert len(sent) == 3 and {type(s.response.get("errors")) for s in sent} == {type(None), list}
    for seen in sent:
        assert seen.body is not None
        assert graphql_problems(seen.body, seen.response) == [], seen.response
    # ... and the check can fail: a wrong type, a missing field, an unknown classifier.
    request = sent[0].body
    assert request is not None
    wrong = {"data": {"minimizeComment": {"minimizedComment": {"isMinimized": "yes"}}}}
    assert "is not a Boolean" in " ".join(graphql_problems(request, wrong))
    missing: dict[str, Any] = {"data": {"minimizeComment": {"minimizedComment": {}}}}
    assert "selected but missing" in " ".join(graphql_problems(request, missing))
    bad_input = {**request, "variables": {"input": {**ghost, "classifier": "OLD"}}}
    assert "does not exist in 'ReportedContentClassifiers'" in " ".join(graphql_problems(bad_input, wrong))


def test_a_missing_spec_is_an_error_that_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No skip when the description cannot be had: the error names the cause and the fix."""
    monkeypatch.setenv("SHIPML_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm
    with pytest.raises(
        SpecUnavailable, match=r"npm is not on PATH: install Node\.js/npm to fetch @octokit/openapi"
    ):
        REST.fetch()


def test_a_package_that_is_not_the_pinned_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPML_CACHE", str(tmp_path))
    tampered = dataclasses.replace(GRAPHQL, integrity="sha512-" + "A" * 86 + "==")
    with pytest.raises(SpecUnavailable, match="does not match the pinned integrity"):
        tampered.fetch()
    assert not tampered.path.exists()
    assert not any(tmp_path.rglob("*.graphql"))  # nothing half-fetched left behind
