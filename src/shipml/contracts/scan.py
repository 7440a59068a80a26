"""``details`` of a scan result: what trivy found in an image, what the policy made of it, what is new.

Written by ``shipml scan`` (:mod:`shipml.scan`); read by ``shipml comment`` and by a
later ``shipml scan --baseline RESULT`` (a previous scan is a valid baseline, so the
findings list is complete, not just the top ones). Add fields, never rename them.
"""

from __future__ import annotations

from pydantic import Field

from ._base import Contract

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")


class Finding(Contract):
    """One vulnerability, secret or Dockerfile misconfiguration."""

    kind: str = Field(description='"vulnerability", "secret" or "misconfiguration".')
    id: str = Field(description="CVE/GHSA id, secret rule id or misconfiguration check id.")
    severity: str = Field(description="CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN.")
    package: str | None = Field(default=None, description="Package name (vulnerabilities).")
    installed: str | None = Field(default=None, description="Installed version (vulnerabilities).")
    fixed: str | None = Field(default=None, description="First fixed version; null when none is known.")
    title: str = ""
    target: str = Field(default="", description="Trivy's target: OS, language files, a file path.")
    blocking: bool = Field(default=False, description="Fails the step under the policy.")
    allowed: str | None = Field(default=None, description="The allow-list reason that accepted it.")
    new: bool | None = Field(default=None, description="Not in the baseline; null without a baseline.")

    def key(self) -> tuple[str, str, str]:
        """What makes two findings the same across images: a version bump keeps a CVE the same one."""
        return (self.kind, self.id, self.package or (self.target if self.kind == "secret" else ""))


class AllowNote(Contract):
    """How an allow-list entry was judged; expired and malformed ones allow nothing."""

    index: int
    id: str | None = None
    state: str = Field(description='"active", "expired" or "malformed".')
    message: str = ""
    line: int | None = None


class ScanDetails(Contract):
    target: str = Field(description="The image reference or tarball scanned.")
    trivy_version: str | None = None
    db_updated_at: str | None = Field(default=None, description="When the vulnerability DB was built.")
    scanners: list[str] = Field(default_factory=list)
    fail_on: list[str] = Field(default_factory=list)
    ignore_unfixed: bool = False
    counts: dict[str, int] = Field(default_factory=dict, description="All findings by severity.")
    blocking_counts: dict[str, int] = Field(default_factory=dict, description="Blocking ones by severity.")
    blocking: int = 0
    findings: list[Finding] = Field(default_factory=list, description="All findings, worst first.")
    allow: list[AllowNote] = Field(default_factory=list)
    baseline: str | None = None
    new_counts: dict[str, int] | None = Field(
        default=None, description="New findings by severity; null without a baseline."
    )
    sarif: str | None = None
    sbom: str | None = None
    top: int = Field(default=10, description="How many findings the report lists (scan.top).")
