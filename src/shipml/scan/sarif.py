"""SARIF 2.1.0 from trivy's JSON report, written here instead of by a second trivy process.

``trivy convert --format sarif`` starts the 170 MB trivy binary again to re-read a
report this process has already parsed; on a busy runner that start-up is a large
share of the scan's overhead over raw trivy. The layout follows trivy's own SARIF
writer (one rule per finding id, ``security-severity`` for GitHub code scanning,
locations relative to ``ROOTPATH``), so uploads look the same as trivy's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note", "UNKNOWN": "note"}
# GitHub ranks alerts by security-severity (a CVSS-like score); trivy uses these for its levels.
SCORE = {"CRITICAL": "9.5", "HIGH": "8.0", "MEDIUM": "5.5", "LOW": "2.0", "UNKNOWN": "0.0"}


def _severity(raw: Any) -> str:
    text = str(raw or "UNKNOWN").upper()
    return text if text in LEVEL else "UNKNOWN"


def _cvss_score(vuln: dict[str, Any]) -> str | None:
    scores = [
        float(v.get("V3Score") or 0.0)
        for v in (vuln.get("CVSS") or {}).values()
        if isinstance(v, dict) and v.get("V3Score")
    ]
    return f"{max(scores):.1f}" if scores else None


class _Rules:
    """Rules in first-seen order; a result refers to its rule by id and index."""

    def __init__(self) -> None:
        self.rules: list[dict[str, Any]] = []
        self.index: dict[str, int] = {}

    def add(self, rule_id: str, kind: str, severity: str, title: str, text: str, url: str | None) -> int:
        if rule_id in self.index:
            return self.index[rule_id]
        rule: dict[str, Any] = {
            "id": rule_id,
            "name": kind.capitalize(),
            "shortDescription": {"text": title or rule_id},
            "fullDescription": {"text": text or title or rule_id},
            "defaultConfiguration": {"level": LEVEL[severity]},
            "help": {"text": f"{kind.capitalize()} {rule_id}\nSeverity: {severity}\n{text or title}".strip()},
            "properties": {
                "precision": "very-high",
                "security-severity": SCORE[severity],
                "tags": [kind, "security", severity],
            },
        }
        if url:
            rule["helpUri"] = url
        self.index[rule_id] = len(self.rules)
        self.rules.append(rule)
        return self.index[rule_id]


def _result(rule_id: str, index: int, severity: str, message: str, uri: str, line: int = 1) -> dict[str, Any]:
    region = {"startLine": max(line, 1), "startColumn": 1, "endLine": max(line, 1), "endColumn": 1}
    return {
        "ruleId": rule_id,
        "ruleIndex": index,
        "level": LEVEL[severity],
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri.lstrip("/") or "image", "uriBaseId": "ROOTPATH"},
                    "region": region,
                },
                "message": {"text": uri},
            }
        ],
    }


def from_report(report: dict[str, Any], version: str | None) -> dict[str, Any]:
    """The SARIF log of every vulnerability, secret and failed misconfiguration in ``report``."""
    rules = _Rules()
    results: list[dict[str, Any]] = []
    for target_result in report.get("Results") or []:
        target = str(target_result.get("Target") or "")
        for vuln in target_result.get("Vulnerabilities") or []:
            rule_id = str(vuln.get("VulnerabilityID") or "")
            severity = _severity(vuln.get("Severity"))
            index = rules.add(
                rule_id,
                "vulnerability",
                severity,
                str(vuln.get("Title") or ""),
                str(vuln.get("Description") or ""),
                str(vuln.get("PrimaryURL") or "") or None,
            )
            if score := _cvss_score(vuln):
                rules.rules[index]["properties"]["security-severity"] = score
            message = (
                f"Package: {vuln.get('PkgName')}\nInstalled Version: {vuln.get('InstalledVersion')}\n"
                f"Vulnerability {rule_id}\nSeverity: {severity}\n"
                f"Fixed Version: {vuln.get('FixedVersion') or ''}\n"
                f"Link: [{rule_id}]({vuln.get('PrimaryURL') or ''})"
            )
            uri = str(vuln.get("PkgPath") or "") or target
            results.append(_result(rule_id, index, severity, message, uri))
        for secret in target_result.get("Secrets") or []:
            rule_id = str(secret.get("RuleID") or "")
            severity = _severity(secret.get("Severity"))
            title = str(secret.get("Title") or "")
            index = rules.add(rule_id, "secret", severity, title, title, None)
            message = (
                f"Artifact: {target}\nType: {secret.get('Category') or ''}\n"
                f"Secret {title}\nSeverity: {severity}"
            )
            results.append(
                _result(rule_id, index, severity, message, target, int(secret.get("StartLine") or 1))
            )
        for misconf in target_result.get("Misconfigurations") or []:
            if str(misconf.get("Status") or "FAIL") != "FAIL":
                continue
            rule_id = str(misconf.get("ID") or misconf.get("AVDID") or "")
            severity = _severity(misconf.get("Severity"))
            title = str(misconf.get("Title") or "")
            index = rules.add(
                rule_id,
                "misconfiguration",
                severity,
                title,
                str(misconf.get("Description") or ""),
                str(misconf.get("PrimaryURL") or "") or None,
            )
            cause = misconf.get("CauseMetadata") or {}
            message = (
                f"Artifact: {target}\nType: {target_result.get('Type') or ''}\n{title}\n"
                f"Severity: {severity}\nMessage: {misconf.get('Message') or ''}"
            )
            results.append(
                _result(rule_id, index, severity, message, target, int(cause.get("StartLine") or 1))
            )
    driver: dict[str, Any] = {
        "fullName": "Trivy Vulnerability Scanner",
        "informationUri": "https://github.com/aquasecurity/trivy",
        "name": "Trivy",
        "rules": rules.rules,
    }
    if version:
        driver["version"] = version
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "results": results,
        "columnKind": "utf16CodeUnits",
        "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}},
    }
    metadata = report.get("Metadata") or {}
    if name := report.get("ArtifactName"):
        run["properties"] = {
            "imageName": name,
            "repoDigests": metadata.get("RepoDigests") or [],
            "repoTags": metadata.get("RepoTags") or [],
        }
    return {"version": "2.1.0", "$schema": SCHEMA, "runs": [run]}


def write(report: dict[str, Any], version: str | None, path: Path) -> None:
    path.write_text(json.dumps(from_report(report, version), indent=2) + "\n", encoding="utf-8")
