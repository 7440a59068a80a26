#!/usr/bin/env python3
"""A small, real Trivy vulnerability DB written here, so real trivy finds known CVEs offline.

Trivy reads ``CACHE/db/trivy.db`` (a bbolt file) and ``CACHE/db/metadata.json``; a far
``NextUpdate`` makes it use them without downloading. The layout (buckets per data
source and package, a ``vulnerability`` bucket with the details) is trivy-db's v2
schema. The Python ``boltdb`` port writes meta pages whose checksum Go's bbolt
rejects, so the two meta checksums (FNV-64a over the first 56 bytes) are fixed after.

Advisories are data (:class:`Advisory`), so a test states which CVEs exist and can
assert exactly those are found.

    python -m tests.support.trivy_db CACHE_DIR     # write the default advisories
"""

from __future__ import annotations

import json
import os
import struct
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PIP_SOURCE = "pip::GitHub Security Advisory pip"
DEBIAN_SOURCE = "debian 12"


@dataclass(frozen=True)
class Advisory:
    """One vulnerable package: ecosystem ``pip`` or ``debian``, with its CVE details."""

    ecosystem: str
    package: str
    vuln_id: str
    severity: str
    vulnerable: str = ""  # pip: a version range such as "<=2.19.1"
    fixed: str = ""  # "" for debian means not fixed yet
    title: str = ""


DEFAULT_ADVISORIES: tuple[Advisory, ...] = (
    # pip packages the scan tests plant in images (a dist-info directory is what trivy reads).
    Advisory("pip", "requests", "CVE-2018-18074", "HIGH", "<=2.19.1", "2.20.0", "requests: auth header leak"),
    Advisory("pip", "jinja2", "CVE-2024-22195", "MEDIUM", "<3.1.3", "3.1.3", "jinja2: xmlattr injection"),
    Advisory("pip", "pyyaml", "CVE-2020-14343", "CRITICAL", "<5.4", "5.4", "pyyaml: code execution"),
    # libssl3 and openssl (source package "openssl") are in every Python base: an unfixed entry.
    Advisory("debian", "openssl", "CVE-2099-0001", "LOW", "", "", "openssl: made-up unfixed test entry"),
)


def _fnv64a(data: bytes) -> int:
    value = 0xCBF29CE484222325
    for byte in data:
        value ^= byte
        value = (value * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def _fix_meta_checksums(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page_size = struct.unpack_from("<I", data, 16 + 8)[0]
    for index in range(2):
        offset = index * page_size + 16
        struct.pack_into("<Q", data, offset + 56, _fnv64a(bytes(data[offset : offset + 56])))
    path.write_bytes(bytes(data))


def write_db(cache_dir: Path, advisories: Iterable[Advisory] = DEFAULT_ADVISORIES) -> Path:
    """Write ``cache_dir/db/trivy.db`` + ``metadata.json``; return the cache dir for ``--cache-dir``."""
    from boltdb import BoltDB

    db_dir = cache_dir / "db"
    db_dir.mkdir(parents=True, exist_ok=True)
    path = db_dir / "trivy.db"
    if path.exists():
        path.unlink()

    def dump(obj: object) -> bytes:
        return json.dumps(obj).encode()

    items = list(advisories)
    db = BoltDB(str(path))
    with db.update() as tx:
        sources = tx.create_bucket(b"data-source")
        sources.put(
            PIP_SOURCE.encode(),
            dump(
                {"ID": "ghsa", "Name": "GitHub Security Advisory pip", "URL": "https://github.com/advisories"}
            ),
        )
        sources.put(
            DEBIAN_SOURCE.encode(),
            dump(
                {
                    "ID": "debian",
                    "Name": "Debian Security Tracker",
                    "URL": "https://security-tracker.debian.org",
                }
            ),
        )
        buckets = {
            "pip": tx.create_bucket(PIP_SOURCE.encode()),
            "debian": tx.create_bucket(DEBIAN_SOURCE.encode()),
        }
        packages: dict[tuple[str, str], object] = {}
        for adv in items:
            key = (adv.ecosystem, adv.package)
            if key not in packages:
                packages[key] = buckets[adv.ecosystem].create_bucket(adv.package.encode())
            bucket = packages[key]
            if adv.ecosystem == "pip":
                body = {
                    "PatchedVersions": [adv.fixed] if adv.fixed else [],
                    "VulnerableVersions": [adv.vulnerable],
                }
            else:
                body = {"FixedVersion": adv.fixed} if adv.fixed else {}
            bucket.put(adv.vuln_id.encode(), dump(body))  # type: ignore[attr-defined]
        details = tx.create_bucket(b"vulnerability")
        for adv in items:
            details.put(
                adv.vuln_id.encode(),
                dump(
                    {
                        "Title": adv.title or f"{adv.package}: test advisory",
                        "Description": "generated for shipml's offline tests",
                        "Severity": adv.severity,
                        "References": [f"https://nvd.nist.gov/vuln/detail/{adv.vuln_id}"],
                    }
                ),
            )
    db.close()
    db.close = lambda: None  # type: ignore[method-assign]  # its __del__ would close the fd twice
    _fix_meta_checksums(path)
    (db_dir / "metadata.json").write_text(
        json.dumps(
            {
                "Version": 2,
                "NextUpdate": "2099-01-01T00:00:00Z",
                "UpdatedAt": "2026-11-01T00:00:00Z",
                "DownloadedAt": "2026-11-01T00:00:00Z",
            }
        )
    )
    return cache_dir


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TRIVY_CACHE_DIR", ".trivy-cache"))
    print(write_db(target))
    return 0


if __name__ == "__main__":
    sys.exit(main())
