"""How images are signed and attested with cosign (``sign:`` in shipml.yaml)."""

from __future__ import annotations

from pydantic import Field

from .base import Section


class SignSection(Section):
    key: str = Field(
        default="env://COSIGN_PRIVATE_KEY",
        description="cosign private key: env://VAR (the key itself in a secret), a key file relative to "
        "shipml.yaml, or a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://). Its password "
        "is read from $COSIGN_PASSWORD.",
    )
    public_key: str | None = Field(
        default=None,
        description="The matching public key (file, env://VAR or KMS URI). When set, what was signed "
        "is verified straight away; deploy.verify_key is what a deploy checks.",
    )
    cosign: str | None = Field(
        default=None, description="Path of the cosign binary. Default: cosign on PATH."
    )
    tlog_upload: bool = Field(
        default=False,
        description="Also record signatures in the public Rekor transparency log (needs network; the "
        "entry publishes the image's name and digest). Off: trust rests on the key alone.",
    )
    allow_http_registry: bool = Field(
        default=False,
        description="Let cosign use plain HTTP or an untrusted certificate for the registry (a local "
        "or in-cluster registry). Also used by deploy's verification.",
    )
    timeout: int = Field(default=300, ge=10, le=3600, description="Seconds each cosign call may take.")
