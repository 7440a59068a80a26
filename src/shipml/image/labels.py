"""Image labels and tags: what makes an image traceable to its model version and commit."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .. import proc, runner
from ..errors import ConfigError

_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


@dataclass(frozen=True)
class Provenance:
    """Where an image comes from; every field may be unknown (None)."""

    model_uri: str | None
    model_name: str | None
    model_version: str | None
    run_id: str | None
    git_sha: str | None
    source: str | None

    def values(self) -> dict[str, str]:
        raw = {
            "model_name": self.model_name,
            "model_version": self.model_version,
            "run_id": self.run_id,
            "git_sha": self.git_sha,
            "git_sha_short": self.git_sha[:7] if self.git_sha else None,
        }
        return {k: v for k, v in raw.items() if v}


def _git(root: Path, *args: str) -> str | None:
    try:
        done = proc.run(["git", *args], cwd=root, timeout=10, check=False, what="git")
    except proc.ToolMissing:
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def git_sha(root: Path) -> str | None:
    """The commit being built: the PR head on a runner, else ``git rev-parse HEAD``."""
    return runner.run_context().commit or _git(root, "rev-parse", "HEAD")


def source_url(root: Path) -> str | None:
    ctx = runner.run_context()
    if ctx.repository:
        return f"{ctx.server_url}/{ctx.repository}"
    remote = _git(root, "config", "--get", "remote.origin.url")
    if remote and "@" in remote.split("://", 1)[-1].split("/", 1)[0]:
        return None  # never put credentials (or an ssh user) in a label
    return remote


def labels(p: Provenance) -> dict[str, str]:
    """OCI labels plus shipml's; unknown values are left out rather than written empty."""
    raw = {
        "org.opencontainers.image.created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "org.opencontainers.image.source": p.source,
        "org.opencontainers.image.revision": p.git_sha,
        "org.opencontainers.image.version": p.model_version or (p.git_sha[:7] if p.git_sha else None),
        "io.shipml.model.name": p.model_name,
        "io.shipml.model.version": p.model_version,
        "io.shipml.model.uri": p.model_uri,
        "io.shipml.run-id": p.run_id,
        "io.shipml.git-sha": p.git_sha,
    }
    return {k: v for k, v in raw.items() if v}


def render_tags(templates: list[str], p: Provenance, *, where: str) -> list[str]:
    """Tags from templates; a template naming an unknown value is skipped, a bad result is an error."""
    values = p.values()
    tags = []
    for template in templates:
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        except ValueError as exc:
            raise ConfigError(
                f"{where}: {template!r}: {exc}", hint="use {model_version}-style fields"
            ) from None
        unknown = fields - {"model_name", "model_version", "run_id", "git_sha", "git_sha_short"}
        if unknown:
            raise ConfigError(
                f"{where}: {template!r} uses unknown field(s) {sorted(unknown)}",
                hint="use model_name, model_version, run_id, git_sha or git_sha_short",
            )
        if not fields <= values.keys():
            continue
        tag = template.format(**values)
        if not _TAG.fullmatch(tag):
            raise ConfigError(
                f"{where}: {template!r} gives {tag!r}, not a valid image tag",
                hint="tags are 1-128 letters, digits, '_', '.', '-' and do not start with '.' or '-'",
            )
        tags.append(tag)
    return list(dict.fromkeys(tags)) or ["latest"]
