"""Image references: a digest pins the bytes, a tag can move, so deploys take digests.

``registry.example.com:5000/team/model@sha256:<64 hex>``: the repository is
everything before ``@`` (or before the tag's ``:`` after the last ``/``). A tag
is refused unless ``allow_tags``: a release manager approves *a digest*, and a tag
moved between approval and rollout would deploy something nobody approved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputDataError, PolicyFailed, UsageError

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class ImageRef:
    repository: str
    tag: str | None
    digest: str | None

    def __str__(self) -> str:
        if self.digest:
            return f"{self.repository}@{self.digest}"
        return f"{self.repository}:{self.tag}" if self.tag else self.repository


def parse(reference: str) -> ImageRef:
    """Split a reference; a malformed digest is refused (exit 2) rather than sent to a cluster."""
    text = reference.strip()
    if not text or any(c.isspace() for c in text):
        raise UsageError(
            f"image reference {reference!r} is empty or has spaces", hint="pass REPO@sha256:DIGEST"
        )
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not DIGEST.match(digest):
            raise UsageError(
                f"image {reference!r} has a malformed digest (expected sha256: and 64 hex digits)",
                hint="pass the digest `shipml build` printed (output `digest`)",
            )
    tag = None
    last = text.rsplit("/", 1)[-1]
    if ":" in last:
        text, tag = text.rsplit(":", 1)
    return ImageRef(text, tag, digest)


def require_digest(reference: str, where: str, *, allow_tags: bool) -> ImageRef:
    """The parsed reference; a tag (or no digest) is exit 2 unless tags are allowed."""
    ref = parse(reference)
    if ref.digest is None and not allow_tags:
        raise UsageError(
            f"{where}: image {reference!r} is a tag, not a digest; a tag can move after approval",
            hint="deploy the digest `shipml build` printed (REPO@sha256:...), or set deploy.allow_tags: true",
        )
    return ref


def check_scanned(digest_ref: ImageRef, scan_result: Path) -> str:
    """Refuse (exit 1) a digest the given ``shipml scan`` result does not vouch for; returns its summary."""
    from ..results import read_result

    result = read_result(scan_result)
    if result.command != "scan":
        raise InputDataError(
            f"{scan_result} is a `{result.command}` result, not a `scan` result",
            hint="pass the result file of `shipml scan` (output `result-file`)",
        )
    scanned = " ".join(
        str(v)
        for v in (result.details.get("target"), result.details.get("digest"), result.outputs.get("digest"))
        if v
    )
    if not digest_ref.digest or digest_ref.digest not in scanned:
        raise PolicyFailed(
            f"image {digest_ref} was not scanned: {scan_result} is about {scanned or 'another image'}",
            hint="scan this digest with `shipml scan` and pass its result, or drop --scan-result",
        )
    if result.status != "passed":
        raise PolicyFailed(
            f"the scan of {digest_ref} did not pass ({result.status}: {result.summary})",
            hint="fix the findings or record an allow-list entry, then scan again",
        )
    return result.summary
