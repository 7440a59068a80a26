"""Trivy's JSON report as typed findings, and counting them.

Trivy's report nests findings per target and per class (OS packages, language
packages, secrets, the image config); the policy, the report and the baseline diff
all want one flat list with the same fields, which is what this module makes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..contracts.scan import SEVERITIES, Finding

_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


def severity_of(raw: Any) -> str:
    text = str(raw or "UNKNOWN").upper()
    return text if text in _RANK else "UNKNOWN"


def parse(report: dict[str, Any]) -> list[Finding]:
    """Every vulnerability, secret and failed misconfiguration check in a trivy JSON report, worst first."""
    found: list[Finding] = []
    for result in report.get("Results") or []:
        target = str(result.get("Target") or "")
        for vuln in result.get("Vulnerabilities") or []:
            found.append(
                Finding(
                    kind="vulnerability",
                    id=str(vuln.get("VulnerabilityID") or ""),
                    severity=severity_of(vuln.get("Severity")),
                    package=str(vuln.get("PkgName") or "") or None,
                    installed=str(vuln.get("InstalledVersion") or "") or None,
                    fixed=str(vuln.get("FixedVersion") or "") or None,
                    title=str(vuln.get("Title") or ""),
                    target=target,
                )
            )
        for secret in result.get("Secrets") or []:
            found.append(
                Finding(
                    kind="secret",
                    id=str(secret.get("RuleID") or ""),
                    severity=severity_of(secret.get("Severity")),
                    title=str(secret.get("Title") or ""),
                    target=target,
                )
            )
        for misconf in result.get("Misconfigurations") or []:
            if str(misconf.get("Status") or "FAIL") != "FAIL":
                continue
            found.append(
                Finding(
                    kind="misconfiguration",
                    id=str(misconf.get("ID") or misconf.get("AVDID") or ""),
                    severity=severity_of(misconf.get("Severity")),
                    title=str(misconf.get("Title") or misconf.get("Message") or ""),
                    target=target,
                )
            )
    return sort(found)


def sort(findings: Iterable[Finding]) -> list[Finding]:
    """Blocking first, then by severity, then by id: the order the report lists them in."""
    return sorted(
        findings, key=lambda f: (not f.blocking, _RANK[severity_of(f.severity)], f.id, f.package or "")
    )


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Findings per severity, every severity present (zeros included) in a fixed order."""
    out = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        out[severity_of(finding.severity)] += 1
    return out
