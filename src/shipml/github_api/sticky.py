"""The sticky comment: one per marker key, always current, found again on the next run.

The marker is an HTML comment on the first line (invisible when rendered). Only
comments that *start* with it are ours: a human quoting the report does not
start with the marker, so it is never edited or deleted. If earlier runs left
duplicates (a create retried after a lost response), they are cleaned up here.

Modes: ``update`` edits the one comment in place (quiet: no new notification);
``recreate`` posts anew at the bottom and deletes the old one; ``hide`` posts anew
and minimizes the old one as outdated (GitHub's "hide comment"), so the history
stays readable one click away. A hidden comment's marker is rewritten to
``<!-- shipml:KEY:outdated -->`` so later runs no longer treat it as current.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .. import runner
from .client import Settings, calling

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.IssueComment import IssueComment

Mode = Literal["update", "recreate", "hide"]


def marker(key: str) -> str:
    return f"<!-- shipml:{key} -->"


@dataclass(frozen=True)
class Posted:
    id: int
    url: str
    action: Literal["created", "updated", "unchanged", "recreated", "hidden-and-recreated"]
    deleted: int = 0
    hidden: int = 0


def upsert(issue: Issue, key: str, body: str, mode: Mode, settings: Settings, *, where: str) -> Posted:
    """Create or update the comment marked ``key`` on ``issue``; ``body`` must not contain the marker line."""
    tag = marker(key)
    full = f"{tag}\n{body}"
    with calling(f"listing comments on {where}", settings):
        ours = [c for c in issue.get_comments() if (c.body or "").startswith(tag)]
    if mode in ("recreate", "hide") or not ours:
        with calling(f"commenting on {where}", settings):
            new = issue.create_comment(full)
        if mode == "hide" and ours:
            _hide(ours, tag, settings, where)
            return Posted(new.id, new.html_url, "hidden-and-recreated", hidden=len(ours))
        _delete(ours, settings, where)
        action: Literal["created", "recreated"] = "recreated" if ours else "created"
        return Posted(new.id, new.html_url, action, len(ours))
    keep, extra = ours[0], ours[1:]
    unchanged = keep.body == full
    if not unchanged:
        with calling(f"updating comment {keep.id} on {where}", settings):
            keep.edit(full)
    if extra:
        runner.notice(f"removing {len(extra)} duplicate shipml:{key} comment(s) on {where}")
        _delete(extra, settings, where)
    return Posted(keep.id, keep.html_url, "unchanged" if unchanged else "updated", len(extra))


def _hide(comments: list[IssueComment], tag: str, settings: Settings, where: str) -> None:
    outdated = tag.replace(" -->", ":outdated -->")
    for comment in comments:
        with calling(f"hiding an old comment on {where}", settings):
            comment.minimize("OUTDATED")
        with calling(f"marking an old comment outdated on {where}", settings):
            comment.edit(outdated + (comment.body or "")[len(tag) :])


def _delete(comments: list[IssueComment], settings: Settings, where: str) -> None:
    for comment in comments:
        with calling(f"deleting an old comment on {where}", settings):
            comment.delete()
