"""What the champion's image already had, so the report can say what a change brings in.

A baseline can be given four ways, all reduced to a set of finding keys
(:meth:`Finding.key`: kind, id and package, not the version, so a bumped package
that still carries the same CVE is not "new"):

* a previous ``shipml scan`` result file: its complete findings list;
* a trivy JSON report;
* a CycloneDX SBOM: re-scanned with ``trivy sbom`` under today's DB, so a CVE
  published since the champion was built counts as old, not new. An SBOM holds
  packages only, so only vulnerabilities are compared (``kinds``);
* an image reference or ``docker save`` tarball: scanned like the target.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contracts.scan import Finding, ScanDetails
from ..errors import InputDataError
from . import findings as parse_findings
from .trivy import Trivy

ALL_KINDS = frozenset({"vulnerability", "secret", "misconfiguration"})


@dataclass(frozen=True)
class Baseline:
    source: str
    keys: frozenset[tuple[str, str, str]]
    kinds: frozenset[str]  # the kinds the baseline can speak about

    def is_new(self, finding: Finding) -> bool | None:
        if finding.kind not in self.kinds:
            return None
        return finding.key() not in self.keys


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def load(source: str, trivy: Trivy, work: Path, *, scanners: list[str], ignorefile: Path | None) -> Baseline:
    path = Path(source)
    found: list[Finding]
    kinds = ALL_KINDS
    if path.is_file() and path.suffix != ".tar":
        data = _read_json(path)
        if not isinstance(data, dict):
            raise InputDataError(
                f"baseline {source} is neither JSON nor an image tarball",
                hint="pass a shipml scan result, a trivy JSON report, a CycloneDX SBOM, "
                "an image reference or a `docker save` tarball",
            )
        if data.get("bomFormat") == "CycloneDX":
            found = parse_findings.parse(trivy.scan_sbom(path, work / "baseline-sbom.json"))
            kinds = frozenset({"vulnerability"})
        elif "Results" in data or "SchemaVersion" in data:
            found = parse_findings.parse(data)
        elif data.get("command") == "scan" and isinstance(data.get("details"), dict):
            found = ScanDetails.model_validate(data["details"]).findings
        else:
            raise InputDataError(
                f"baseline {source} is JSON but not a shipml scan result, trivy report or CycloneDX SBOM",
                hint="pass the result file of `shipml scan` on the champion's image, or its SBOM",
            )
    else:
        report = trivy.scan_image(
            source, work / "baseline.json", scanners=scanners, ignorefile=ignorefile, stream=False
        )
        found = parse_findings.parse(report)
    return Baseline(source, frozenset(f.key() for f in found), kinds)
