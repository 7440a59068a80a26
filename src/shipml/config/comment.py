"""How the PR comment is posted (``comment:`` in shipml.yaml)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from .base import Section


class CommentSection(Section):
    marker: str = Field(default="report", description="Key of the sticky comment; one comment per key.")
    mode: Literal["update", "recreate"] = "update"
    status_context: str | None = Field(default=None, description="Also set a commit status with this context.")

    @field_validator("marker")
    @classmethod
    def _marker_ok(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", value):
            raise ValueError("use 1-64 letters, digits, '_', '.', ':' or '-'")
        return value
