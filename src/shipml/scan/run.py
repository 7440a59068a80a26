"""One scan, end to end: target checks, trivy, policy, baseline, SARIF and SBOM files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import runner
from ..contracts.scan import ScanDetails
from ..errors import ConfigError, InputDataError, UsageError
from . import baseline as baselines
from . import cyclonedx as sbom_file
from . import findings as parse_findings
from . import policy as policies
from . import sarif as sarif_file
from .trivy import Trivy, binary, db_state, default_cache_dir

if TYPE_CHECKING:
    from ..config import ShipmlConfig

# [host[:port]/]name[:tag][@sha256:hex]: lower-case name parts; checked loosely, trivy checks the rest.
_REFERENCE = re.compile(r"[a-z0-9][a-z0-9._\-]*(?::\d+)?(?:/[a-z0-9._\-]+)*(?::[\w][\w.\-]{0,127})?")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Outcome:
    details: ScanDetails
    passed: bool
    report_json: Path


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


def _ignorefile(cfg: ShipmlConfig) -> Path | None:
    if cfg.scan.trivyignore:
        path = cfg.path(cfg.scan.trivyignore)
        if not path.is_file():
            raise ConfigError(
                f"{cfg.where('scan', 'trivyignore')}: {path} not found",
                hint="fix the path or remove the key",
            )
        return path
    default = cfg.root / ".trivyignore"
    return default if default.is_file() else None


def scan(
    cfg: ShipmlConfig,
    target: str,
    *,
    baseline: str | None = None,
    sarif: str | None = None,
    sbom: str | None = None,
) -> Outcome:
    section = cfg.scan
    target = check_target(target, require_digest=section.require_digest)
    ignorefile = _ignorefile(cfg)
    allow, notes = policies.load_allow_list(cfg)
    policy = policies.Policy(frozenset(section.fail_on), section.ignore_unfixed, allow)
    cache_dir = cfg.path(section.cache_dir) if section.cache_dir else default_cache_dir()
    trivy = Trivy(binary(section.trivy), cache_dir, section.db_repository, float(section.timeout))

    work = runner.work_dir() / "scan"
    work.mkdir(parents=True, exist_ok=True)
    report_json = work / "trivy.json"
    scanners: list[str] = list(section.scanners)
    report = trivy.scan_image(target, report_json, scanners=scanners, ignorefile=ignorefile)
    version = str((report.get("Trivy") or {}).get("Version") or "") or None
    sarif_path = Path(sarif or section.sarif or work / "trivy.sarif")
    sbom_path = Path(sbom or section.sbom or work / "sbom.cdx.json")
    for path in (sarif_path, sbom_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    # SARIF and the SBOM are re-shapings of the report already parsed, written here: a
    # `trivy convert` per format restarted the 170 MB binary each time, which was most of
    # the scan's overhead over raw trivy.
    sarif_file.write(report, version, sarif_path)
    sbom_file.write(report, version, sbom_path)
    found = policies.apply(parse_findings.parse(report), policy)

    base_source = baseline or section.baseline
    new_counts = None
    if base_source:
        base = baselines.load(base_source, trivy, work, scanners=scanners, ignorefile=ignorefile)
        found = [f.model_copy(update={"new": base.is_new(f)}) for f in found]
        new_counts = parse_findings.counts(f for f in found if f.new)

    found = parse_findings.sort(found)
    blocking = [f for f in found if f.blocking]
    details = ScanDetails(
        target=target,
        trivy_version=version,
        db_updated_at=db_state(cache_dir).updated_at if "vuln" in scanners else None,
        scanners=scanners,
        fail_on=list(section.fail_on),
        ignore_unfixed=section.ignore_unfixed,
        counts=parse_findings.counts(found),
        blocking_counts=parse_findings.counts(blocking),
        blocking=len(blocking),
        findings=found,
        allow=notes,
        baseline=base_source,
        new_counts=new_counts,
        sarif=str(sarif_path.resolve()),
        sbom=str(sbom_path.resolve()),
        top=section.top,
    )
    return Outcome(details, not blocking, report_json)
