"""``details`` of a sign result: which digest was signed with which key, and what was attested.

Written by ``shipml sign`` (:mod:`shipml.sign`); read by ``shipml comment``. A deploy does
not read this file: it verifies the registry's own copy of the signature with the public
key (``deploy.verify_key``), so a release workflow needs nothing from the build's run.
Add fields, never rename them.
"""

from __future__ import annotations

from pydantic import Field

from ._base import Contract


class SignDetails(Contract):
    image: str = Field(description="The digest signed: repo@sha256:...")
    key: str = Field(description="The private key reference (env://VAR, a file path or a KMS URI).")
    signature: str | None = Field(
        default=None, description="Where cosign stored the signature: repo:sha256-<hex>.sig."
    )
    attestations: list[str] = Field(
        default_factory=list, description='Attached, signed attestations: "sbom", "scan".'
    )
    sbom: str | None = Field(default=None, description="The CycloneDX SBOM attested.")
    scan_result: str | None = Field(default=None, description="The scan result whose verdict was attested.")
    scan_status: str | None = Field(default=None, description="That scan's status (passed / failed).")
    tlog_upload: bool = Field(default=False, description="Whether Rekor recorded the signatures.")
    verified: bool | None = Field(
        default=None, description="Verified with sign.public_key right after signing; null without one."
    )
    cosign_version: str | None = None
