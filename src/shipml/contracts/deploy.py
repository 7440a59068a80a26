"""``details`` of a deploy result: what went where, whether it is live, and what was undone.

Written by ``shipml deploy`` (:mod:`shipml.deploy.run`); read by its report section
and ``shipml comment``. Add fields, never rename them.
"""

from __future__ import annotations

from pydantic import Field

from ._base import Contract


class ObjectChange(Contract):
    kind: str
    name: str
    change: str = Field(
        description='"created", "configured" or "unchanged"; readers show others as they are.'
    )
    fields: list[str] = Field(default_factory=list, description="Changed field paths (dry run).")


class DeployDetails(Contract):
    environment: str
    github_environment: str = ""
    namespace: str
    context: str | None = None
    server: str | None = None
    action: str = Field(description='"deploy", "rollback" or "dry-run"; readers show others generically.')
    dry_run: bool = False
    status: str = Field(default="", description='"passed" (live and proven) or "failed".')
    image: str | None = Field(default=None, description="The image asked for (a digest).")
    live_image: str | None = Field(default=None, description="The image running when shipml finished.")
    previous_image: str | None = None
    revision: str | None = Field(default=None, description="The Deployment's revision when shipml finished.")
    previous_revision: str | None = None
    rolled_back: bool = False
    reason: str | None = Field(default=None, description="Why the deploy failed (and was rolled back).")
    recovered: str | None = Field(default=None, description="How an interrupted earlier deploy was resolved.")
    approved_by: str | None = None
    github_deployment_id: int | None = None
    url: str | None = None
    smoke: str | None = None
    model_name: str | None = None
    model_version: str | None = None
    objects: list[ObjectChange] = Field(default_factory=list)
    progress: list[str] = Field(default_factory=list)
    unvalidated: list[str] = Field(default_factory=list, description="Objects without a bundled schema.")
