"""``shipml sign``: a cosign signature on a pushed digest, with its SBOM and scan verdict attested.

Thin: checking inputs, running cosign and verifying live in :mod:`shipml.sign`.
"""

from __future__ import annotations

import argparse

from ..errors import UsageError
from ..outcome import Outcome

DESCRIPTION = """\
Sign an image digest (REPO@sha256:..., the `digest` output of shipml build) with cosign and
a key pair: the private key from sign.key (default env://COSIGN_PRIVATE_KEY, password in
$COSIGN_PASSWORD). --sbom attaches the CycloneDX SBOM of shipml scan as a signed
attestation, --scan-result attaches that scan's verdict, so that a deploy with
deploy.verify_key refuses images that are unsigned, unscanned or whose scan failed.
Nothing goes to the public Rekor log unless sign.tlog_upload is true.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("image_arg", nargs="?", default="", metavar="IMAGE", help="Same as --image.")
    parser.add_argument("--image", default="", help="The digest to sign: REPO@sha256:...")
    parser.add_argument("--sbom", default="", help="CycloneDX SBOM to attest (shipml scan's `sbom` output).")
    parser.add_argument(
        "--scan-result", default="", help="shipml scan result whose verdict to attest (its `result-file`)."
    )
    parser.add_argument(
        "--key-ref", default="", help="Private key: env://VAR, a file or a KMS URI (sign.key)."
    )
    parser.add_argument(
        "--public-key",
        default="",
        help="Public key (file, env://VAR, KMS URI): verify after signing (sign.public_key).",
    )
    parser.add_argument("--cosign", default="", help="Path of the cosign binary (sign.cosign).")
    parser.add_argument(
        "--tlog-upload",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Record in the public Rekor log (sign.tlog_upload).",
    )
    parser.add_argument(
        "--allow-http-registry",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Plain HTTP / untrusted TLS to the registry (sign.allow_http_registry).",
    )


def _ref_or_path(ref: str) -> str:
    """A reference as given when it is a URI (env://, awskms://, ...), else a flag path."""
    from ..config.sources import flag_path

    return ref if "://" in ref else flag_path(ref)


def run(args: argparse.Namespace) -> Outcome:
    image = args.image or args.image_arg
    if not image or (args.image and args.image_arg and args.image != args.image_arg):
        raise UsageError(
            "give one image to sign" if image else "no image to sign",
            hint="pass REPO@sha256:<digest> (the `digest` output of shipml build)",
        )
    from ..config import load_config
    from ..report.sections.sign import summary_line
    from ..sign.run import sign

    cfg = load_config(
        args.config,
        overrides={
            # Files named on the command line are relative to where it runs, not to shipml.yaml.
            ("sign", "key"): _ref_or_path(args.key_ref),
            ("sign", "public_key"): _ref_or_path(args.public_key),
            ("sign", "cosign"): _ref_or_path(args.cosign),
            ("sign", "tlog_upload"): args.tlog_upload,
            ("sign", "allow_http_registry"): args.allow_http_registry,
        },
    )
    details = sign(cfg, image, sbom=args.sbom or None, scan_result=args.scan_result or None)
    return Outcome(
        "passed",
        summary=summary_line(details),
        details=details.model_dump(mode="json"),
        outputs={
            "image": details.image,
            "signature": details.signature or "",
            "attestations": ",".join(details.attestations),
            "cosign-version": details.cosign_version or "",
        },
    )
