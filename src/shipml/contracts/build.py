"""``details`` of a build result: which image was built from which model and commit, and where it went.

Written by ``shipml build`` (:mod:`shipml.image`); read by ``shipml comment`` and by
deploy steps, which must use ``digest`` (``repo@sha256:...``), never a tag.
Add fields, never rename them.
"""

from __future__ import annotations

from pydantic import Field

from ._base import Contract


class BuildDetails(Contract):
    image_id: str = Field(description="The local image id (sha256:...).")
    digest: str | None = Field(
        default=None, description="repo@sha256:... in the registry; null when not pushed."
    )
    references: list[str] = Field(default_factory=list, description="Every repo:tag applied.")
    pushed: bool = False
    default_image: bool = Field(description="Built from shipml's default server Dockerfile.")
    dockerfile: str | None = None
    base: str | None = None
    model_uri: str | None = None
    model_name: str | None = None
    model_version: str | None = None
    run_id: str | None = None
    git_sha: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    size_bytes: int | None = None
    layers: int | None = None
    build_seconds: float | None = None
    push_seconds: float | None = None
    failed_step: str | None = Field(default=None, description="The Dockerfile step that failed, if any.")
    log_tail: list[str] = Field(default_factory=list, description="Last build log lines on failure.")
