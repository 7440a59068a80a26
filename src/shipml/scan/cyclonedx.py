"""A CycloneDX SBOM from trivy's JSON report, written here instead of by ``trivy convert``.

``trivy convert --format cyclonedx`` starts the trivy binary a second time only to
re-read the report this process has already parsed; after the scan that start-up was
the largest single piece of ``shipml scan``'s overhead over a raw ``trivy image``. The
report (written with ``--list-all-pkgs``) already holds every package with its purl,
layer, source package and dependencies, so the SBOM is a re-shaping of it.

The layout is trivy's own, because the SBOM's main consumers are ``trivy sbom``
(the baseline re-scan: a champion's SBOM judged under today's DB) and tools such as
Dependency-Track, which key on the same things:

* the image is ``metadata.component`` (type ``container``, an OCI purl when the image
  has a repo digest, trivy's properties: image id, diff ids, tags, digests, size);
* OS packages hang under one ``operating-system`` component named by the OS family
  and version (trivy's decoder takes the OS from it: without it OS packages are
  not matched); packages from a lock file hang under an ``application`` component
  named by the file; packages trivy aggregates (Python ``dist-info``, gemspecs,
  ``node_modules``, jars) hang directly under the image;
* every package is a ``library`` with its purl (the key every consumer matches on),
  supplier, hash, licences and the ``aquasecurity:trivy:*`` properties trivy reads
  back (PkgID, SrcName/SrcVersion/SrcRelease/SrcEpoch, which Debian and Red Hat
  advisories are keyed by, LayerDiffID, FilePath);
* ``dependencies`` is the package graph, with an empty entry for every leaf;
* ``vulnerabilities`` lists what the scan found, one entry per id with every
  affected package, as trivy does.

Spec version 1.6, not trivy 0.76's 1.7: every field used here exists in 1.6, and
1.6 is what current Dependency-Track and most other consumers accept.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from .. import __version__

SPEC_VERSION = "1.6"
SCHEMA = "http://cyclonedx.org/schema/bom-1.6.schema.json"
PROP = "aquasecurity:trivy:"
# Language package types trivy gathers from many places with no lock file: no application component.
AGGREGATING_TYPES = frozenset({"python-pkg", "conda-pkg", "gemspec", "node-pkg", "jar"})
_VENDOR_SEVERITY = {0: "unknown", 1: "low", 2: "medium", 3: "high", 4: "critical"}


def _props(pairs: list[tuple[str, Any]]) -> list[dict[str, str]]:
    """trivy's properties: empty values and a zero SrcEpoch left out, sorted by name."""
    out = [
        {"name": PROP + name, "value": str(value)}
        for name, value in pairs
        if value not in (None, "") and not (name == "SrcEpoch" and str(value) == "0")
    ]
    return sorted(out, key=lambda p: p["name"])


def _oci_purl(metadata: dict[str, Any]) -> str | None:
    """``pkg:oci/NAME@sha256%3A...?arch=...&repository_url=...`` from the first repo digest.

    Qualifier values fully percent-encoded (``/`` and ``:`` too), as trivy writes them.
    """
    digests = metadata.get("RepoDigests") or []
    if not digests or "@" not in str(digests[0]):
        return None
    repo, _, digest = str(digests[0]).partition("@")
    name = repo.rsplit("/", 1)[-1].lower()
    qualifiers = []
    if arch := (metadata.get("ImageConfig") or {}).get("architecture"):
        qualifiers.append(f"arch={quote(str(arch), safe='')}")
    qualifiers.append(f"repository_url={quote(repo, safe='')}")
    return f"pkg:oci/{quote(name, safe='')}@{quote(digest, safe='')}?{'&'.join(qualifiers)}"


def _root(report: dict[str, Any]) -> dict[str, Any]:
    metadata = report.get("Metadata") or {}
    labels = ((metadata.get("ImageConfig") or {}).get("config") or {}).get("Labels") or {}
    pairs: list[tuple[str, Any]] = [("SchemaVersion", report.get("SchemaVersion"))]
    pairs += [("ImageID", metadata.get("ImageID"))]
    pairs += [(f"Labels:{key}", value) for key, value in sorted(labels.items())]
    pairs += [("Size", metadata.get("Size") or None)]
    pairs += [("RepoDigest", d) for d in metadata.get("RepoDigests") or []]
    pairs += [("DiffID", d) for d in metadata.get("DiffIDs") or []]
    pairs += [("RepoTag", t) for t in metadata.get("RepoTags") or []]
    pairs += [("Reference", metadata.get("Reference"))]
    root: dict[str, Any] = {
        "bom-ref": str(uuid.uuid4()),
        "type": "container" if report.get("ArtifactType") == "container_image" else "application",
        "name": str(report.get("ArtifactName") or "image"),
    }
    if purl := _oci_purl(metadata):
        root["purl"] = purl
    root["properties"] = _props(pairs)
    return root


def _purl_parts(purl: str) -> tuple[str, list[str], str, dict[str, str]]:
    """(type, namespace + name path, version, qualifiers) of a purl, percent-decoded."""
    rest = purl.removeprefix("pkg:").split("#", 1)[0]
    rest, _, query = rest.partition("?")
    path, _, version = rest.partition("@")
    kind, *names = path.split("/")
    qualifiers = dict(q.partition("=")[::2] for q in query.split("&") if q)
    return kind, [unquote(n) for n in names], unquote(version), {k: unquote(v) for k, v in qualifiers.items()}


def _name_version_group(pkg: dict[str, Any], purl: str | None) -> tuple[str, str, str | None]:
    """Name, version and group as trivy writes them.

    The version is the purl's, with a non-zero epoch in front (``1:2.38.1-5``); Maven
    and npm put the group / scope in ``group``, not in the name.
    """
    name = str(pkg.get("Name") or "")
    version = str(pkg.get("Version") or "")
    if pkg.get("Release"):
        version += f"-{pkg['Release']}"
    if pkg.get("Epoch"):
        version = f"{pkg['Epoch']}:{version}"
    if not purl:
        return name, version, None
    kind, names, version, qualifiers = _purl_parts(purl)
    if qualifiers.get("epoch", "0") != "0":
        version = f"{qualifiers['epoch']}:{version}"
    if kind in ("maven", "npm") and len(names) >= 2:
        return names[-1], version, "/".join(names[:-1])
    return name, version, None


def _library(pkg: dict[str, Any], result: dict[str, Any], bom_ref: str) -> dict[str, Any]:
    identifier = pkg.get("Identifier") or {}
    purl = str(identifier.get("PURL") or "") or None
    name, version, group = _name_version_group(pkg, purl)
    component: dict[str, Any] = {"bom-ref": bom_ref, "type": "library"}
    if maintainer := pkg.get("Maintainer"):
        component["supplier"] = {"name": str(maintainer)}
    if group:
        component["group"] = group
    component["name"] = name
    component["version"] = version
    digest = str(pkg.get("Digest") or "")
    if ":" in digest:
        alg, _, content = digest.partition(":")
        component["hashes"] = [{"alg": alg.upper().replace("SHA", "SHA-"), "content": content}]
    if licenses := pkg.get("Licenses"):
        component["licenses"] = [{"license": {"name": str(text)}} for text in licenses]
    if purl:
        component["purl"] = purl
    layer = pkg.get("Layer") or {}
    component["properties"] = _props(
        [
            ("PkgID", pkg.get("ID")),
            ("PkgType", result.get("Type")),
            ("FilePath", pkg.get("FilePath")),
            ("SrcName", pkg.get("SrcName")),
            ("SrcVersion", pkg.get("SrcVersion")),
            ("SrcRelease", pkg.get("SrcRelease")),
            ("SrcEpoch", pkg.get("SrcEpoch")),
            ("Modularitylabel", pkg.get("Modularitylabel")),
            ("LayerDigest", layer.get("Digest")),
            ("LayerDiffID", layer.get("DiffID")),
        ]
    )
    return component


def _ratings(vuln: dict[str, Any]) -> list[dict[str, Any]]:
    ratings: list[dict[str, Any]] = []
    vendor = vuln.get("VendorSeverity") or {}
    for source, cvss in sorted((vuln.get("CVSS") or {}).items()):
        if not isinstance(cvss, dict):
            continue
        severity = _VENDOR_SEVERITY.get(int(vendor.get(source) or 0), "unknown")
        if cvss.get("V3Score"):
            vector = str(cvss.get("V3Vector") or "")
            rating: dict[str, Any] = {"source": {"name": source}, "score": float(cvss["V3Score"])}
            rating |= {
                "severity": severity,
                "method": "CVSSv31" if vector.startswith("CVSS:3.1") else "CVSSv3",
            }
            ratings.append(rating | ({"vector": vector} if vector else {}))
        if cvss.get("V2Score"):
            rating = {"source": {"name": source}, "score": float(cvss["V2Score"]), "severity": severity}
            ratings.append(rating | {"method": "CVSSv2", "vector": str(cvss.get("V2Vector") or "")})
    rated = {r["source"]["name"] for r in ratings}
    for source, level in sorted(vendor.items()):
        if source not in rated:
            ratings.append(
                {"source": {"name": source}, "severity": _VENDOR_SEVERITY.get(int(level), "unknown")}
            )
    return ratings


def _vulnerability(vuln: dict[str, Any]) -> dict[str, Any]:
    vuln_id = str(vuln.get("VulnerabilityID") or "")
    entry: dict[str, Any] = {"id": vuln_id}
    if source := vuln.get("DataSource"):
        entry["source"] = {
            "name": str(source.get("ID") or source.get("Name") or ""),
            "url": str(source.get("URL") or ""),
        }
    entry["ratings"] = _ratings(vuln)
    if cwes := [int(c.split("-")[1]) for c in vuln.get("CweIDs") or [] if str(c).startswith("CWE-")]:
        entry["cwes"] = cwes
    if description := vuln.get("Description"):
        entry["description"] = str(description)
    if fixed := vuln.get("FixedVersion"):
        entry["recommendation"] = f"Upgrade {vuln.get('PkgName')} to version {fixed}"
    urls = [str(vuln["PrimaryURL"])] if vuln.get("PrimaryURL") else []
    urls += [str(u) for u in vuln.get("References") or [] if str(u) not in urls]
    if urls:
        entry["advisories"] = [{"url": u} for u in urls]
    for key, field in (("PublishedDate", "published"), ("LastModifiedDate", "updated")):
        if vuln.get(key):
            entry[field] = str(vuln[key])
    entry["affects"] = []
    return entry


class _Bom:
    """Components, the dependency graph and vulnerabilities, in the order they are met."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.components: list[dict[str, Any]] = []
        self.graph: dict[str, list[str]] = {root["bom-ref"]: []}
        self.refs: set[str] = {root["bom-ref"]}
        self.vulns: dict[str, dict[str, Any]] = {}

    def ref_for(self, purl: str | None) -> str:
        """The purl when it is unused (what consumers show), else a fresh UUID (bom-refs are unique)."""
        ref = purl if purl and purl not in self.refs else str(uuid.uuid4())
        self.refs.add(ref)
        return ref

    def add(self, component: dict[str, Any], parent: str | None) -> str:
        self.components.append(component)
        self.graph.setdefault(component["bom-ref"], [])
        if parent is not None:
            self.graph[parent].append(component["bom-ref"])
        return str(component["bom-ref"])

    def affects(self, vuln: dict[str, Any], ref: str) -> None:
        entry = self.vulns.setdefault(str(vuln.get("VulnerabilityID") or ""), _vulnerability(vuln))
        entry["affects"].append(
            {
                "ref": ref,
                "versions": [{"version": str(vuln.get("InstalledVersion") or ""), "status": "affected"}],
            }
        )

    def packages(self, parent: str, result: dict[str, Any]) -> None:
        """A result's packages under ``parent``: the roots of its graph, then each one's dependencies."""
        pkgs = [p for p in result.get("Packages") or [] if isinstance(p, dict)]
        ids = [str(p.get("ID") or f"{p.get('Name')}@{p.get('Version')}") for p in pkgs]
        has_parent = {dep for p in pkgs for dep in p.get("DependsOn") or []}
        has_root = any(p.get("Relationship") == "root" for p in pkgs)
        by_uid: dict[str, str] = {}
        by_id: dict[str, str] = {}
        for pkg, pkg_id in zip(pkgs, ids, strict=True):
            identifier = pkg.get("Identifier") or {}
            ref = self.ref_for(str(identifier.get("PURL") or "") or None)
            belongs = (not has_root) if pkg.get("Relationship") == "direct" else pkg_id not in has_parent
            self.add(_library(pkg, result, ref), parent if belongs else None)
            by_uid[str(identifier.get("UID") or pkg_id)] = ref
            by_id[pkg_id] = ref
        for pkg, pkg_id in zip(pkgs, ids, strict=True):
            ref = by_id[pkg_id]
            self.graph[ref] += [by_id[dep] for dep in pkg.get("DependsOn") or [] if dep in by_id]
        for vuln in result.get("Vulnerabilities") or []:
            identifier = vuln.get("PkgIdentifier") or {}
            key = str(identifier.get("UID") or vuln.get("PkgID") or "")
            affected = by_uid.get(key) or by_id.get(str(vuln.get("PkgID") or ""))
            if affected:
                self.affects(vuln, affected)


def from_report(report: dict[str, Any], trivy_version: str | None = None) -> dict[str, Any]:
    """The CycloneDX document of every package in ``report`` (needs ``--list-all-pkgs``)."""
    bom = _Bom(_root(report))
    root_ref = str(bom.root["bom-ref"])
    os_info = (report.get("Metadata") or {}).get("OS") or {}
    for result in report.get("Results") or []:
        kind, cls = str(result.get("Type") or ""), str(result.get("Class") or "")
        if kind in AGGREGATING_TYPES:
            bom.packages(root_ref, result)
        elif cls in ("os-pkgs", "lang-pkgs"):
            component: dict[str, Any] = {"bom-ref": bom.ref_for(None)}
            if cls == "os-pkgs":
                component["type"] = "operating-system"
                component["name"] = str(os_info.get("Family") or result.get("Target") or "")
                if os_info.get("Name"):
                    component["version"] = str(os_info["Name"])
            else:
                component |= {"type": "application", "name": str(result.get("Target") or "")}
            component["properties"] = _props([("Type", kind), ("Class", cls)])
            bom.packages(bom.add(component, root_ref), result)
    tools: list[dict[str, Any]] = [
        {"type": "application", "group": "shipml", "name": "shipml", "version": __version__}
    ]
    if trivy_version:
        tools.append(
            {
                "type": "application",
                "manufacturer": {"name": "Aqua Security Software Ltd."},
                "group": "aquasecurity",
                "name": "trivy",
                "version": trivy_version,
            }
        )
    return {
        "$schema": SCHEMA,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "tools": {"components": tools},
            "component": bom.root,
        },
        "components": bom.components,
        "dependencies": [{"ref": ref, "dependsOn": deps} for ref, deps in bom.graph.items()],
        "vulnerabilities": list(bom.vulns.values()),
    }


def write(report: dict[str, Any], trivy_version: str | None, path: Path) -> None:
    # Compact: ``indent`` makes json fall back to its pure-Python encoder (~4x slower here).
    path.write_text(json.dumps(from_report(report, trivy_version)) + "\n", encoding="utf-8")
