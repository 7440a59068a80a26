"""A FAKE of GitHub's REST API, for tests only: a real HTTP server on 127.0.0.1.

GitHub cannot be reached from the test machines, so ``shipml comment`` (through
PyGithub) is exercised against this stand-in. It is a fake, not GitHub: it
implements only the endpoints shipml uses, but speaks their real wire protocol
(paths, methods, status codes, JSON shapes with correct ``url``/``html_url``
fields, ``Link`` pagination with ``per_page``/``page``, rate-limit headers), so
PyGithub runs unmodified against it. Anything it does not implement answers
404 like GitHub does, which makes a test fail loudly rather than pass by accident.

Endpoints:
  GET    /repos/{o}/{r}                              repository
  GET    /repos/{o}/{r}/issues/{n}                   issue (PRs are issues too)
  GET    /repos/{o}/{r}/pulls/{n}                    pull request (head sha)
  GET    /repos/{o}/{r}/issues/{n}/comments          list, paginated
  POST   /repos/{o}/{r}/issues/{n}/comments          create (422 above 65,536 chars)
  GET/PATCH/DELETE /repos/{o}/{r}/issues/comments/{id}
  POST   /repos/{o}/{r}/statuses/{sha}               commit status
  GET    /repos/{o}/{r}/commits/{sha}/statuses       list statuses
  GET    /repos/{o}/{r}/commits/{sha}                commit

Faults can be injected per method and path: 5xx, secondary-rate-limit 403 with
``Retry-After``, or anything else. Tokens are registered as write or read-only;
a read-only token gets GitHub's plain 403 "Resource not accessible by
integration" on writes, as a fork PR's ``GITHUB_TOKEN`` does.

Run standalone for a demo: ``python -m tests.support.fake_github --port 8765 --token T --pr 1``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

BODY_LIMIT = 65_536
DOCS = "https://docs.github.com/rest"


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
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    body: dict[str, Any] | None
    authorization: str | None


@dataclass
class _Repo:
    owner: str
    name: str
    id: int
    pulls: dict[int, str] = field(default_factory=dict)  # number -> head sha
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # issue number -> comments
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sha -> statuses


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
        self._tokens: dict[str, bool] = {}  # token -> can write
        self._faults: list[Fault] = []
        self._next_id = 1_000_000
        self.requests: list[Seen] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

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

    # -- test set-up -------------------------------------------------------------------------

    def add_token(self, token: str, *, write: bool = True) -> None:
        with self._lock:
            self._tokens[token] = write

    def add_pull(self, repo: str, number: int, head_sha: str = "0" * 40) -> None:
        with self._lock:
            r = self._repo(repo, create=True)
            assert r is not None
            r.pulls[number] = head_sha
            r.comments.setdefault(number, [])

    def add_comment(self, repo: str, number: int, body: str, *, login: str = "someone") -> dict[str, Any]:
        with self._lock:
            r = self._repo(repo)
            assert r is not None and number in r.comments, f"add_pull({repo!r}, {number}) first"
            return self._create_comment(r, number, body, login)

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
            },
        )

    # -- reading state back ------------------------------------------------------------------

    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            r = self._repo(repo)
            return [dict(c) for c in (r.comments.get(number, []) if r else [])]

    def statuses(self, repo: str, sha: str) -> list[dict[str, Any]]:
        with self._lock:
            r = self._repo(repo)
            return [dict(s) for s in (r.statuses.get(sha, []) if r else [])]

    def seen(self, method: str | None = None, path_contains: str = "") -> list[Seen]:
        with self._lock:
            return [
                s
                for s in self.requests
                if (method is None or s.method == method.upper()) and path_contains in s.path
            ]

    # -- JSON shapes -------------------------------------------------------------------------

    def _repo(self, full_name: str, *, create: bool = False) -> _Repo | None:
        repo = self._repos.get(full_name.lower())
        if repo is None and create:
            owner, name = full_name.split("/", 1)
            repo = _Repo(owner, name, id=len(self._repos) + 100)
            self._repos[full_name.lower()] = repo
        return repo

    def _user(self, login: str) -> dict[str, Any]:
        uid = sum(map(ord, login)) + 41_000_000
        is_bot = login.endswith("[bot]")
        return {
            "login": login,
            "id": uid,
            "node_id": f"MDQ6VXNlcj{uid}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
            "gravatar_id": "",
            "url": f"{self.url}/users/{login}",
            "html_url": f"{self.html_base}/{login}",
            "type": "Bot" if is_bot else "User",
            "site_admin": False,
        }

    def _repo_json(self, r: _Repo) -> dict[str, Any]:
        api = f"{self.url}/repos/{r.owner}/{r.name}"
        return {
            "id": r.id,
            "node_id": f"R_kgDO{r.id}",
            "name": r.name,
            "full_name": f"{r.owner}/{r.name}",
            "private": False,
            "owner": self._user(r.owner),
            "html_url": f"{self.html_base}/{r.owner}/{r.name}",
            "description": None,
            "fork": False,
            "url": api,
            "issues_url": f"{api}/issues{{/number}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "statuses_url": f"{api}/statuses/{{sha}}",
            "default_branch": "main",
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": _now(),
        }

    def _issue_json(self, r: _Repo, number: int) -> dict[str, Any]:
        api = f"{self.url}/repos/{r.owner}/{r.name}"
        html = f"{self.html_base}/{r.owner}/{r.name}"
        return {
            "id": r.id * 10_000 + number,
            "node_id": f"PR_kwDO{number}",
            "url": f"{api}/issues/{number}",
            "repository_url": api,
            "comments_url": f"{api}/issues/{number}/comments",
            "html_url": f"{html}/pull/{number}",
            "number": number,
            "state": "open",
            "title": f"Pull request {number}",
            "body": "",
            "user": self._user("contributor"),
            "labels": [],
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "locked": False,
            "comments": len(r.comments.get(number, [])),
            "pull_request": {
                "url": f"{api}/pulls/{number}",
                "html_url": f"{html}/pull/{number}",
                "diff_url": f"{html}/pull/{number}.diff",
                "patch_url": f"{html}/pull/{number}.patch",
                "merged_at": None,
            },
            "closed_at": None,
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": _now(),
            "author_association": "CONTRIBUTOR",
        }

    def _pull_json(self, r: _Repo, number: int) -> dict[str, Any]:
        api = f"{self.url}/repos/{r.owner}/{r.name}"
        html = f"{self.html_base}/{r.owner}/{r.name}"
        sha = r.pulls[number]
        repo_json = self._repo_json(r)
        return {
            "url": f"{api}/pulls/{number}",
            "id": r.id * 10_000 + number,
            "node_id": f"PR_kwDO{number}",
            "html_url": f"{html}/pull/{number}",
            "issue_url": f"{api}/issues/{number}",
            "comments_url": f"{api}/issues/{number}/comments",
            "statuses_url": f"{api}/statuses/{sha}",
            "number": number,
            "state": "open",
            "locked": False,
            "title": f"Pull request {number}",
            "user": self._user("contributor"),
            "body": "",
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": _now(),
            "head": {
                "label": f"contributor:pr-{number}",
                "ref": f"pr-{number}",
                "sha": sha,
                "repo": repo_json,
            },
            "base": {"label": f"{r.owner}:main", "ref": "main", "sha": "b" * 40, "repo": repo_json},
            "draft": False,
            "merged": False,
        }

    def _create_comment(self, r: _Repo, number: int, body: str, login: str) -> dict[str, Any]:
        self._next_id += 1
        cid = self._next_id
        api = f"{self.url}/repos/{r.owner}/{r.name}"
        now = _now()
        comment = {
            "id": cid,
            "node_id": f"IC_kwDO{cid}",
            "url": f"{api}/issues/comments/{cid}",
            "html_url": f"{self.html_base}/{r.owner}/{r.name}/pull/{number}#issuecomment-{cid}",
            "body": body,
            "user": self._user(login),
            "created_at": now,
            "updated_at": now,
            "issue_url": f"{api}/issues/{number}",
            "author_association": "NONE",
            "performed_via_github_app": None,
            "reactions": {"url": f"{api}/issues/comments/{cid}/reactions", "total_count": 0},
        }
        r.comments[number].append(comment)
        return comment

    # -- request handling --------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], payload: dict[str, Any] | None
    ) -> tuple[int, dict[str, str], Any]:
        split = urlsplit(raw_path)
        path, query = split.path, parse_qs(split.query)
        with self._lock:
            status, extra, body = self._dispatch(method, path, query, headers, payload)
            auth = headers.get("authorization")
            self.requests.append(Seen(method, path, query, status, payload, auth))
            return status, extra, body

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
    ) -> tuple[int, dict[str, str], Any]:
        fault = self._fault(method, path)
        if fault is not None:
            body = fault.body or {"message": "Server Error" if fault.status >= 500 else "Forbidden"}
            return fault.status, dict(fault.headers), body
        token = _token(headers.get("authorization"))
        if token is None or token not in self._tokens:
            return 401, {}, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
        can_write = self._tokens[token]
        if path == "/graphql" and method == "POST":
            return self._graphql(payload or {}, can_write)
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        repo = self._repo(f"{m.group(1)}/{m.group(2)}") if m else None
        if m is None or repo is None:
            return _not_found()
        rest = m.group(3) or ""
        if method != "GET" and not can_write:
            return (
                403,
                {},
                {
                    "message": "Resource not accessible by integration",
                    "documentation_url": f"{DOCS}/issues/comments#create-an-issue-comment",
                    "status": "403",
                },
            )
        return self._route(method, rest, query, payload, repo)

    def _route(
        self, method: str, rest: str, query: dict[str, list[str]], payload: dict[str, Any] | None, r: _Repo
    ) -> tuple[int, dict[str, str], Any]:
        if rest == "" and method == "GET":
            return 200, {}, self._repo_json(r)
        if m := re.fullmatch(r"/(issues|pulls)/(\d+)", rest):
            number = int(m.group(2))
            if method != "GET" or number not in r.pulls:
                return _not_found()
            return (
                200,
                {},
                (self._issue_json(r, number) if m.group(1) == "issues" else self._pull_json(r, number)),
            )
        if m := re.fullmatch(r"/issues/(\d+)/comments", rest):
            number = int(m.group(1))
            if number not in r.comments:
                return _not_found()
            if method == "GET":
                return self._page(r.comments[number], query, f"{self.url}/repos/{r.owner}/{r.name}{rest}")
            if method == "POST":
                body = (payload or {}).get("body")
                if problem := _body_problem(body):
                    return problem
                return 201, {}, self._create_comment(r, number, str(body), self.bot_login)
            return _not_found()
        if m := re.fullmatch(r"/issues/comments/(\d+)", rest):
            cid = int(m.group(1))
            for comments in r.comments.values():
                for i, comment in enumerate(comments):
                    if comment["id"] != cid:
                        continue
                    if method == "GET":
                        return 200, {}, comment
                    if method == "PATCH":
                        body = (payload or {}).get("body")
                        if problem := _body_problem(body):
                            return problem
                        comment["body"] = body
                        comment["updated_at"] = _now()
                        return 200, {}, comment
                    if method == "DELETE":
                        del comments[i]
                        return 204, {}, None
            return _not_found()
        if (m := re.fullmatch(r"/statuses/([0-9a-fA-F]{4,40})", rest)) and method == "POST":
            return self._create_status(r, m.group(1), payload or {})
        if m := re.fullmatch(r"/commits/([0-9a-fA-F]{4,40})/statuses", rest):
            return self._page(list(reversed(r.statuses.get(m.group(1), []))), query, f"{self.url}{rest}")
        if (m := re.fullmatch(r"/commits/([0-9a-fA-F]{4,40})", rest)) and method == "GET":
            sha = m.group(1)
            api = f"{self.url}/repos/{r.owner}/{r.name}"
            return (
                200,
                {},
                {
                    "sha": sha,
                    "node_id": f"C_{sha[:8]}",
                    "url": f"{api}/commits/{sha}",
                    "html_url": f"{self.html_base}/{r.owner}/{r.name}/commit/{sha}",
                    "commit": {"message": "commit", "url": f"{api}/git/commits/{sha}"},
                },
            )
        return _not_found()

    def _graphql(self, payload: dict[str, Any], can_write: bool) -> tuple[int, dict[str, str], Any]:
        """The one GraphQL mutation shipml sends (``minimizeComment``), answered as GitHub does.

        GraphQL reports problems with HTTP 200 and an ``errors`` list; an unknown
        node is ``type: NOT_FOUND``, a token without write access ``FORBIDDEN``.
        """
        query = str(payload.get("query", ""))
        if not re.search(r"\bminimizeComment\(input: \$input\)", query):
            return 200, {}, {"errors": [{"message": f"fake GitHub does not implement: {query[:80]}"}]}
        subject = ((payload.get("variables") or {}).get("input") or {}).get("subjectId")
        if not can_write:
            return (
                200,
                {},
                {
                    "data": {"minimizeComment": None},
                    "errors": [
                        {
                            "type": "FORBIDDEN",
                            "path": ["minimizeComment"],
                            "message": "Resource not accessible by integration",
                        }
                    ],
                },
            )
        for r in self._repos.values():
            for comments in r.comments.values():
                for comment in comments:
                    if comment["node_id"] == subject:
                        classifier = (payload["variables"]["input"] or {}).get("classifier")
                        self.minimized[comment["id"]] = str(classifier)  # kept out of the REST shapes
                        result = {"minimizedComment": {"isMinimized": True}}
                        return 200, {}, {"data": {"minimizeComment": result}}
        return (
            200,
            {},
            {
                "data": {"minimizeComment": None},
                "errors": [
                    {
                        "type": "NOT_FOUND",
                        "path": ["minimizeComment"],
                        "message": f"Could not resolve to a node with the global id of '{subject}'.",
                    }
                ],
            },
        )

    def _create_status(self, r: _Repo, sha: str, payload: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        state = payload.get("state")
        if state not in ("error", "failure", "pending", "success"):
            return (
                422,
                {},
                {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "Status",
                            "code": "custom",
                            "field": "state",
                            "message": f"state is not included in the list ({state!r})",
                        }
                    ],
                    "documentation_url": DOCS,
                },
            )
        description = payload.get("description")
        if description is not None and len(str(description)) > 140:
            return (
                422,
                {},
                {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "Status",
                            "code": "custom",
                            "field": "description",
                            "message": "description is too long (maximum is 140 characters)",
                        }
                    ],
                    "documentation_url": DOCS,
                },
            )
        self._next_id += 1
        now = _now()
        status = {
            "url": f"{self.url}/repos/{r.owner}/{r.name}/statuses/{sha}",
            "avatar_url": None,
            "id": self._next_id,
            "node_id": f"SC_kwDO{self._next_id}",
            "state": state,
            "description": description,
            "target_url": payload.get("target_url"),
            "context": payload.get("context") or "default",
            "created_at": now,
            "updated_at": now,
            "creator": self._user(self.bot_login),
        }
        r.statuses.setdefault(sha, []).append(status)
        return 201, {}, status

    def _page(
        self, items: list[Any], query: dict[str, list[str]], base: str
    ) -> tuple[int, dict[str, str], Any]:
        """GitHub's page/per_page pagination with an RFC 8288 ``Link`` header."""
        try:
            per_page = max(1, min(100, int(query.get("per_page", ["30"])[0])))
            page = max(1, int(query.get("page", ["1"])[0]))
        except ValueError:
            return 422, {}, {"message": "Invalid pagination parameters", "documentation_url": DOCS}
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]

        def link(n: int) -> str:
            return f"{base}?{urlencode({'per_page': per_page, 'page': n})}"

        rels = []
        if page > 1:
            rels.append(f'<{link(page - 1)}>; rel="prev"')
        if page < last:
            rels.append(f'<{link(page + 1)}>; rel="next"')
            rels.append(f'<{link(last)}>; rel="last"')
        if page > 1:
            rels.append(f'<{link(1)}>; rel="first"')
        return 200, ({"Link": ", ".join(rels)} if rels else {}), chunk


def _token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("token", "bearer") else None


def _not_found() -> tuple[int, dict[str, str], Any]:
    return 404, {}, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}


def _body_problem(body: Any) -> tuple[int, dict[str, str], Any] | None:
    if not isinstance(body, str) or not body:
        return 422, {}, {"message": "Invalid request.\n\nNo body given.", "documentation_url": DOCS}
    if len(body) > BODY_LIMIT:
        return (
            422,
            {},
            {
                "message": "Validation Failed",
                "errors": [
                    {
                        "resource": "IssueComment",
                        "code": "unprocessable",
                        "field": "data",
                        "message": f"Body is too long (maximum is {BODY_LIMIT} characters)",
                    }
                ],
                "documentation_url": DOCS,
                "status": "422",
            },
        )
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
                    self._send(400, {}, {"message": "Problems parsing JSON", "documentation_url": DOCS})
                    return
                payload = loaded if isinstance(loaded, dict) else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = fake.handle(self.command, self.path, headers, payload)
            self._send(status, extra, body)

        def _send(self, status: int, extra: dict[str, str], body: Any) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-GitHub-Media-Type", "github.v3; format=json")
            self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
            self.send_header("X-GitHub-Request-Id", f"FAKE:{time.monotonic_ns():x}")
            self.send_header("X-RateLimit-Limit", "5000")
            self.send_header("X-RateLimit-Remaining", "4999")
            self.send_header("X-RateLimit-Reset", str(int(time.time()) + 3600))
            self.send_header("X-RateLimit-Used", "1")
            self.send_header("X-RateLimit-Resource", "core")
            for name, value in extra.items():
                self.send_header(name, value)
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
