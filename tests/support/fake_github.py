"""A FAKE of GitHub's REST API, for tests only: a real HTTP server on 127.0.0.1.

GitHub cannot be reached from the test machines, so shipml's GitHub calls (through
PyGithub) are exercised against this stand-in. It is a fake, not GitHub: it
implements only the endpoints shipml uses, but speaks their real wire protocol
(paths, methods, status codes, JSON shapes with correct ``url``/``html_url``
fields, ``Location`` on 201, ``Link`` pagination with ``per_page``/``page`` that
keeps the query, rate-limit headers), so PyGithub runs unmodified against it.
Every response it serves is checked against GitHub's own OpenAPI description by
``tests/integration/test_fake_github_openapi.py`` (see ``github_openapi.py``).
Anything it does not implement answers 404 like GitHub does, which makes a test
fail loudly rather than pass by accident.

Endpoints (``routes()`` lists them as GitHub's spec spells them):
  GET    /repos/{o}/{r}                                   repository
  GET    /repos/{o}/{r}/pulls/{n}                         pull request (head sha)
  GET    /repos/{o}/{r}/issues?state=&labels=&creator=    issues and PRs, paginated
  POST   /repos/{o}/{r}/issues                            create an issue
  GET/PATCH /repos/{o}/{r}/issues/{n}                     issue (PRs are issues too)
  GET/POST  /repos/{o}/{r}/issues/{n}/comments            list (paginated) / create (422 above 65,536 chars)
  GET/PATCH/DELETE /repos/{o}/{r}/issues/comments/{id}
  POST   /repos/{o}/{r}/statuses/{sha}                    commit status
  GET    /repos/{o}/{r}/commits/{sha}/statuses            list statuses, paginated
  GET    /repos/{o}/{r}/commits/{sha}                     commit
  GET/POST  /repos/{o}/{r}/deployments                    Deployments (filter sha/ref/task/environment)
  GET    /repos/{o}/{r}/deployments/{id}
  GET/POST  /repos/{o}/{r}/deployments/{id}/statuses      (auto_inactive as documented)
  GET    /repos/{o}/{r}/deployments/{id}/statuses/{sid}
  GET    /repos/{o}/{r}/actions/runs/{run_id}/approvals   seeded with ``add_approval``
  GET    /repos/{o}/{r}/actions/workflows/{id or file}    seeded with ``add_workflow``
  POST   /repos/{o}/{r}/actions/workflows/{id}/dispatches recorded, see ``dispatches()``
  POST   /repos/{o}/{r}/dispatches                        repository_dispatch, recorded
  POST   /graphql                                         only the ``minimizeComment`` mutation

Faults can be injected per method and path: 5xx, primary rate limit (403,
``X-RateLimit-Remaining: 0``, a reset time), secondary rate limit (403 with
``Retry-After``), or anything else; injected headers replace the fixed ones.
Tokens are registered as write or read-only; a read-only token gets GitHub's
plain 403 "Resource not accessible by integration" on writes, as a fork PR's
``GITHUB_TOKEN`` does. Not modelled: deployment auto-merge (202), environments'
protection rules (seed approvals instead), ETags/conditional requests.

Run standalone for a demo: ``python -m tests.support.fake_github --port 8765 --token T --pr 1``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

BODY_LIMIT = 65_536
DOCS = "https://docs.github.com/rest"
RATE_LIMIT = 5000
CREATED = "2024-01-01T00:00:00Z"

Response = tuple[int, dict[str, str], Any]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Fault:
    """An injected response for the next ``times`` matching requests."""

    method: str
    path: re.Pattern[str]
    status: int
    times: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    """One request and the response the fake sent (headers exactly as written to the wire)."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    body: dict[str, Any] | None  # the request's JSON payload
    authorization: str | None
    template: str | None = None  # GitHub's path template of the route that matched
    headers: list[tuple[str, str]] = field(default_factory=list)
    response: Any = None


@dataclass
class Dispatch:
    """A recorded ``repository_dispatch`` or ``workflow_dispatch`` request."""

    kind: str  # "repository" or "workflow"
    event_type: str | None = None
    client_payload: dict[str, Any] = field(default_factory=dict)
    workflow: str | None = None  # the workflow's file path
    ref: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    run_id: int | None = None


@dataclass
class _Issue:
    number: int
    title: str
    body: str | None
    login: str
    labels: list[str] = field(default_factory=list)
    state: str = "open"
    state_reason: str | None = None
    head_sha: str | None = None  # set for a pull request
    created_at: str = CREATED
    updated_at: str = CREATED
    closed_at: str | None = None
    comments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Repo:
    owner: str
    name: str
    id: int
    issues: dict[int, _Issue] = field(default_factory=dict)  # number -> issue or pull request
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sha -> statuses
    deployments: list[dict[str, Any]] = field(default_factory=list)
    deployment_statuses: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    approvals: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # run id -> approvals
    workflows: dict[int, dict[str, Any]] = field(default_factory=dict)
    dispatches: list[Dispatch] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, list[str]]
    payload: dict[str, Any]
    login: str
    args: dict[str, str]

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Handler = Callable[["FakeGitHub", _Repo, _Request], Response]


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler


_ROUTES: list[_Route] = []


def _route(method: str, template: str) -> Callable[[Handler], Handler]:
    """Register a handler under GitHub's own path template (as the OpenAPI spec spells it)."""
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))

    def register(handler: Handler) -> Handler:
        _ROUTES.append(_Route(method, template, re.compile(f"^{regex}$"), handler))
        return handler

    return register


class FakeGitHub:
    """State plus a threaded HTTP server; use as a context manager."""

    def __init__(
        self, *, html_base: str = "https://github.com", port: int = 0, bot_login: str = "github-actions[bot]"
    ):
        self.html_base = html_base.rstrip("/")
        self.bot_login = bot_login
        self._lock = threading.RLock()
        self._repos: dict[str, _Repo] = {}
        self.minimized: dict[int, str] = {}  # comment id -> classifier, set by the GraphQL mutation
        self._tokens: dict[str, tuple[bool, str]] = {}  # token -> (can write, login)
        self._faults: list[Fault] = []
        self._next_id = 1_000_000
        self._used = 0
        self._reset = int(time.time()) + 3600
        self.requests: list[Seen] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeGitHub:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-github", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @staticmethod
    def routes() -> list[tuple[str, str]]:
        """(method, GitHub path template) of every REST route served, for coverage checks."""
        return [(r.method, r.template) for r in _ROUTES]

    # -- test set-up -------------------------------------------------------------------------

    def add_token(self, token: str, *, write: bool = True, login: str | None = None) -> None:
        with self._lock:
            self._tokens[token] = (write, login or self.bot_login)

    def add_pull(self, repo: str, number: int, head_sha: str = "0" * 40) -> None:
        with self._lock:
            r = self._repo(repo, create=True)
            assert r is not None
            if number in r.issues:
                r.issues[number].head_sha = head_sha
            else:
                title = f"Pull request {number}"
                r.issues[number] = _Issue(number, title, "", "contributor", head_sha=head_sha)

    def add_issue(
        self,
        repo: str,
        title: str,
        body: str = "",
        *,
        labels: Iterable[str] = (),
        login: str = "someone",
        state: str = "open",
    ) -> dict[str, Any]:
        with self._lock:
            r = self._repo(repo, create=True)
            assert r is not None
            issue = self._new_issue(r, title, body, login, list(labels))
            if state == "closed":
                issue.state, issue.state_reason, issue.closed_at = "closed", "completed", _now()
            return self._issue_json(r, issue)

    def add_comment(self, repo: str, number: int, body: str, *, login: str = "someone") -> dict[str, Any]:
        with self._lock:
            r = self._repo(repo)
            assert r is not None and number in r.issues, f"add_pull({repo!r}, {number}) first"
            return self._create_comment(r, r.issues[number], body, login)

    def add_workflow(self, repo: str, path: str, *, name: str | None = None) -> dict[str, Any]:
        """A workflow file (``.github/workflows/x.yml``) that ``workflow_dispatch`` can target."""
        with self._lock:
            r = self._repo(repo, create=True)
            assert r is not None
            wid = self._id()
            r.workflows[wid] = {"id": wid, "path": path, "name": name or path.rsplit("/", 1)[-1]}
            return self._workflow_json(r, r.workflows[wid])

    def add_approval(
        self,
        repo: str,
        run_id: int,
        *,
        login: str,
        environments: Iterable[str],
        state: str = "approved",
        comment: str = "",
    ) -> dict[str, Any]:
        """A reviewer's decision on a run's environment deployment (what a required reviewer does)."""
        with self._lock:
            r = self._repo(repo, create=True)
            assert r is not None
            html = f"{self.html_base}/{r.full_name}"
            approval = {
                "environments": [
                    {
                        "id": sum(map(ord, env)) + 56_000_000,
                        "node_id": f"EN_kwDO{sum(map(ord, env))}",
                        "name": env,
                        "url": f"{self.url}/repos/{r.full_name}/environments/{env}",
                        "html_url": f"{html}/deployments/activity_log?environments_filter={env}",
                        "created_at": CREATED,
                        "updated_at": CREATED,
                    }
                    for env in environments
                ],
                "state": state,
                "user": self._user(login),
                "comment": comment,
            }
            r.approvals.setdefault(run_id, []).append(approval)
            return approval

    def inject(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and the ``path`` regex with ``status``."""
        with self._lock:
            self._faults.append(Fault(method.upper(), re.compile(path), status, times, body, headers or {}))

    def inject_secondary_rate_limit(
        self, method: str, path: str, *, times: int = 1, retry_after: int = 1
    ) -> None:
        self.inject(
            method,
            path,
            403,
            times=times,
            headers={"Retry-After": str(retry_after)},
            body={
                "message": "You have exceeded a secondary rate limit. "
                "Please wait a few minutes before you try again.",
                "documentation_url": f"{DOCS}/using-the-rest-api/rate-limits-for-the-rest-api",
                "status": "403",
            },
        )

    def inject_primary_rate_limit(
        self, method: str, path: str, *, times: int = 1, reset_in: int = 1, status: int = 403
    ) -> None:
        """The hourly quota used up: ``X-RateLimit-Remaining: 0`` until ``X-RateLimit-Reset``."""
        self.inject(
            method,
            path,
            status,
            times=times,
            headers={
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Used": str(RATE_LIMIT),
                "X-RateLimit-Reset": str(int(time.time()) + reset_in),
            },
            body={
                "message": "API rate limit exceeded for installation ID 1000.",
                "documentation_url": f"{DOCS}/using-the-rest-api/rate-limits-for-the-rest-api",
                "status": str(status),
            },
        )

    # -- reading state back ------------------------------------------------------------------

    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            r = self._repo(repo)
            issue = r.issues.get(number) if r else None
            return [dict(c) for c in (issue.comments if issue else [])]

    def statuses(self, repo: str, sha: str) -> list[dict[str, Any]]:
        with self._lock:
            r = self._repo(repo)
            return [dict(s) for s in (r.statuses.get(sha, []) if r else [])]

    def issues(self, repo: str) -> list[dict[str, Any]]:
        """Plain issues (not pull requests), oldest first."""
        with self._lock:
            r = self._repo(repo)
            if r is None:
                return []
            return [self._issue_json(r, i) for _, i in sorted(r.issues.items()) if i.head_sha is None]

    def deployments(self, repo: str) -> list[dict[str, Any]]:
        """Deployments, oldest first."""
        with self._lock:
            r = self._repo(repo)
            return [dict(d) for d in (r.deployments if r else [])]

    def deployment_statuses(self, repo: str, deployment_id: int) -> list[dict[str, Any]]:
        """A deployment's statuses, oldest first."""
        with self._lock:
            r = self._repo(repo)
            return [dict(s) for s in (r.deployment_statuses.get(deployment_id, []) if r else [])]

    def dispatches(self, repo: str) -> list[Dispatch]:
        with self._lock:
            r = self._repo(repo)
            return list(r.dispatches if r else [])

    def seen(self, method: str | None = None, path_contains: str = "") -> list[Seen]:
        with self._lock:
            return [
                s
                for s in self.requests
                if (method is None or s.method == method.upper()) and path_contains in s.path
            ]

    # -- JSON shapes -------------------------------------------------------------------------

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _repo(self, full_name: str, *, create: bool = False) -> _Repo | None:
        repo = self._repos.get(full_name.lower())
        if repo is None and create:
            owner, name = full_name.split("/", 1)
            repo = _Repo(owner, name, id=len(self._repos) + 100)
            self._repos[full_name.lower()] = repo
        return repo

    def _user(self, login: str) -> dict[str, Any]:
        uid = sum(map(ord, login)) + 41_000_000
        api = f"{self.url}/users/{login}"
        return {
            "login": login,
            "id": uid,
            "node_id": f"MDQ6VXNlcj{uid}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{self.html_base}/{login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": "Bot" if login.endswith("[bot]") else "User",
            "user_view_type": "public",
            "site_admin": False,
        }

    def _repo_json(self, r: _Repo, *, full: bool = True) -> dict[str, Any]:
        api = f"{self.url}/repos/{r.full_name}"
        html = f"{self.html_base}/{r.full_name}"
        host = urlsplit(self.html_base).netloc
        templates = {
            "archive_url": "/{archive_format}{/ref}",
            "assignees_url": "/assignees{/user}",
            "blobs_url": "/git/blobs{/sha}",
            "branches_url": "/branches{/branch}",
            "collaborators_url": "/collaborators{/collaborator}",
            "comments_url": "/comments{/number}",
            "commits_url": "/commits{/sha}",
            "compare_url": "/compare/{base}...{head}",
            "contents_url": "/contents/{+path}",
            "contributors_url": "/contributors",
            "deployments_url": "/deployments",
            "downloads_url": "/downloads",
            "events_url": "/events",
            "forks_url": "/forks",
            "git_commits_url": "/git/commits{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "hooks_url": "/hooks",
            "issue_comment_url": "/issues/comments{/number}",
            "issue_events_url": "/issues/events{/number}",
            "issues_url": "/issues{/number}",
            "keys_url": "/keys{/key_id}",
            "labels_url": "/labels{/name}",
            "languages_url": "/languages",
            "merges_url": "/merges",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "pulls_url": "/pulls{/number}",
            "releases_url": "/releases{/id}",
            "stargazers_url": "/stargazers",
            "statuses_url": "/statuses/{sha}",
            "subscribers_url": "/subscribers",
            "subscription_url": "/subscription",
            "tags_url": "/tags",
            "teams_url": "/teams",
            "trees_url": "/git/trees{/sha}",
        }
        open_issues = sum(1 for i in r.issues.values() if i.state == "open")
        out: dict[str, Any] = {
            "id": r.id,
            "node_id": f"R_kgDO{r.id}",
            "name": r.name,
            "full_name": r.full_name,
            "private": False,
            "owner": self._user(r.owner),
            "html_url": html,
            "description": None,
            "fork": False,
            "url": api,
            **{key: api + suffix for key, suffix in templates.items()},
            "git_url": f"git://{host}/{r.full_name}.git",
            "ssh_url": f"git@{host}:{r.full_name}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "mirror_url": None,
            "homepage": None,
            "language": "Python",
            "size": 0,
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "open_issues": open_issues,
            "open_issues_count": open_issues,
            "default_branch": "main",
            "visibility": "public",
            "topics": [],
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "is_template": False,
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "license": None,
            "pushed_at": CREATED,
            "created_at": CREATED,
            "updated_at": CREATED,
        }
        if full:  # full-repository only: GET /repos/{o}/{r}
            out |= {"network_count": 0, "subscribers_count": 0}
        return out

    def _label(self, r: _Repo, name: str) -> dict[str, Any]:
        """GitHub creates a label that does not exist yet when an issue names it."""
        if name not in r.labels:
            lid = self._id()
            r.labels[name] = {
                "id": lid,
                "node_id": f"LA_kwDO{lid}",
                "url": f"{self.url}/repos/{r.full_name}/labels/{name}",
                "name": name,
                "description": None,
                "color": hashlib.sha1(name.encode()).hexdigest()[:6],
                "default": False,
            }
        return r.labels[name]

    @staticmethod
    def _reactions(url: str) -> dict[str, Any]:
        counts = dict.fromkeys(("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"), 0)
        return {"url": url, "total_count": 0, **counts}

    def _issue_json(self, r: _Repo, issue: _Issue) -> dict[str, Any]:
        api = f"{self.url}/repos/{r.full_name}"
        html = f"{self.html_base}/{r.full_name}"
        n = issue.number
        kind = "pull" if issue.head_sha else "issues"
        out: dict[str, Any] = {
            "id": r.id * 10_000 + n,
            "node_id": f"{'PR' if issue.head_sha else 'I'}_kwDO{n}",
            "url": f"{api}/issues/{n}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{n}/labels{{/name}}",
            "comments_url": f"{api}/issues/{n}/comments",
            "events_url": f"{api}/issues/{n}/events",
            "timeline_url": f"{api}/issues/{n}/timeline",
            "html_url": f"{html}/{kind}/{n}",
            "number": n,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body,
            "user": self._user(issue.login),
            "labels": [self._label(r, name) for name in issue.labels],
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "locked": False,
            "active_lock_reason": None,
            "comments": len(issue.comments),
            "closed_at": issue.closed_at,
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "author_association": "CONTRIBUTOR",
            "reactions": self._reactions(f"{api}/issues/{n}/reactions"),
        }
        if issue.head_sha:
            out["pull_request"] = {
                "url": f"{api}/pulls/{n}",
                "html_url": f"{html}/pull/{n}",
                "diff_url": f"{html}/pull/{n}.diff",
                "patch_url": f"{html}/pull/{n}.patch",
                "merged_at": None,
            }
        return out

    def _pull_json(self, r: _Repo, issue: _Issue) -> dict[str, Any]:
        api = f"{self.url}/repos/{r.full_name}"
        html = f"{self.html_base}/{r.full_name}"
        n, sha = issue.number, str(issue.head_sha)
        repo_json = self._repo_json(r, full=False)
        contributor = self._user(issue.login)
        links = {
            "self": f"{api}/pulls/{n}",
            "html": f"{html}/pull/{n}",
            "issue": f"{api}/issues/{n}",
            "comments": f"{api}/issues/{n}/comments",
            "review_comments": f"{api}/pulls/{n}/comments",
            "review_comment": f"{api}/pulls/comments{{/number}}",
            "commits": f"{api}/pulls/{n}/commits",
            "statuses": f"{api}/statuses/{sha}",
        }
        return {
            "url": links["self"],
            "id": r.id * 10_000 + n,
            "node_id": f"PR_kwDO{n}",
            "html_url": links["html"],
            "diff_url": f"{html}/pull/{n}.diff",
            "patch_url": f"{html}/pull/{n}.patch",
            "issue_url": links["issue"],
            "commits_url": links["commits"],
            "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"],
            "comments_url": links["comments"],
            "statuses_url": links["statuses"],
            "number": n,
            "state": issue.state,
            "locked": False,
            "title": issue.title,
            "user": contributor,
            "body": issue.body,
            "labels": [self._label(r, name) for name in issue.labels],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "closed_at": issue.closed_at,
            "merged_at": None,
            "merge_commit_sha": None,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": {
                "label": f"{issue.login}:pr-{n}",
                "ref": f"pr-{n}",
                "sha": sha,
                "user": contributor,
                "repo": repo_json,
            },
            "base": {
                "label": f"{r.owner}:main",
                "ref": "main",
                "sha": "b" * 40,
                "user": self._user(r.owner),
                "repo": repo_json,
            },
            "_links": {key: {"href": value} for key, value in links.items()},
            "author_association": "CONTRIBUTOR",
            "auto_merge": None,
            "draft": False,
            "merged": False,
            "mergeable": True,
            "rebaseable": True,
            "mergeable_state": "clean",
            "merged_by": None,
            "comments": len(issue.comments),
            "review_comments": 0,
            "maintainer_can_modify": False,
            "commits": 1,
            "additions": 0,
            "deletions": 0,
            "changed_files": 0,
        }

    def _new_issue(self, r: _Repo, title: str, body: str | None, login: str, labels: list[str]) -> _Issue:
        number = max(r.issues, default=0) + 1
        now = _now()
        issue = _Issue(number, title, body, login, labels, created_at=now, updated_at=now)
        for name in labels:
            self._label(r, name)
        r.issues[number] = issue
        return issue

    def _create_comment(self, r: _Repo, issue: _Issue, body: str, login: str) -> dict[str, Any]:
        cid = self._id()
        api = f"{self.url}/repos/{r.full_name}"
        kind = "pull" if issue.head_sha else "issues"
        now = _now()
        comment = {
            "id": cid,
            "node_id": f"IC_kwDO{cid}",
            "url": f"{api}/issues/comments/{cid}",
            "html_url": f"{self.html_base}/{r.full_name}/{kind}/{issue.number}#issuecomment-{cid}",
            "body": body,
            "user": self._user(login),
            "created_at": now,
            "updated_at": now,
            "issue_url": f"{api}/issues/{issue.number}",
            "author_association": "NONE",
            "performed_via_github_app": None,
            "reactions": self._reactions(f"{api}/issues/comments/{cid}/reactions"),
        }
        issue.comments.append(comment)
        return comment

    def _commit_json(self, r: _Repo, sha: str) -> dict[str, Any]:
        api = f"{self.url}/repos/{r.full_name}"
        person = {"name": "Contributor", "email": "contributor@example.com", "date": CREATED}
        return {
            "sha": sha,
            "node_id": f"C_kwDO{sha[:8]}",
            "url": f"{api}/commits/{sha}",
            "html_url": f"{self.html_base}/{r.full_name}/commit/{sha}",
            "comments_url": f"{api}/commits/{sha}/comments",
            "commit": {
                "url": f"{api}/git/commits/{sha}",
                "author": person,
                "committer": person,
                "message": "commit",
                "comment_count": 0,
                "tree": {"sha": "c" * 40, "url": f"{api}/git/trees/{'c' * 40}"},
            },
            "author": self._user("contributor"),
            "committer": self._user("contributor"),
            "parents": [],
        }

    def _workflow_json(self, r: _Repo, wf: dict[str, Any]) -> dict[str, Any]:
        html = f"{self.html_base}/{r.full_name}"
        return {
            "id": wf["id"],
            "node_id": f"W_kwDO{wf['id']}",
            "name": wf["name"],
            "path": wf["path"],
            "state": "active",
            "created_at": CREATED,
            "updated_at": CREATED,
            "url": f"{self.url}/repos/{r.full_name}/actions/workflows/{wf['id']}",
            "html_url": f"{html}/blob/main/{wf['path']}",
            "badge_url": f"{html}/workflows/{wf['name']}/badge.svg",
        }

    # -- request handling --------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], payload: dict[str, Any] | None
    ) -> tuple[int, list[tuple[str, str]], Any]:
        split = urlsplit(raw_path)
        path, query = split.path, parse_qs(split.query)
        with self._lock:
            template, status, extra, body = self._dispatch(method, path, query, headers, payload)
            sent = self._headers(extra, body)
            auth = headers.get("authorization")
            self.requests.append(Seen(method, path, query, status, payload, auth, template, sent, body))
            return status, sent, body

    def _headers(self, extra: dict[str, str], body: Any) -> list[tuple[str, str]]:
        """GitHub's fixed headers, each sent once: an injected header *replaces* its default."""
        fixed = {
            "Content-Type": "application/json; charset=utf-8" if body is not None else "",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": f"FAKE:{time.monotonic_ns():x}",
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(0, RATE_LIMIT - self._used)),
            "X-RateLimit-Reset": str(self._reset),
            "X-RateLimit-Used": str(self._used),
            "X-RateLimit-Resource": "core",
        }
        lower = {k.lower(): k for k in fixed}
        for name, value in extra.items():
            fixed[lower.get(name.lower(), name)] = value
        return [(k, v) for k, v in fixed.items() if v != ""]

    def _fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.times > 0 and fault.method == method and fault.path.search(path):
                fault.times -= 1
                return fault
        return None

    def _dispatch(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        payload: dict[str, Any] | None,
    ) -> tuple[str | None, int, dict[str, str], Any]:
        found = next(((r, m) for r in _ROUTES if r.method == method and (m := r.pattern.match(path))), None)
        template = "/graphql" if path == "/graphql" else (found[0].template if found else None)
        fault = self._fault(method, path)
        if fault is not None:
            body = fault.body or {"message": "Server Error" if fault.status >= 500 else "Forbidden"}
            return template, fault.status, dict(fault.headers), body
        token = _token(headers.get("authorization"))
        if token is None or token not in self._tokens:
            return template, *_error(401, "Bad credentials")
        self._used += 1
        can_write, login = self._tokens[token]
        if path == "/graphql" and method == "POST":
            return template, *self._graphql(payload or {}, can_write)
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)(?:/.*)?", path)
        repo = self._repo(f"{m.group(1)}/{m.group(2)}") if m else None
        if found is None or repo is None:
            return template, *_not_found()
        if method != "GET" and not can_write:
            return template, *_error(403, "Resource not accessible by integration")
        route, match = found
        request = _Request(method, path, query, payload or {}, login, match.groupdict())
        return template, *route.handler(self, repo, request)

    def _page(self, items: list[Any], req: _Request) -> Response:
        """GitHub's page/per_page pagination with an RFC 8288 ``Link`` header.

        The links are absolute URLs of the listed resource itself, keeping every other
        query parameter (filters such as ``state`` or ``labels``), as GitHub's do.
        """
        try:
            per_page = max(1, min(100, int(req.arg("per_page") or 30)))
            page = max(1, int(req.arg("page") or 1))
        except ValueError:
            return _error(422, "Invalid pagination parameters")
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        keep = [(k, v) for k, vs in req.query.items() if k not in ("page", "per_page") for v in vs]

        def link(n: int) -> str:
            return f"{self.url}{req.path}?{urlencode([*keep, ('per_page', per_page), ('page', n)])}"

        rels = []
        if page > 1:
            rels.append(f'<{link(page - 1)}>; rel="prev"')
        if page < last:
            rels.append(f'<{link(page + 1)}>; rel="next"')
            rels.append(f'<{link(last)}>; rel="last"')
        if page > 1:
            rels.append(f'<{link(1)}>; rel="first"')
        return 200, ({"Link": ", ".join(rels)} if rels else {}), chunk

    def _graphql(self, payload: dict[str, Any], can_write: bool) -> Response:
        """The one GraphQL mutation shipml sends (``minimizeComment``), answered as GitHub does.

        GraphQL reports problems with HTTP 200 and an ``errors`` list; an unknown
        node is ``type: NOT_FOUND``, a token without write access ``FORBIDDEN``.
        """
        query = str(payload.get("query", ""))
        if not re.search(r"\bminimizeComment\(input: \$input\)", query):
            return 200, {}, {"errors": [{"message": f"fake GitHub does not implement: {query[:80]}"}]}
        subject = ((payload.get("variables") or {}).get("input") or {}).get("subjectId")
        if not can_write:
            return _graphql_error("FORBIDDEN", "Resource not accessible by integration")
        for r in self._repos.values():
            for issue in r.issues.values():
                for comment in issue.comments:
                    if comment["node_id"] == subject:
                        classifier = (payload["variables"]["input"] or {}).get("classifier")
                        self.minimized[comment["id"]] = str(classifier)  # kept out of the REST shapes
                        result = {"minimizedComment": {"isMinimized": True}}
                        return 200, {}, {"data": {"minimizeComment": result}}
        return _graphql_error("NOT_FOUND", f"Could not resolve to a node with the global id of '{subject}'.")

    # -- routes: repository, pulls, issues, comments ------------------------------------------

    @_route("GET", "/repos/{owner}/{repo}")
    def _get_repo(self, r: _Repo, req: _Request) -> Response:
        return 200, {}, self._repo_json(r)

    @_route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}")
    def _get_pull(self, r: _Repo, req: _Request) -> Response:
        issue = _number(r, req.args["pull_number"])
        if issue is None or issue.head_sha is None:
            return _not_found()
        return 200, {}, self._pull_json(r, issue)

    @_route("GET", "/repos/{owner}/{repo}/issues/{issue_number}")
    def _get_issue(self, r: _Repo, req: _Request) -> Response:
        issue = _number(r, req.args["issue_number"])
        return _not_found() if issue is None else (200, {}, self._issue_json(r, issue))

    @_route("GET", "/repos/{owner}/{repo}/issues")
    def _list_issues(self, r: _Repo, req: _Request) -> Response:
        state = req.arg("state") or "open"
        if state not in ("open", "closed", "all"):
            return _invalid("Issue", "state", f"state is not included in the list ({state!r})")
        wanted = {name.strip() for name in (req.arg("labels") or "").split(",") if name.strip()}
        creator = req.arg("creator")
        found = [
            i
            for i in r.issues.values()
            if (state == "all" or i.state == state)
            and wanted <= set(i.labels)
            and (creator is None or i.login.lower() == creator.lower())
        ]
        newest_first = (req.arg("direction") or "desc") == "desc"
        found.sort(key=lambda i: (i.created_at, i.number), reverse=newest_first)
        return self._page([self._issue_json(r, i) for i in found], req)

    @_route("POST", "/repos/{owner}/{repo}/issues")
    def _create_issue(self, r: _Repo, req: _Request) -> Response:
        title = req.payload.get("title")
        if not isinstance(title, str | int) or str(title) == "":
            return _invalid("Issue", "title", "title wasn't supplied", code="missing_field")
        labels = _label_names(req.payload.get("labels"))
        if labels is None:
            return _invalid("Issue", "labels", "labels must be a list of names")
        body = req.payload.get("body")
        issue = self._new_issue(r, str(title), None if body is None else str(body), req.login, labels)
        created = self._issue_json(r, issue)
        return 201, {"Location": created["url"]}, created

    @_route("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}")
    def _update_issue(self, r: _Repo, req: _Request) -> Response:
        issue = _number(r, req.args["issue_number"])
        if issue is None:
            return _not_found()
        p = req.payload
        state = p.get("state", issue.state)
        if state not in ("open", "closed"):
            return _invalid("Issue", "state", f"state is not included in the list ({state!r})")
        if "labels" in p:
            labels = _label_names(p["labels"])
            if labels is None:
                return _invalid("Issue", "labels", "labels must be a list of names")
            issue.labels = labels
            for name in labels:
                self._label(r, name)
        if "title" in p:
            if not p["title"]:
                return _invalid("Issue", "title", "title can't be blank", code="missing_field")
            issue.title = str(p["title"])
        if "body" in p:
            issue.body = None if p["body"] is None else str(p["body"])
        if state != issue.state:
            issue.state = state
            issue.closed_at = _now() if state == "closed" else None
            issue.state_reason = p.get("state_reason") or ("completed" if state == "closed" else "reopened")
        issue.updated_at = _now()
        return 200, {}, self._issue_json(r, issue)

    @_route("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
    def _list_comments(self, r: _Repo, req: _Request) -> Response:
        issue = _number(r, req.args["issue_number"])
        return _not_found() if issue is None else self._page(issue.comments, req)

    @_route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
    def _post_comment(self, r: _Repo, req: _Request) -> Response:
        issue = _number(r, req.args["issue_number"])
        if issue is None:
            return _not_found()
        body = req.payload.get("body")
        if problem := _body_problem(body):
            return problem
        created = self._create_comment(r, issue, str(body), req.login)
        return 201, {"Location": created["url"]}, created

    def _find_comment(self, r: _Repo, cid: str) -> tuple[list[dict[str, Any]], int] | None:
        for issue in r.issues.values():
            for i, comment in enumerate(issue.comments):
                if str(comment["id"]) == cid:
                    return issue.comments, i
        return None

    @_route("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
    def _get_comment(self, r: _Repo, req: _Request) -> Response:
        found = self._find_comment(r, req.args["comment_id"])
        return _not_found() if found is None else (200, {}, found[0][found[1]])

    @_route("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
    def _edit_comment(self, r: _Repo, req: _Request) -> Response:
        found = self._find_comment(r, req.args["comment_id"])
        if found is None:
            return _not_found()
        body = req.payload.get("body")
        if problem := _body_problem(body):
            return problem
        comment = found[0][found[1]]
        comment["body"] = body
        comment["updated_at"] = _now()
        return 200, {}, comment

    @_route("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
    def _delete_comment(self, r: _Repo, req: _Request) -> Response:
        found = self._find_comment(r, req.args["comment_id"])
        if found is None:
            return _not_found()
        del found[0][found[1]]
        return 204, {}, None

    # -- routes: commits and statuses -----------------------------------------------------------

    @_route("GET", "/repos/{owner}/{repo}/commits/{ref}")
    def _get_commit(self, r: _Repo, req: _Request) -> Response:
        sha = req.args["ref"]
        if not re.fullmatch(r"[0-9a-fA-F]{4,40}", sha):
            return _error(422, f"No commit found for SHA: {sha}")
        return 200, {}, self._commit_json(r, sha)

    @_route("POST", "/repos/{owner}/{repo}/statuses/{sha}")
    def _create_status(self, r: _Repo, req: _Request) -> Response:
        sha, p = req.args["sha"], req.payload
        state = p.get("state")
        if state not in ("error", "failure", "pending", "success"):
            return _invalid("Status", "state", f"state is not included in the list ({state!r})")
        description = p.get("description")
        if description is not None and len(str(description)) > 140:
            return _invalid("Status", "description", "description is too long (maximum is 140 characters)")
        sid = self._id()
        creator = self._user(req.login)
        status = {
            "url": f"{self.url}/repos/{r.full_name}/statuses/{sha}",
            "avatar_url": creator["avatar_url"],
            "id": sid,
            "node_id": f"SC_kwDO{sid}",
            "state": state,
            "description": description,
            "target_url": p.get("target_url"),
            "context": p.get("context") or "default",
            "created_at": _now(),
            "updated_at": _now(),
            "creator": creator,
        }
        r.statuses.setdefault(sha, []).append(status)
        return 201, {"Location": status["url"]}, status

    @_route("GET", "/repos/{owner}/{repo}/commits/{ref}/statuses")
    def _list_statuses(self, r: _Repo, req: _Request) -> Response:
        return self._page(list(reversed(r.statuses.get(req.args["ref"], []))), req)

    # -- routes: deployments ----------------------------------------------------------------------

    def _deployment(self, r: _Repo, deployment_id: str) -> dict[str, Any] | None:
        return next((d for d in r.deployments if str(d["id"]) == deployment_id), None)

    @_route("POST", "/repos/{owner}/{repo}/deployments")
    def _create_deployment(self, r: _Repo, req: _Request) -> Response:
        p = req.payload
        ref = p.get("ref")
        if not isinstance(ref, str) or not ref:
            return _invalid("Deployment", "ref", "ref wasn't supplied", code="missing_field")
        sha = ref if re.fullmatch(r"[0-9a-f]{40}", ref) else hashlib.sha1(ref.encode()).hexdigest()
        # Required contexts: omitted means every context on the commit must be green.
        latest: dict[str, str] = {}
        for status in r.statuses.get(sha, []):
            latest[str(status["context"])] = str(status["state"])
        required = p.get("required_contexts")
        contexts = latest if required is None else {c: latest.get(c, "missing") for c in required}
        failing = sorted(c for c, state in contexts.items() if state != "success")
        if failing:
            return (
                409,
                {},
                {
                    "message": f"Conflict: Commit status checks failed for {ref}.",
                    "documentation_url": f"{DOCS}/deployments/deployments#create-a-deployment",
                    "errors": [{"contexts": [{"context": c, "state": contexts[c]} for c in failing]}],
                },
            )
        environment = str(p.get("environment") or "production")
        payload = p.get("payload", {})
        if isinstance(payload, str):
            try:
                payload = json.loads(payload) if payload else {}
            except ValueError:
                return _invalid("Deployment", "payload", "payload must be a JSON object or string")
        did = self._id()
        api = f"{self.url}/repos/{r.full_name}"
        now = _now()
        deployment = {
            "url": f"{api}/deployments/{did}",
            "id": did,
            "node_id": f"DE_kwDO{did}",
            "sha": sha,
            "ref": ref,
            "task": str(p.get("task") or "deploy"),
            "payload": payload,
            "original_environment": environment,
            "environment": environment,
            "description": p.get("description"),
            "creator": self._user(req.login),
            "created_at": now,
            "updated_at": now,
            "statuses_url": f"{api}/deployments/{did}/statuses",
            "repository_url": api,
            "transient_environment": bool(p.get("transient_environment", False)),
            "production_environment": bool(p.get("production_environment", environment == "production")),
            "performed_via_github_app": None,
        }
        r.deployments.append(deployment)
        r.deployment_statuses[did] = []
        return 201, {"Location": deployment["url"]}, deployment

    @_route("GET", "/repos/{owner}/{repo}/deployments")
    def _list_deployments(self, r: _Repo, req: _Request) -> Response:
        found = [
            d
            for d in reversed(r.deployments)  # newest first
            if all(req.arg(key) in (None, d[key]) for key in ("sha", "ref", "task", "environment"))
        ]
        return self._page(found, req)

    @_route("GET", "/repos/{owner}/{repo}/deployments/{deployment_id}")
    def _get_deployment(self, r: _Repo, req: _Request) -> Response:
        found = self._deployment(r, req.args["deployment_id"])
        return _not_found() if found is None else (200, {}, found)

    @_route("POST", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses")
    def _create_deployment_status(self, r: _Repo, req: _Request) -> Response:
        deployment = self._deployment(r, req.args["deployment_id"])
        if deployment is None:
            return _not_found()
        p = req.payload
        state = p.get("state")
        states = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
        if state not in states:
            return _invalid("DeploymentStatus", "state", f"state is not included in the list ({state!r})")
        description = str(p.get("description") or "")
        if len(description) > 140:
            return _invalid(
                "DeploymentStatus", "description", "description is too long (maximum is 140 characters)"
            )
        if "environment" in p:
            deployment["environment"] = str(p["environment"])
        status = self._deployment_status(r, deployment, str(state), req.login, p, description)
        if state == "success" and p.get("auto_inactive", True):
            # Documented: prior non-transient, non-production deployments to the same
            # environment whose last status was success get an ``inactive`` status.
            for other in r.deployments:
                history = r.deployment_statuses[other["id"]]
                if (
                    other is not deployment
                    and other["environment"] == deployment["environment"]
                    and not other["transient_environment"]
                    and not other["production_environment"]
                    and history
                    and history[-1]["state"] == "success"
                ):
                    self._deployment_status(r, other, "inactive", req.login, {}, "")
        return 201, {"Location": status["url"]}, status

    def _deployment_status(
        self,
        r: _Repo,
        deployment: dict[str, Any],
        state: str,
        login: str,
        p: dict[str, Any],
        description: str,
    ) -> dict[str, Any]:
        sid = self._id()
        now = _now()
        target = str(p.get("log_url") or p.get("target_url") or "")
        status = {
            "url": f"{deployment['url']}/statuses/{sid}",
            "id": sid,
            "node_id": f"DES_kwDO{sid}",
            "state": state,
            "creator": self._user(login),
            "description": description,
            "environment": deployment["environment"],
            "target_url": target,
            "log_url": target,
            "environment_url": str(p.get("environment_url") or ""),
            "created_at": now,
            "updated_at": now,
            "deployment_url": deployment["url"],
            "repository_url": deployment["repository_url"],
            "performed_via_github_app": None,
        }
        r.deployment_statuses[deployment["id"]].append(status)
        deployment["updated_at"] = now
        return status

    @_route("GET", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses")
    def _list_deployment_statuses(self, r: _Repo, req: _Request) -> Response:
        deployment = self._deployment(r, req.args["deployment_id"])
        if deployment is None:
            return _not_found()
        return self._page(list(reversed(r.deployment_statuses[deployment["id"]])), req)

    @_route("GET", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses/{status_id}")
    def _get_deployment_status(self, r: _Repo, req: _Request) -> Response:
        deployment = self._deployment(r, req.args["deployment_id"])
        history = r.deployment_statuses[deployment["id"]] if deployment else []
        found = next((s for s in history if str(s["id"]) == req.args["status_id"]), None)
        return _not_found() if found is None else (200, {}, found)

    # -- routes: Actions --------------------------------------------------------------------------

    @_route("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/approvals")
    def _list_approvals(self, r: _Repo, req: _Request) -> Response:
        run_id = req.args["run_id"]
        return 200, {}, (r.approvals.get(int(run_id), []) if run_id.isdigit() else [])

    def _workflow(self, r: _Repo, workflow_id: str) -> dict[str, Any] | None:
        """By numeric id or by file name, as GitHub accepts both."""
        return next(
            (
                wf
                for wf in r.workflows.values()
                if str(wf["id"]) == workflow_id or wf["path"].rsplit("/", 1)[-1] == workflow_id
            ),
            None,
        )

    @_route("GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}")
    def _get_workflow(self, r: _Repo, req: _Request) -> Response:
        wf = self._workflow(r, req.args["workflow_id"])
        return _not_found() if wf is None else (200, {}, self._workflow_json(r, wf))

    @_route("POST", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches")
    def _dispatch_workflow(self, r: _Repo, req: _Request) -> Response:
        wf = self._workflow(r, req.args["workflow_id"])
        if wf is None:
            return _not_found()
        ref, inputs = req.payload.get("ref"), req.payload.get("inputs") or {}
        if not isinstance(ref, str) or not ref:
            return _invalid("Workflow", "ref", "ref wasn't supplied", code="missing_field")
        if not isinstance(inputs, dict) or len(inputs) > 25:
            return _error(422, "inputs must be an object with at most 25 properties")
        run_id = self._id()
        r.dispatches.append(Dispatch("workflow", workflow=wf["path"], ref=ref, inputs=inputs, run_id=run_id))
        if req.payload.get("return_run_details") is True:
            api, html = f"{self.url}/repos/{r.full_name}", f"{self.html_base}/{r.full_name}"
            details = {
                "workflow_run_id": run_id,
                "run_url": f"{api}/actions/runs/{run_id}",
                "html_url": f"{html}/actions/runs/{run_id}",
            }
            return 200, {}, details
        return 204, {}, None

    @_route("POST", "/repos/{owner}/{repo}/dispatches")
    def _repository_dispatch(self, r: _Repo, req: _Request) -> Response:
        event_type, client_payload = req.payload.get("event_type"), req.payload.get("client_payload") or {}
        if not isinstance(event_type, str) or not 1 <= len(event_type) <= 100:
            return _invalid("Repository", "event_type", "event_type must be 1 to 100 characters")
        if not isinstance(client_payload, dict) or len(client_payload) > 10:
            return _invalid("Repository", "client_payload", "client_payload has more than 10 properties")
        r.dispatches.append(Dispatch("repository", event_type=event_type, client_payload=client_payload))
        return 204, {}, None


def _number(r: _Repo, raw: str) -> _Issue | None:
    return r.issues.get(int(raw)) if raw.isdigit() else None


def _label_names(value: Any) -> list[str] | None:
    """Labels as names or ``{"name": ...}`` objects (both are accepted by GitHub)."""
    if value is None:
        return []
    if not isinstance(value, list):
        return None
    names = [v.get("name") if isinstance(v, dict) else v for v in value]
    return [str(n) for n in names] if all(isinstance(n, str) and n for n in names) else None


def _token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("token", "bearer") else None


def _error(status: int, message: str) -> Response:
    return status, {}, {"message": message, "documentation_url": DOCS, "status": str(status)}


def _not_found() -> Response:
    return _error(404, "Not Found")


def _invalid(resource: str, fld: str, message: str, *, code: str = "custom") -> Response:
    return (
        422,
        {},
        {
            "message": "Validation Failed",
            "errors": [{"resource": resource, "code": code, "field": fld, "message": message}],
            "documentation_url": DOCS,
            "status": "422",
        },
    )


def _graphql_error(kind: str, message: str) -> Response:
    return (
        200,
        {},
        {
            "data": {"minimizeComment": None},
            "errors": [{"type": kind, "path": ["minimizeComment"], "message": message}],
        },
    )


def _body_problem(body: Any) -> Response | None:
    if not isinstance(body, str) or not body:
        return 422, {}, {"message": "Invalid request.\n\nNo body given.", "documentation_url": DOCS}
    if len(body) > BODY_LIMIT:
        return _invalid("IssueComment", "data", f"Body is too long (maximum is {BODY_LIMIT} characters)")
    return None


def _handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "GitHub.com"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            payload: dict[str, Any] | None = None
            if raw:
                try:
                    loaded = json.loads(raw)
                except ValueError:
                    self._send(400, [], {"message": "Problems parsing JSON", "documentation_url": DOCS})
                    return
                payload = loaded if isinstance(loaded, dict) else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, sent, body = fake.handle(self.command, self.path, headers, payload)
            self._send(status, sent, body)

        def _send(self, status: int, headers: list[tuple[str, str]], body: Any) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the FAKE GitHub API (tests/demo only).")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default="fake-token")
    parser.add_argument("--repo", default="acme/churn")
    parser.add_argument("--pr", type=int, default=1)
    parser.add_argument("--head-sha", default="0" * 40)
    args = parser.parse_args()
    fake = FakeGitHub(port=args.port)
    fake.add_token(args.token)
    fake.add_pull(args.repo, args.pr, args.head_sha)
    print(f"FAKE GitHub API at {fake.url} (repo {args.repo}, PR #{args.pr}); Ctrl-C to stop", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        fake._server.serve_forever()


if __name__ == "__main__":
    main()
