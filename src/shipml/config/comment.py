"""How the PR comment is posted (``comment:`` in shipml.yaml)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from .base import Section


class CommentSection(Section):
    marker: str = Field(default="report", description="Key of the sticky comment; one comment per key.")
    mode: Literal["update", "recreate", "hide"] = Field(
        default="update",
        description="update: edit the comment in place; recreate: post anew, delete the old; "
        "hide: post anew, minimize the old as outdated.",
    )
    status_context: str | None = Field(
        default=None, description="Also set a commit status with this context."
    )
    inconclusive_status: Literal["failure", "pending", "success"] = Field(
        default="failure",
        description="Commit status state when a result is inconclusive (needs a look): failure blocks a "
        "required check; pending keeps it waiting; success lets the PR merge undecided.",
    )
    api_url: str | None = Field(
        default=None,
        description="GitHub REST API base URL. Default: $GITHUB_API_URL, else https://api.github.com.",
    )
    retries: int = Field(
        default=5, ge=0, le=20, description="Retries on 5xx, rate limits and connection errors."
    )
    backoff: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="Exponential backoff factor in seconds (0, 2b, 4b, 8b, ... between tries).",
    )
    timeout: int = Field(
        default=15, ge=1, le=300, description="Seconds to wait for each GitHub API response."
    )
    write_interval: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="Seconds between writes, as GitHub asks to avoid secondary rate limits.",
    )

    @field_validator("marker")
    @classmethod
    def _marker_ok(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", value):
            raise ValueError("use 1-64 letters, digits, '_', '.', ':' or '-'")
        return value

    @field_validator("status_context")
    @classmethod
    def _context_ok(cls, value: str | None) -> str | None:
        if value is not None and not (0 < len(value) <= 255):
            raise ValueError("use 1-255 characters")
        return value
