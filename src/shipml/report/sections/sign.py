"""The sign result: which digest now carries a signature, under which key, with which attestations.

One line is enough for a reviewer: signed or not, and whether the scan verdict and SBOM
travel with the image (what a deploy with ``deploy.verify_key`` will demand). The
signature's storage tag and cosign's version are for auditors and go in a second line.
"""

from __future__ import annotations

from ...contracts.sign import SignDetails
from ...results import Result
from .. import markdown as md
from ..limits import Section
from . import generic
from .common import parse, standalone

WORDS = {"sbom": "SBOM", "scan": "scan verdict"}


def summary_line(d: SignDetails) -> str:
    """``repo@sha256:… signed; attested: SBOM, scan verdict``: what ``shipml sign`` prints."""
    line = f"{d.image} signed"
    if d.attestations:
        line += "; attested: " + ", ".join(WORDS.get(a, a) for a in d.attestations)
    return line


def lines(result: Result, d: SignDetails) -> list[str]:
    attested = ", ".join(WORDS.get(a, a) for a in d.attestations) or "nothing"
    head = f"{md.icon(result.status)} Signed {md.code(d.image, 200)} with {md.code(d.key, 120)}"
    head += f"; attested: {attested}"
    if d.scan_status:
        head += f" (scan {md.cell(d.scan_status)})"
    if d.verified:
        head += "; verified with the public key"
    out = [head + ".", ""]  # two paragraphs: the verdict, then the audit facts
    facts = [f"signature {md.code(d.signature, 200)}" if d.signature else None]
    facts.append("recorded in Rekor" if d.tlog_upload else "not in a transparency log (key only)")
    facts.append(f"cosign {md.cell(d.cosign_version)}" if d.cosign_version else None)
    text = "; ".join(f for f in facts if f)
    out.append(text[:1].upper() + text[1:] + ".")
    return out


def sections(result: Result, details: SignDetails, title: str = "Signature") -> list[Section]:
    return [Section(title, lines(result, details))]


def render(result: Result) -> str:
    details = parse(SignDetails, result, []) if result.status != "error" else None
    if details is None:
        return generic.render(result)
    return standalone(result, sections(result, details))
