"""``shipml scan``: trivy on an image, the policy's verdict, SARIF + SBOM, and what is new.

Thin: running trivy, parsing, policy and baseline live in :mod:`shipml.scan`.
Imports nothing heavy: no MLflow, pandas or docker SDK.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import load_config
from ..results import Result, ResultRecorder

HELP = "Scan an image with trivy: vulnerabilities, secrets, Dockerfile; fail on a severity policy."

DESCRIPTION = """\
Scan an image (a reference, ideally REPO@sha256:..., or a `docker save` tarball) with the
real trivy binary: vulnerabilities in OS and language packages, secrets in its layers and
misconfigurations of its Dockerfile. Fails (exit 1) when a finding of a scan.fail_on
severity (default CRITICAL,HIGH) is neither ignored (.trivyignore, scan.ignore_unfixed)
nor accepted by an unexpired scan.allow entry. Writes SARIF 2.1.0 (for code scanning) and
a CycloneDX SBOM, and with --baseline (the champion's image, its SBOM or its scan result)
says which findings are new. The vulnerability DB is used without download while fresh
(scan.cache_dir); exit 3 says how to provide one offline when it cannot be fetched.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("image", help="Image reference or `docker save` tarball to scan.")
    parser.add_argument("--baseline", default="", help="Champion image, SBOM or scan result (scan.baseline).")
    parser.add_argument("--fail-on", default="", help="Comma-separated severities (scan.fail_on).")
    parser.add_argument("--ignore-unfixed", action="store_true", default=None, help="Unfixed never block.")
    parser.add_argument("--cache-dir", default="", help="Trivy cache with the DB (scan.cache_dir).")
    parser.add_argument("--trivy", default="", help="Path of the trivy binary (scan.trivy).")
    parser.add_argument("--sarif", default="", help="Where to write SARIF (scan.sarif).")
    parser.add_argument("--sbom", default="", help="Where to write the CycloneDX SBOM (scan.sbom).")
    parser.add_argument(
        "--require-digest", action="store_true", default=None, help="Refuse tags (scan.require_digest)."
    )


def _absolute(path: str) -> str:
    return str(Path(path).resolve()) if path else ""


def run(args: argparse.Namespace) -> Result:
    recorder = ResultRecorder("scan")
    fail_on = [s.strip().upper() for s in args.fail_on.split(",") if s.strip()] if args.fail_on else ""
    cfg = load_config(
        args.config,
        overrides={
            ("scan", "fail_on"): fail_on,
            ("scan", "ignore_unfixed"): args.ignore_unfixed,
            # Paths given on the command line are relative to where it runs, not to shipml.yaml.
            ("scan", "cache_dir"): _absolute(args.cache_dir),
            ("scan", "trivy"): _absolute(args.trivy),
            ("scan", "require_digest"): args.require_digest,
        },
    )
    from ..scan import report
    from ..scan.run import scan

    outcome = scan(cfg, args.image, baseline=args.baseline or None, sarif=args.sarif, sbom=args.sbom)
    details = outcome.details
    counts = details.counts
    summary = (
        f"{details.blocking} blocking; "
        + ", ".join(f"{counts[s]} {s.lower()}" for s in counts if counts[s])
        + (f"; {sum((details.new_counts or {}).values())} new" if details.new_counts is not None else "")
    )
    new = details.new_counts or {}
    return recorder.finish(
        "passed" if outcome.passed else "failed",
        summary=summary if counts and any(counts.values()) else f"{details.blocking} blocking; no findings",
        summary_md=report.markdown(details, top=cfg.scan.top, passed=outcome.passed),
        details=details.model_dump(mode="json"),
        outputs={
            **{s.lower(): str(n) for s, n in counts.items()},
            "blocking": str(details.blocking),
            "new-critical": str(new.get("CRITICAL", 0)),
            "new-high": str(new.get("HIGH", 0)),
            "sarif": details.sarif or "",
            "sbom": details.sbom or "",
            "trivy-version": details.trivy_version or "",
            "target": details.target,
        },
    )
