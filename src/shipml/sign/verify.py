"""What ``shipml deploy`` refuses an image with: no signature by ``deploy.verify_key``, or a
required attestation missing, or an attested scan that did not pass.

Checked against the registry's own copy of the signatures, so a release workflow needs
nothing from the build's run but the digest. Runs before any connection to the cluster:
a refused image changes nothing there.
"""

from __future__ import annotations

from ..config.load import ShipmlConfig
from ..deploy.images import ImageRef
from ..errors import PolicyFailed
from . import cosign
from .run import connected, verified


def check_signed(cfg: ShipmlConfig, ref: ImageRef) -> str | None:
    """None without ``deploy.verify_key``; else what was verified, or :class:`PolicyFailed` (exit 1)."""
    section = cfg.deploy
    if not section.verify_key:
        return None
    public = cosign.check_key(section.verify_key, cfg.root, private=False)
    with connected(cfg, ref) as (tool, pool):
        signed, attested = verified(pool, tool, str(ref), public, section.require_attestations)
    if not signed:
        raise PolicyFailed(
            f"image {ref} carries no signature that deploy.verify_key verifies",
            hint="sign this digest with `shipml sign` (actions/sign-image) and the matching private key",
        )
    for name, predicates in attested.items():
        if not predicates:
            raise PolicyFailed(
                f"image {ref} has no {name} attestation signed by deploy.verify_key",
                hint=f"attest it with `shipml sign --{'sbom' if name == 'sbom' else 'scan-result'} ...`",
            )
        if name == "scan":
            _check_scan(ref, [p["predicate"] for p in predicates])
    names = ", ".join(section.require_attestations)
    return "signature verified" + (f"; attested: {names}" if names else "")


def _check_scan(ref: ImageRef, verdicts: list[dict[str, object]]) -> None:
    """At least one attested scan verdict of this digest says passed."""
    if any(isinstance(v, dict) and v.get("status") == "passed" for v in verdicts):
        return
    said = "; ".join(str(v.get("summary") or v.get("status")) for v in verdicts if isinstance(v, dict))
    raise PolicyFailed(
        f"the attested scan of {ref} did not pass ({said or 'no verdict'})",
        hint="fix the findings or record an allow-list entry, scan again and sign with the new result",
    )
