"""A commit status carrying the verdict, so branch protection can require it.

"Needs a look" maps to success: it means the gate could not decide and the
project chose not to fail on that (``gate.fail_on_inconclusive``); the status
description still says so. A result that could not finish maps to ``error``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from .client import Settings, calling

if TYPE_CHECKING:
    from github.Repository import Repository

State = Literal["success", "failure", "error", "pending"]
DESCRIPTION_LIMIT = 140


def state_for(verdict: str, *, errored: bool) -> State:
    if verdict == "dont-ship":
        return "error" if errored else "failure"
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
