"""One issue per marker key: opened when a scheduled check finds a problem, closed when it clears.

A scheduled drift check runs every day; a new issue per run would bury the one
that matters, so the issue is found again by the same hidden first-line marker
as the sticky comment (:func:`sticky.marker`).

Which issues are ours: *open* issues whose body starts with the marker **and**
whose author is ``author`` (default ``github-actions[bot]``, the identity a
workflow's ``GITHUB_TOKEN`` acts as). Anyone can open an issue, so the marker
alone is not proof: an issue a person opened with the marker text is never
edited or closed. With a personal or app token, pass that account as ``author``
(a warning says so when a created issue's author differs). Closed issues are
history: once the problem cleared (or a person closed it), the next problem is a
new episode and opens a new issue. If an earlier run left duplicates (a create
retried after a lost response), the oldest is kept and the rest are closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .. import runner
from .client import Settings, calling
from .sticky import marker

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.Repository import Repository

DEFAULT_AUTHOR = "github-actions[bot]"
PERMISSION_HINT = "grant the job `permissions: issues: write` (and pass a token that has it)"


@dataclass(frozen=True)
class Filed:
    """What happened to the keyed issue; ``number`` is None when there was none to touch."""

    number: int | None
    url: str
    action: Literal["created", "updated", "unchanged", "resolved", "none"]
    closed_duplicates: int = 0


def find(repo: Repository, key: str, author: str, settings: Settings, *, where: str) -> list[Issue]:
    """Our open issues marked ``key``, oldest first (normally zero or one)."""
    tag = marker(key)
    with calling(f"listing issues of {where}", settings):
        listed = repo.get_issues(state="open", creator=author, sort="created", direction="asc")  # type: ignore[arg-type]
        ours = [
            i
            for i in listed
            if "/pull/" not in (i.html_url or "")  # the issues list includes pull requests
            and (i.body or "").startswith(tag)
            and i.user.login.lower() == author.lower()
        ]
    return sorted(ours, key=lambda i: i.number)


def upsert(
    repo: Repository,
    key: str,
    title: str,
    body: str,
    settings: Settings,
    *,
    labels: list[str],
    author: str = DEFAULT_AUTHOR,
    where: str,
) -> Filed:
    """Open the issue marked ``key``, or bring the open one up to date; ``body`` excludes the marker."""
    full = f"{marker(key)}\n{body}"
    ours = find(repo, key, author, settings, where=where)
    if not ours:
        with calling(f"opening an issue in {where}", settings, forbidden_hint=PERMISSION_HINT):
            created = repo.create_issue(title=title, body=full, labels=labels)
        if created.user.login.lower() != author.lower():
            runner.warning(
                f"issue #{created.number} was opened as {created.user.login}, but later runs look for issues "
                f"by {author}: pass --issue-author {created.user.login} (the action's issue-author input) "
                "or each run opens a new issue"
            )
        return Filed(created.number, created.html_url, "created")
    keep, extra = ours[0], ours[1:]
    unchanged = keep.body == full and keep.title == title
    if not unchanged:
        with calling(f"updating issue #{keep.number} in {where}", settings, forbidden_hint=PERMISSION_HINT):
            keep.edit(title=title, body=full)
    if labels:
        missing = [name for name in labels if name not in {label.name for label in keep.labels}]
        if missing:
            with calling(f"labelling issue #{keep.number} in {where}", settings):
                keep.add_to_labels(*missing)
    _close_duplicates(keep, extra, settings, where)
    return Filed(keep.number, keep.html_url, "unchanged" if unchanged else "updated", len(extra))


def resolve(
    repo: Repository, key: str, body: str, settings: Settings, *, author: str = DEFAULT_AUTHOR, where: str
) -> Filed:
    """The problem cleared: rewrite our open issue's body to ``body`` and close it; none open, do nothing."""
    ours = find(repo, key, author, settings, where=where)
    if not ours:
        return Filed(None, "", "none")
    keep, extra = ours[0], ours[1:]
    with calling(f"closing issue #{keep.number} in {where}", settings, forbidden_hint=PERMISSION_HINT):
        keep.edit(body=f"{marker(key)}\n{body}", state="closed", state_reason="completed")
    _close_duplicates(keep, extra, settings, where)
    return Filed(keep.number, keep.html_url, "resolved", len(extra))


def _close_duplicates(keep: Issue, extra: list[Issue], settings: Settings, where: str) -> None:
    if not extra:
        return
    runner.notice(f"closing {len(extra)} duplicate issue(s) of #{keep.number} in {where}")
    for issue in extra:
        with calling(f"closing duplicate issue #{issue.number} in {where}", settings):
            issue.edit(state="closed", state_reason="not_planned")
