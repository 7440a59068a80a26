"""The CycloneDX SBOM written from trivy's JSON: trivy's tree, a whole graph, merged vulnerabilities.

The real consumer check (``trivy sbom`` reads it back and finds the same CVEs) is in
tests/integration/test_scan_trivy.py; these pin the structure that check relies on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shipml.scan.cyclonedx import from_report, write

DIGEST = "sha256:" + "b" * 64
LAYER = "sha256:" + "c" * 64


def _deb(name: str, version: str, *, epoch: int = 0, src: str = "", depends: list[str] | None = None) -> dict:
    purl = f"pkg:deb/debian/{name}@{version.replace('+', '%2B')}?arch=amd64&distro=debian-12.15"
    return {
        "ID": f"{name}@{f'{epoch}:' if epoch else ''}{version}",
        "Name": name,
        "Identifier": {"PURL": purl + (f"&epoch={epoch}" if epoch else ""), "UID": f"uid-{name}"},
        "Version": version,
        "Epoch": epoch,
        "SrcName": src or name,
        "SrcVersion": version,
        "SrcEpoch": epoch,
        "Maintainer": "Debian <d@debian.org>",
        "Digest": "sha256:" + "d" * 64,
        "Layer": {"DiffID": LAYER},
        "DependsOn": depends or [],
    }


REPORT: dict[str, Any] = {
    "SchemaVersion": 2,
    "ArtifactName": "registry.local:5000/team/model@" + DIGEST,
    "ArtifactType": "container_image",
    "Metadata": {
        "OS": {"Family": "debian", "Name": "12.15"},
        "ImageID": "sha256:" + "e" * 64,
        "DiffIDs": [LAYER],
        "RepoDigests": ["registry.local:5000/team/model@" + DIGEST],
        "RepoTags": [],
        "Size": 1234,
        "ImageConfig": {"architecture": "amd64", "config": {"Labels": {"io.shipml.model.name": "churn"}}},
    },
    "Results": [
        {
            "Target": "model (debian 12.15)",
            "Class": "os-pkgs",
            "Type": "debian",
            "Packages": [
                _deb("libssl3", "3.0.20-1~deb12u2", src="openssl"),
                _deb("openssl", "3.0.20-1~deb12u2", depends=["libssl3@3.0.20-1~deb12u2"]),
                _deb("bsdutils", "2.38.1-5+deb12u3", epoch=1),
            ],
            "Vulnerabilities": [
                {
                    "VulnerabilityID": "CVE-2099-0001",
                    "PkgID": "libssl3@3.0.20-1~deb12u2",
                    "PkgName": "libssl3",
                    "PkgIdentifier": {"UID": "uid-libssl3"},
                    "InstalledVersion": "3.0.20-1~deb12u2",
                    "Severity": "LOW",
                    "VendorSeverity": {"debian": 1, "nvd": 2},
                    "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N", "V3Score": 5.3}},
                    "DataSource": {"ID": "debian", "URL": "https://security-tracker.debian.org"},
                    "PrimaryURL": "https://avd.aquasec.com/nvd/cve-2099-0001",
                    "CweIDs": ["CWE-79"],
                },
                {
                    "VulnerabilityID": "CVE-2099-0001",
                    "PkgID": "openssl@3.0.20-1~deb12u2",
                    "PkgName": "openssl",
                    "PkgIdentifier": {"UID": "uid-openssl"},
                    "InstalledVersion": "3.0.20-1~deb12u2",
                    "Severity": "LOW",
                },
            ],
        },
        {
            "Target": "Python",
            "Class": "lang-pkgs",
            "Type": "python-pkg",
            "Packages": [
                {
                    "Name": "requests",
                    "Identifier": {"PURL": "pkg:pypi/requests@2.19.1", "UID": "uid-requests"},
                    "Version": "2.19.1",
                    "FilePath": "usr/lib/python3/dist-packages/requests-2.19.1.dist-info/METADATA",
                    "Licenses": ["Apache-2.0"],
                },
                {  # the same package installed twice: bom-refs must still be unique
                    "Name": "requests",
                    "Identifier": {"PURL": "pkg:pypi/requests@2.19.1", "UID": "uid-requests-2"},
                    "Version": "2.19.1",
                    "FilePath": "opt/venv/lib/python3.11/site-packages/requests-2.19.1.dist-info/METADATA",
                },
            ],
            "Vulnerabilities": [
                {
                    "VulnerabilityID": "CVE-2018-18074",
                    "PkgName": "requests",
                    "PkgIdentifier": {"UID": "uid-requests"},
                    "InstalledVersion": "2.19.1",
                    "FixedVersion": "2.20.0",
                    "Severity": "HIGH",
                }
            ],
        },
        {
            "Target": "app/package-lock.json",
            "Class": "lang-pkgs",
            "Type": "npm",
            "Packages": [
                {
                    "ID": "app@1.0.0",
                    "Name": "app",
                    "Identifier": {"PURL": "pkg:npm/app@1.0.0", "UID": "uid-app"},
                    "Version": "1.0.0",
                    "Relationship": "root",
                    "DependsOn": ["@types/node@20.1.0"],
                },
                {
                    "ID": "@types/node@20.1.0",
                    "Name": "@types/node",
                    "Identifier": {"PURL": "pkg:npm/%40types/node@20.1.0", "UID": "uid-types"},
                    "Version": "20.1.0",
                    "Relationship": "direct",
                },
            ],
        },
        {"Target": "Dockerfile", "Class": "config", "Type": "dockerfile", "Misconfigurations": []},
    ],
}


def _by_name(bom: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for component in bom["components"]:
        out.setdefault(component["name"], []).append(component)
    return out


def _props(component: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for prop in component.get("properties", []):
        out.setdefault(prop["name"].removeprefix("aquasecurity:trivy:"), []).append(prop["value"])
    return out


def test_root_is_the_image_with_trivy_properties_and_an_oci_purl() -> None:
    bom = from_report(REPORT, "0.76.0")
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    assert bom["serialNumber"].startswith("urn:uuid:")
    root = bom["metadata"]["component"]
    assert root["type"] == "container" and root["name"] == REPORT["ArtifactName"]
    assert root["purl"] == (
        "pkg:oci/model@sha256%3A"
        + "b" * 64
        + "?arch=amd64&repository_url=registry.local%3A5000%2Fteam%2Fmodel"
    )
    props = _props(root)
    assert props["ImageID"] == [REPORT["Metadata"]["ImageID"]] and props["DiffID"] == [LAYER]
    assert props["Labels:io.shipml.model.name"] == ["churn"] and props["Size"] == ["1234"]
    tools = {t["name"]: t["version"] for t in bom["metadata"]["tools"]["components"]}
    assert tools["trivy"] == "0.76.0" and "shipml" in tools


def test_components_os_application_and_libraries() -> None:
    bom = from_report(REPORT, None)
    names = _by_name(bom)
    (os_component,) = names["debian"]
    assert os_component["type"] == "operating-system" and os_component["version"] == "12.15"
    (lock,) = names["app/package-lock.json"]
    assert lock["type"] == "application" and _props(lock)["Type"] == ["npm"]
    assert "Python" not in names  # aggregated python-pkg: no application component

    (libssl,) = names["libssl3"]
    assert libssl["purl"].startswith("pkg:deb/debian/libssl3@") and libssl["version"] == "3.0.20-1~deb12u2"
    assert _props(libssl)["SrcName"] == ["openssl"] and _props(libssl)["PkgType"] == ["debian"]
    assert "SrcEpoch" not in _props(libssl)  # a zero epoch is left out, as trivy does
    assert libssl["supplier"] == {"name": "Debian <d@debian.org>"}
    assert libssl["hashes"] == [{"alg": "SHA-256", "content": "d" * 64}]
    (bsdutils,) = names["bsdutils"]
    assert bsdutils["version"] == "1:2.38.1-5+deb12u3" and _props(bsdutils)["SrcEpoch"] == ["1"]
    (types_node,) = names["node"]
    assert types_node["group"] == "@types" and types_node["version"] == "20.1.0"
    first, second = names["requests"]
    assert first["licenses"] == [{"license": {"name": "Apache-2.0"}}]
    assert "PkgID" not in _props(first)  # trivy had none for it; none is invented
    refs = [c["bom-ref"] for c in bom["components"]] + [bom["metadata"]["component"]["bom-ref"]]
    assert len(refs) == len(set(refs)), "bom-refs must be unique"
    assert first["bom-ref"] == "pkg:pypi/requests@2.19.1" and second["bom-ref"] != first["bom-ref"]


def test_dependency_graph_is_whole_and_rooted_like_trivys() -> None:
    bom = from_report(REPORT, None)
    ref = {c["bom-ref"]: c["name"] for c in bom["components"]}
    root_ref = bom["metadata"]["component"]["bom-ref"]
    ref[root_ref] = "ROOT"
    graph = {ref[d["ref"]]: sorted(ref[x] for x in d["dependsOn"]) for d in bom["dependencies"]}
    assert len(bom["dependencies"]) == len(ref)  # every component, leaves with an empty list
    assert graph["ROOT"] == ["app/package-lock.json", "debian", "requests", "requests"]
    # openssl depends on libssl3, so libssl3 hangs under openssl, not under the OS.
    assert graph["debian"] == ["bsdutils", "openssl"] and graph["openssl"] == ["libssl3"]
    assert graph["libssl3"] == [] and graph["bsdutils"] == []
    # A lock file with a root: only the root is the application's direct child.
    assert graph["app/package-lock.json"] == ["app"] and graph["app"] == ["node"]


def test_vulnerabilities_merged_per_id_with_every_affected_package() -> None:
    bom = from_report(REPORT, None)
    vulns = {v["id"]: v for v in bom["vulnerabilities"]}
    assert set(vulns) == {"CVE-2099-0001", "CVE-2018-18074"}
    refs = {c["bom-ref"]: c["name"] for c in bom["components"]}
    unfixed = vulns["CVE-2099-0001"]
    assert sorted(refs[a["ref"]] for a in unfixed["affects"]) == ["libssl3", "openssl"]
    assert unfixed["source"]["name"] == "debian" and unfixed["cwes"] == [79]
    ratings = {(r["source"]["name"], r.get("method")): r for r in unfixed["ratings"]}
    assert ratings[("nvd", "CVSSv31")]["score"] == 5.3 and ratings[("nvd", "CVSSv31")]["severity"] == "medium"
    assert ratings[("debian", None)]["severity"] == "low"
    assert vulns["CVE-2018-18074"]["recommendation"] == "Upgrade requests to version 2.20.0"
    assert vulns["CVE-2018-18074"]["affects"][0]["versions"] == [{"version": "2.19.1", "status": "affected"}]


def test_empty_report_and_written_file(tmp_path: Path) -> None:
    bom = from_report({"SchemaVersion": 2, "ArtifactName": "x.tar"}, None)
    assert bom["components"] == [] and bom["vulnerabilities"] == []
    assert bom["dependencies"] == [{"ref": bom["metadata"]["component"]["bom-ref"], "dependsOn": []}]
    out = tmp_path / "sbom.cdx.json"
    write(REPORT, "0.76.0", out)
    assert json.loads(out.read_text())["metadata"]["component"]["name"] == REPORT["ArtifactName"]
