"""``shipml comment``'s details: the verdict it reported and where the report went."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import Contract


class CommentDetails(Contract):
    """``verdict``: ship, dont-ship or needs-a-look. The posting keys exist only when it posted."""

    verdict: str
    reasons: list[str] = Field(default_factory=list)
    results: list[str] = Field(default_factory=list)
    commit: str | None = None
    report_chars: int = 0
    pr_number: int | None = None
    comment_id: int | None = None
    comment_url: str | None = None
    action: str | None = None
    skipped: str | None = None
    truncated: bool = False
    marker: str | None = None
    status: dict[str, Any] | None = None
    # --issue (a scheduled check's one issue) and --dispatch
    issue_title: str | None = None
    issue_number: int | None = None
    issue_url: str | None = None
    issue_action: str | None = None
    closed_duplicates: int = 0
    dispatched: str | None = None
