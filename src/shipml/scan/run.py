"""One scan, end to end: target checks, trivy, policy, baseline, SARIF and SBOM files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import proc
from ..contracts.scan import ScanDetails
from ..errors import ConfigError
from . import baseline as baselines
from . import cyclonedx as sbom_file
from . import findings as parse_findings
from . import policy as policies
from . import sarif as sarif_file
from .trivy import ImageScan, db_state, ignorefile_for, plan_image_scan

if TYPE_CHECKING:
    from ..config import ShipmlConfig


@dataclass(frozen=True)
class Outcome:
    details: ScanDetails
    passed: bool
    report_json: Path


def _ignorefile(cfg: ShipmlConfig) -> Path | None:
    explicit = cfg.path(cfg.scan.trivyignore) if cfg.scan.trivyignore else None
    if explicit is not None and not explicit.is_file():
        raise ConfigError(
            f"{cfg.where('scan', 'trivyignore')}: {explicit} not found", hint="fix the path or remove the key"
        )
    return ignorefile_for(explicit, cfg.root)


def plan(cfg: ShipmlConfig, target: str) -> ImageScan:
    """The scan the validated ``scan:`` section asks for."""
    section = cfg.scan
    return plan_image_scan(
        target,
        root=cfg.root,
        trivy=section.trivy,
        cache_dir=section.cache_dir,
        db_repository=section.db_repository,
        timeout=section.timeout,
        scanners=list(section.scanners),
        ignorefile=_ignorefile(cfg),
        require_digest=section.require_digest,
    )


def scan(
    cfg: ShipmlConfig,
    target: str,
    *,
    baseline: str | None = None,
    sarif: str | None = None,
    sbom: str | None = None,
    running: proc.Running | None = None,
) -> Outcome:
    section = cfg.scan
    planned = plan(cfg, target)
    target, ignorefile, scanners = planned.target, planned.ignorefile, planned.scanners
    allow, notes = policies.load_allow_list(cfg)
    policy = policies.Policy(frozenset(section.fail_on), section.ignore_unfixed, allow)
    trivy, cache_dir = planned.trivy, planned.trivy.cache_dir
    work, report_json = planned.output.parent, planned.output
    report = planned.run(running)
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
