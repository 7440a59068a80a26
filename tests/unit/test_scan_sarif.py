"""SARIF written from trivy's JSON: one rule per id, GitHub's severity fields, every finding located."""

from __future__ import annotations

from typing import Any

from shipml.scan.sarif import from_report

REPORT: dict[str, Any] = {
    "ArtifactName": "reg/app@sha256:" + "a" * 64,
    "Metadata": {"RepoDigests": ["reg/app@sha256:" + "a" * 64], "RepoTags": []},
    "Results": [
        {
            "Target": "Python",
            "Vulnerabilities": [
                {
                    "VulnerabilityID": "CVE-2018-18074",
                    "PkgName": "requests",
                    "PkgPath": "usr/lib/python3/dist-packages/requests-2.19.1.dist-info/METADATA",
                    "InstalledVersion": "2.19.1",
                    "FixedVersion": "2.20.0",
                    "Severity": "HIGH",
                    "Title": "requests: auth header leak",
                    "CVSS": {"nvd": {"V3Score": 7.5}},
                },
                {
                    "VulnerabilityID": "CVE-2018-18074",
                    "PkgName": "requests",
                    "InstalledVersion": "2.19.1",
                    "Severity": "HIGH",
                },
                {"VulnerabilityID": "CVE-2099-0001", "PkgName": "openssl", "Severity": "LOW"},
            ],
        },
        {
            "Target": "/app/deploy.env",
            "Secrets": [
                {"RuleID": "aws-access-key-id", "Severity": "CRITICAL", "Title": "AWS", "StartLine": 3}
            ],
        },
        {
            "Target": "Dockerfile",
            "Type": "dockerfile",
            "Misconfigurations": [
                {"ID": "DS-0002", "Severity": "HIGH", "Title": "root user", "Status": "FAIL"},
                {"ID": "DS-0026", "Severity": "LOW", "Title": "healthcheck", "Status": "PASS"},
            ],
        },
    ],
}


def test_rules_results_levels_and_locations() -> None:
    log = from_report(REPORT, "0.76.0")
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "Trivy" and run["tool"]["driver"]["version"] == "0.76.0"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["CVE-2018-18074", "CVE-2099-0001", "aws-access-key-id", "DS-0002"]
    assert rules[0]["properties"]["security-severity"] == "7.5"  # the CVSS score wins
    assert rules[1]["properties"]["security-severity"] == "2.0"
    results = run["results"]
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in results] == [
        ("CVE-2018-18074", 0, "error"),
        ("CVE-2018-18074", 0, "error"),
        ("CVE-2099-0001", 1, "note"),
        ("aws-access-key-id", 2, "error"),
        ("DS-0002", 3, "error"),
    ]  # a passed misconfiguration check is no result
    first = results[0]["locations"][0]["physicalLocation"]
    assert first["artifactLocation"]["uri"].endswith("requests-2.19.1.dist-info/METADATA")
    secret = results[3]["locations"][0]["physicalLocation"]
    assert secret["artifactLocation"]["uri"] == "app/deploy.env" and secret["region"]["startLine"] == 3
    assert run["properties"]["imageName"] == REPORT["ArtifactName"]


def test_empty_report_is_a_valid_log() -> None:
    log = from_report({"SchemaVersion": 2}, None)
    assert log["runs"][0]["results"] == [] and "version" not in log["runs"][0]["tool"]["driver"]
