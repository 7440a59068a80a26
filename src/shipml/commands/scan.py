"""``shipml scan``: trivy on an image, the policy's verdict, SARIF + SBOM, and what is new.

Thin: running trivy, parsing, policy and baseline live in :mod:`shipml.scan`.
Imports nothing heavy: no MLflow, pandas or docker SDK; and trivy is started before
pydantic is imported (:mod:`shipml.scan.early`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..outcome import Outcome

if TYPE_CHECKING:
    from ..config.load import ShipmlConfig
    from ..config.sources import Merged

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
    parser.add_argument("image_arg", nargs="?", default="", metavar="IMAGE", help="Same as --image.")
    parser.add_argument(
        "--image", default="", help="Image reference (REPO@sha256:... best) or `docker save` tarball."
    )
    parser.add_argument("--baseline", default="", help="Champion image, SBOM or scan result (scan.baseline).")
    parser.add_argument("--fail-on", default="", help="Comma-separated severities (scan.fail_on).")
    parser.add_argument(
        "--ignore-unfixed",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Findings without a fix never block (scan.ignore_unfixed).",
    )
    parser.add_argument("--cache-dir", default="", help="Trivy cache with the DB (scan.cache_dir).")
    parser.add_argument("--trivy", default="", help="Path of the trivy binary (scan.trivy).")
    parser.add_argument("--sarif", default="", help="Where to write SARIF (scan.sarif).")
    parser.add_argument("--sbom", default="", help="Where to write the CycloneDX SBOM (scan.sbom).")
    parser.add_argument(
        "--require-digest",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Refuse an image by tag (scan.require_digest).",
    )


def _prepare(sources: Merged) -> ShipmlConfig:
    """The validated config, and the modules the rest of the command and the CLI will need."""
    from .. import results  # noqa: F401
    from ..config.load import build_merged
    from ..report import sections  # noqa: F401
    from ..scan import run  # noqa: F401

    return build_merged(sources)


def run(args: argparse.Namespace) -> Outcome:
    image = args.image or args.image_arg
    if not image or (args.image and args.image_arg and args.image != args.image_arg):
        raise UsageError(
            "give one image to scan" if image else "no image to scan",
            hint="pass REPO@sha256:<digest> (the `digest` output of shipml build) or a `docker save` tarball",
        )
    fail_on = [s.strip().upper() for s in args.fail_on.split(",") if s.strip()] if args.fail_on else ""
    from ..config.sources import flag_path, merged
    from ..scan import early

    sources = merged(
        args.config,
        overrides={
            ("scan", "fail_on"): fail_on,
            ("scan", "ignore_unfixed"): args.ignore_unfixed,
            # Paths given on the command line are relative to where it runs, not to shipml.yaml.
            ("scan", "cache_dir"): flag_path(args.cache_dir),
            ("scan", "trivy"): flag_path(args.trivy),
            ("scan", "require_digest"): args.require_digest,
        },
    )
    running = early.start(image, sources)  # trivy works while the config is validated
    from .. import beside

    try:
        # While trivy works, at a priority that leaves it the CPUs: validate the config and
        # import what runs after it, down to what the CLI records the result with, so that the
        # time after trivy exits is only the work on its report.
        cfg = beside.low_priority(lambda: _prepare(sources))
        from ..report.sections.scan import summary_line
        from ..scan.run import scan

        scanned = scan(
            cfg, image, baseline=args.baseline or None, sarif=args.sarif, sbom=args.sbom, running=running
        )
    finally:
        if running is not None:
            running.stop()  # not taken over (a config error, another command): never left running
    details = scanned.details
    new = details.new_counts or {}
    return Outcome(
        "passed" if scanned.passed else "failed",
        summary=summary_line(details),
        details=details.model_dump(mode="json"),
        outputs={
            **{s.lower(): str(n) for s, n in details.counts.items()},
            "blocking": str(details.blocking),
            "new-critical": str(new.get("CRITICAL", 0)),
            "new-high": str(new.get("HIGH", 0)),
            "sarif": details.sarif or "",
            "sbom": details.sbom or "",
            "trivy-version": details.trivy_version or "",
            "target": details.target,
        },
    )
