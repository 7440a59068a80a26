"""Everything needed to reproduce or audit a trained model, as MLflow tags.

Code (git SHA, branch, PR, workflow run), data (SHA-256 of every input file and,
when the data is under DVC, the hash DVC recorded) and environment (shipml,
Python and library versions). The commit comes from the Actions event first
(the PR head, not GitHub's merge commit) and from ``git`` otherwise.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from .. import __version__, runner
from ..contracts.tags import GIT_SHA
from ..datasets import sha256_of

PACKAGES = ("scikit-learn", "mlflow", "pandas", "numpy", "scipy", "skops")


@dataclass
class Lineage:
    git_sha: str | None = None
    git_branch: str | None = None
    repository: str | None = None
    pr_number: int | None = None
    run_url: str | None = None
    data_sha256: dict[str, str] = field(default_factory=dict)  # role -> hash
    data_paths: dict[str, str] = field(default_factory=dict)  # role -> path relative to the project
    dvc_hashes: dict[str, str] = field(default_factory=dict)  # role -> hash recorded in a .dvc file
    versions: dict[str, str] = field(default_factory=dict)  # package -> version

    def tags(self) -> dict[str, str]:
        tags = {
            GIT_SHA: self.git_sha or "unknown",
            "shipml.version": __version__,
            "shipml.python_version": platform.python_version(),
        }
        optional: dict[str, Any] = {
            "shipml.git_branch": self.git_branch,
            "shipml.repository": self.repository,
            "shipml.pr_number": self.pr_number,
            "shipml.run_url": self.run_url,
            # MLflow's own keys, so its UI shows the commit and branch too
            "mlflow.source.git.commit": self.git_sha,
            "mlflow.source.git.branch": self.git_branch,
        }
        tags.update({k: str(v) for k, v in optional.items() if v is not None})
        for role, digest in self.data_sha256.items():
            tags[f"shipml.data.{role}.sha256"] = digest
            tags[f"shipml.data.{role}.path"] = self.data_paths[role]
        for role, digest in self.dvc_hashes.items():
            tags[f"shipml.data.{role}.dvc_hash"] = digest
        for name, version in self.versions.items():
            tags[f"shipml.pkg.{name}"] = version
        return tags


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = out.stdout.strip()
    return value if out.returncode == 0 and value else None


def _branch(ctx: runner.RunContext, root: Path) -> str | None:
    if ctx.head_ref:
        return ctx.head_ref
    if os.environ.get("GITHUB_REF_NAME"):
        return os.environ["GITHUB_REF_NAME"]
    if ctx.ref and ctx.ref.startswith("refs/heads/"):
        return ctx.ref[len("refs/heads/") :]
    branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD")
    return None if branch == "HEAD" else branch


def dvc_hash(path: Path, stop: Path) -> str | None:
    """The hash DVC recorded for ``path`` (or a directory containing it), if it is DVC-tracked."""
    current = path.resolve()
    stop = stop.resolve()
    while True:
        meta = current.with_name(current.name + ".dvc")
        if meta.is_file():
            try:
                data = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError):
                return None
            for out in data.get("outs") or []:
                if isinstance(out, dict):
                    for key in ("md5", "etag", "checksum"):
                        if out.get(key):
                            return f"{key}:{out[key]}"
            return None
        if current == stop or current.parent == current or stop not in current.parents:
            return None
        current = current.parent


def versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def collect(root: Path, files: dict[str, Path]) -> Lineage:
    """Lineage of a training run over ``files`` (role -> path); ``root`` is the project directory."""
    ctx = runner.run_context()
    lineage = Lineage(
        git_sha=ctx.commit or _git(root, "rev-parse", "HEAD"),
        git_branch=_branch(ctx, root),
        repository=ctx.repository,
        pr_number=ctx.pr_number,
        run_url=ctx.run_url,
        versions=versions(),
    )
    repo_root = Path(_git(root, "rev-parse", "--show-toplevel") or root)
    for role, path in files.items():
        lineage.data_sha256[role] = sha256_of(path)
        try:
            lineage.data_paths[role] = str(path.resolve().relative_to(repo_root.resolve()))
        except ValueError:
            lineage.data_paths[role] = str(path)
        digest = dvc_hash(path, repo_root)
        if digest:
            lineage.dvc_hashes[role] = digest
    return lineage
