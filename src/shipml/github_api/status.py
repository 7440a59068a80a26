"""A commit status carrying the verdict, so branch protection can require it.

A required check that says ``success`` lets the PR merge, so an *undecided*
result (an inconclusive gate) must not map to success by default: it maps to
``comment.inconclusive_status`` (``failure`` unless the project chose
``pending`` or ``success``). Warnings alone (a warning-level expectation) are a
decision already taken by the project's own severity, so they stay ``success``
with the description saying what to look at. A result that could not finish
maps to ``error``; a failed one to ``failure``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from .client import Settings, calling

if TYPE_CHECKING:
    from github.Repository import Repository

State = Literal["success", "failure", "error", "pending"]
DESCRIPTION_LIMIT = 140


def state_for(verdict: str, *, errored: bool, undecided: bool, on_undecided: State = "failure") -> State:
    if verdict == "dont-ship":
        return "error" if errored else "failure"
    if undecided:
        return on_undecided
    return "success"


def set_status(
    repo: Repository,
    sha: str,
    *,
    context: str,
    state: State,
    description: str,
    target_url: str | None,
    settings: Settings,
) -> None:
    text = " ".join(description.split())
    if len(text) > DESCRIPTION_LIMIT:
        text = text[: DESCRIPTION_LIMIT - 1] + "…"
    with calling(f"setting status {context!r} on commit {sha[:7]}", settings):
        commit = repo.get_commit(sha)
        if target_url:
            commit.create_status(state, target_url=target_url, description=text, context=context)
        else:
            commit.create_status(state, description=text, context=context)
