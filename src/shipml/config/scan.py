"""How images are scanned and what fails the scan (``scan:`` in shipml.yaml)."""

from __future__ import annotations

from typing import Any, Literal, cast

from pydantic import Field, field_validator

from ..scan.trivy import DEFAULT_SCANNERS, DEFAULT_TIMEOUT_S, TIMEOUT_RANGE_S
from .base import Section

Severity = Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
Scanner = Literal["vuln", "secret", "misconfig"]


def _default_fail_on() -> list[Severity]:
    return ["CRITICAL", "HIGH"]


def _default_scanners() -> list[Scanner]:
    return cast(list[Scanner], list(DEFAULT_SCANNERS))


class ScanSection(Section):
    fail_on: list[Severity] = Field(
        default_factory=_default_fail_on,
        description="Severities that fail the step (exit 1) unless ignored or allowed. [] reports only.",
    )
    ignore_unfixed: bool = Field(
        default=False,
        description="Findings without a fixed version never fail the step (they are still reported).",
    )
    scanners: list[Scanner] = Field(
        default_factory=_default_scanners,
        description="vuln: OS and language packages; secret: keys and tokens in layers; "
        "misconfig: the image's Dockerfile (rebuilt from its history).",
    )
    trivyignore: str | None = Field(
        default=None,
        description="A .trivyignore file (IDs trivy drops). "
        "Default: the .trivyignore beside shipml.yaml, if any.",
    )
    allow: list[Any] = Field(
        default_factory=list,
        description="Accepted findings: [{id, reason, expires: YYYY-MM-DD, package?}]. An expired or "
        "malformed entry allows nothing and is reported as a warning with its line.",
    )
    baseline: str | None = Field(
        default=None,
        description="What 'new' findings are new against: the champion's image (reference or "
        "`docker save` tarball), a CycloneDX SBOM, or a previous scan result/trivy JSON.",
    )
    cache_dir: str | None = Field(
        default=None,
        description="Trivy cache with the vulnerability DB (db/trivy.db + db/metadata.json). "
        "Default: $TRIVY_CACHE_DIR, else ~/.cache/trivy. A fresh DB here is used without download.",
    )
    db_repository: str | None = Field(
        default=None, description="An OCI mirror of the trivy DB to download from (trivy --db-repository)."
    )
    trivy: str | None = Field(
        default=None, description="Path of the trivy binary. Default: trivy on PATH or in shipml's venv."
    )
    timeout: int = Field(
        default=DEFAULT_TIMEOUT_S,
        ge=TIMEOUT_RANGE_S[0],
        le=TIMEOUT_RANGE_S[1],
        description="Seconds a trivy run may take.",
    )
    sarif: str | None = Field(
        default=None, description="Where to write SARIF 2.1.0. Default: <work dir>/scan/trivy.sarif."
    )
    sbom: str | None = Field(
        default=None, description="Where to write the CycloneDX SBOM. Default: <work dir>/scan/sbom.cdx.json."
    )
    top: int = Field(default=10, ge=0, le=200, description="Findings listed in the report, worst first.")
    require_digest: bool = Field(
        default=False,
        description="Refuse an image reference by tag (exit 2): scan exactly what will be deployed.",
    )

    @field_validator("fail_on", "scanners")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))
