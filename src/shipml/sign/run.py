"""Sign a pushed digest and attach its SBOM and scan verdict: what ``shipml sign`` does.

Every input is checked before cosign writes anything to the registry (the digest form,
the key, the SBOM's format, that the scan result is about this very digest), so a bad
input leaves the image as it was. The scan verdict is attested as it is, passed or
failed: the attestation records what the scan said, and a deploy decides on it.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .. import runner
from ..config.load import ShipmlConfig
from ..contracts.sign import SignDetails
from ..deploy.images import ImageRef, parse
from ..errors import InputDataError, PolicyFailed, UsageError
from . import cosign


def _digest_ref(image: str) -> ImageRef:
    ref = parse(image)
    if ref.digest is None:
        raise UsageError(
            f"image {image!r} is a tag; a signature must name exact bytes",
            hint="sign the digest `shipml build` pushed (output `digest`: REPO@sha256:...)",
        )
    return ref


def registry_host(ref: ImageRef) -> str:
    """The registry part of a repository, as docker reads it (no dot, colon or localhost: Docker Hub)."""
    first, _, rest = ref.repository.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return "index.docker.io"


def _sbom(path: str) -> Path:
    sbom = Path(path)
    try:
        data = json.loads(sbom.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputDataError(
            f"SBOM {sbom} cannot be read as JSON ({type(exc).__name__})",
            hint="pass the CycloneDX file `shipml scan` wrote (output `sbom`)",
        ) from None
    if not isinstance(data, dict) or data.get("bomFormat") != "CycloneDX":
        raise InputDataError(
            f"SBOM {sbom} is not a CycloneDX document (no bomFormat: CycloneDX)",
            hint="pass the CycloneDX file `shipml scan` wrote (output `sbom`)",
        )
    return sbom


def scan_predicate(path: str, ref: ImageRef) -> dict[str, Any]:
    """What the scan attestation says: the verdict and its basis, for exactly this digest."""
    from ..results import read_result

    result = read_result(path)
    if result.command != "scan":
        raise InputDataError(
            f"{path} is a `{result.command}` result, not a `scan` result",
            hint="pass the result file of `shipml scan` (output `result-file`)",
        )
    target = str(result.details.get("target") or "")
    if ref.digest is None or ref.digest not in target:
        raise InputDataError(
            f"{path} is the scan of {target or 'another image'}, not of {ref}",
            hint="scan this digest with `shipml scan REPO@sha256:...` and pass that result",
        )
    details = result.details
    return {
        "status": result.status,
        "summary": result.summary,
        "target": target,
        "scanned_at": result.started_at,
        "commit": result.commit,
        "trivy_version": details.get("trivy_version"),
        "db_updated_at": details.get("db_updated_at"),
        "fail_on": details.get("fail_on"),
        "counts": details.get("counts"),
        "blocking": details.get("blocking"),
    }


def sign(cfg: ShipmlConfig, image: str, *, sbom: str | None, scan_result: str | None) -> SignDetails:
    section = cfg.sign
    ref = _digest_ref(image)
    key = cosign.check_key(section.key, cfg.root, private=True)
    public = cosign.check_key(section.public_key, cfg.root, private=False) if section.public_key else None
    sbom_path = _sbom(sbom) if sbom else None
    predicate = scan_predicate(scan_result, ref) if scan_result else None
    details = SignDetails(
        image=str(ref),
        key=section.key,
        signature=f"{ref.repository}:{str(ref.digest).replace(':', '-')}.sig",
        sbom=str(sbom_path) if sbom_path else None,
        scan_result=scan_result,
        scan_status=predicate["status"] if predicate else None,
        tlog_upload=section.tlog_upload,
    )
    # cosign keeps a signature under the tag REPO:sha256-HEX.sig and every attestation under
    # .att: signing and attesting touch different tags and run side by side, while the two
    # attestations (one manifest) run one after the other. Checks only read, so they overlap too.
    with connected(cfg, ref) as (tool, pool):
        version = pool.submit(cosign.version, tool.path)
        tool.require_image(str(ref))
        with runner.group(f"cosign sign {ref}"):
            signed = pool.submit(tool.sign, str(ref), key, tlog_upload=section.tlog_upload)
            if sbom_path is not None:
                tool.attest(str(ref), key, sbom_path, cosign.SBOM_TYPE, tlog_upload=section.tlog_upload)
                details.attestations.append("sbom")
            if predicate is not None:
                with tempfile.TemporaryDirectory(prefix="shipml-sign-") as folder:
                    written = Path(folder) / "scan.json"
                    written.write_text(json.dumps(predicate), encoding="utf-8")
                    tool.attest(str(ref), key, written, cosign.SCAN_TYPE, tlog_upload=section.tlog_upload)
                details.attestations.append("scan")
            signed.result()
        if public is not None:
            missing = unverified(pool, tool, str(ref), public, details.attestations)
            if missing:
                raise PolicyFailed(
                    f"{ref}: {', '.join(missing)} did not verify with sign.public_key after signing",
                    hint="sign.public_key must be the public half of sign.key (cosign public-key --key ...)",
                )
            details.verified = True
        details.cosign_version = version.result()
    return details


@contextlib.contextmanager
def connected(cfg: ShipmlConfig, ref: ImageRef) -> Iterator[tuple[cosign.Cosign, ThreadPoolExecutor]]:
    """cosign as ``sign:`` configures it, logged in to ``ref``'s registry with ``image:``'s
    credentials, and a pool for the calls that may run side by side (sign and deploy share it)."""
    binary = cosign.binary(cfg.sign.cosign)
    username, password = cfg.image.credentials()
    with (
        cosign.registry_login(registry_host(ref), username, password) as env,
        ThreadPoolExecutor(max_workers=3, thread_name_prefix="shipml-cosign") as pool,
    ):
        yield cosign.Cosign(binary, cfg.sign.allow_http_registry, float(cfg.sign.timeout), env), pool


def verified(
    pool: ThreadPoolExecutor, tool: cosign.Cosign, ref: str, public: str, attestations: Sequence[str]
) -> tuple[bool, dict[str, list[dict[str, Any]]]]:
    """Whether the key verifies ``ref``'s signature, and the verified predicates of each attestation.

    The checks only read the registry, so they run at once.
    """
    signature = pool.submit(tool.verify, ref, public)
    found = {
        name: pool.submit(tool.verified_predicates, ref, public, cosign.ATTESTATION_TYPES[name])
        for name in attestations
    }
    return signature.result(), {name: future.result() for name, future in found.items()}


def unverified(
    pool: ThreadPoolExecutor, tool: cosign.Cosign, ref: str, public: str, attestations: Sequence[str]
) -> list[str]:
    """What of the signature and ``attestations`` the public key does not verify on ``ref``."""
    signed, predicates = verified(pool, tool, ref, public, attestations)
    missing = [] if signed else ["the signature"]
    return missing + [f"the {name} attestation" for name, found in predicates.items() if not found]
