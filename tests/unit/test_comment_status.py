"""Which commit-status state each report verdict maps to (branch protection reads it)."""

from __future__ import annotations

import pytest

from shipml.github_api.status import state_for


@pytest.mark.parametrize(
    ("verdict", "errored", "undecided", "expected"),
    [
        ("ship", False, False, "success"),
        ("needs-a-look", False, False, "success"),  # warnings only: the project's own severity decided
        ("needs-a-look", False, True, "failure"),  # an inconclusive result: never green by default
        ("dont-ship", False, False, "failure"),
        ("dont-ship", True, False, "error"),
        ("dont-ship", False, True, "failure"),
    ],
)
def test_state_for(verdict: str, errored: bool, undecided: bool, expected: str) -> None:
    assert state_for(verdict, errored=errored, undecided=undecided) == expected


def test_undecided_follows_the_configured_state() -> None:
    assert state_for("needs-a-look", errored=False, undecided=True, on_undecided="pending") == "pending"
