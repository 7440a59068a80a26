"""The build result: which image was built from which model and commit, and the digest to deploy.

The digest leads because everything downstream (scan, deploy) must use it, never
a tag. Labels are folded: they are for machines and auditors, and the line above
already names the model version and commit they carry. A failed build shows the
Dockerfile step that failed and its last log lines, open, because that is the
only thing its reader needs.
"""

from __future__ import annotations

from ...contracts.build import BuildDetails
from ...results import Result
from .. import markdown as md
from ..limits import Fold, Section
from . import generic
from .common import parse, standalone

LOG_LINES = 20


def megabytes(size: int | None) -> str:
    return md.NULL if size is None else f"{size / 1e6:,.0f} MB"


def what(d: BuildDetails) -> str:
    """``**churn-classifier v8**``, the model URI, or "your Dockerfile"."""
    if d.model_name:
        return md.model_version(d.model_name, d.model_version)
    if d.model_uri:
        return md.code(d.model_uri)
    return f"your Dockerfile {md.code(d.dockerfile)}".rstrip()


def summary_line(d: BuildDetails) -> str:
    """The one line printed at the end of ``shipml build`` and recorded as the result's summary."""
    if not d.image_id:
        return f"build failed at {d.failed_step or 'the first step'}"
    image = d.digest or (d.references[0] if d.references else d.image_id)
    return f"{image} ({megabytes(d.size_bytes)})"


def _built_line(d: BuildDetails) -> str:
    image = d.digest or (d.references[0] if d.references else d.image_id)
    facts = [megabytes(d.size_bytes)]
    if d.layers is not None:
        facts.append(md.plural(d.layers, "layer"))
    if d.build_seconds is not None:
        facts.append(f"built in {d.build_seconds:.1f} s")
    if d.push_seconds is not None:
        facts.append(f"pushed in {d.push_seconds:.1f} s")
    line = f"{md.icon('passed')} Built {what(d)} → {md.code(image, 200)} ({', '.join(facts)})."
    if not d.pushed:
        line += " Not pushed: no digest to deploy yet."
    return line


def _provenance_line(d: BuildDetails) -> str | None:
    parts = []
    if d.git_sha:
        parts.append(f"commit `{d.git_sha[:7]}`")
    if d.run_id:
        parts.append(f"MLflow run `{d.run_id[:8]}`")
    if d.default_image and d.base:
        parts.append(f"default server on {md.code(d.base)}")
    elif d.dockerfile:
        parts.append(f"Dockerfile {md.code(d.dockerfile, 120)}")
    return "From " + ", ".join(parts) + "." if parts else None


def lines(result: Result, d: BuildDetails) -> tuple[list[str], list[Fold]]:
    if result.status == "failed" or not d.image_id:
        step = md.code(d.failed_step, 160) or "the first step"
        out = [f"{md.icon('failed')} Build of {what(d)} failed at {step}."]
        tail = d.log_tail[-LOG_LINES:]
        folds = (
            [Fold(f"Last {md.plural(len(tail), 'log line')}", ["```", *tail, "```"], open=True)]
            if tail
            else []
        )
        return out, folds
    out = [_built_line(d)]
    if (provenance := _provenance_line(d)) is not None:
        out.append(provenance)
    if len(d.references) > (0 if d.digest else 1):
        out.append("Tags: " + ", ".join(md.code(r, 200) for r in d.references) + ".")
    folds = []
    if d.labels:
        rows = [[md.code(k), md.code(v, 200)] for k, v in d.labels.items()]
        folds.append(Fold(f"Labels ({len(d.labels)})", md.table(["label", "value"], "ll", rows), keep=2))
    return out, folds


def sections(result: Result, details: BuildDetails, title: str = "Image") -> list[Section]:
    body, folds = lines(result, details)
    return [Section(title, body, folds)]


def render(result: Result) -> str:
    details = parse(BuildDetails, result, []) if result.status != "error" else None
    if details is None:
        return generic.render(result)
    return standalone(result, sections(result, details, f"Image: {what(details)}"))
