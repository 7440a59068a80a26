"""The scan result: counts by severity, what blocks, and what is new versus the champion's image.

What is new is the question a reviewer of a model change can act on (an old
finding is already in production), so with a baseline the new findings come
first and unfolded. Blocking findings are shown; the full list worst first is
one click away. An allow-list entry that expired or is malformed allows
nothing; it is a warning with its line in shipml.yaml, never silent.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...contracts.scan import SEVERITIES, Finding, ScanDetails
from ...results import Result
from .. import markdown as md
from ..limits import Fold, Section
from . import generic
from .common import parse, standalone

TOP = 10  # findings listed when a result does not say (scan.top)


def summary_line(d: ScanDetails) -> str:
    """``2 blocking; 1 critical, 3 high; 1 new``: what ``shipml scan`` prints and records."""
    shown = ", ".join(f"{n} {s.lower()}" for s in SEVERITIES if (n := d.counts.get(s, 0)))
    line = f"{d.blocking} blocking; {shown or 'no findings'}"
    if d.new_counts is not None:
        line += f"; {sum(d.new_counts.values())} new"
    return line


def _verdict_line(result: Result, d: ScanDetails) -> str:
    policy = ", ".join(d.fail_on) or "nothing (report only)"
    if d.ignore_unfixed:
        policy += "; unfixed ignored"
    if result.status == "failed":
        head = f"{md.icon('failed')} Scan **failed**: {md.plural(d.blocking, 'blocking finding')}"
    else:
        head = f"{md.icon('passed')} Scan **passed**: nothing blocks"
    return f"{head} (fails on {policy})."


def _source_line(d: ScanDetails) -> str:
    line = f"{md.code(d.target, 200)} with trivy {md.cell(d.trivy_version or '?')}"
    if d.db_updated_at:
        line += f", vulnerability DB of {md.cell(d.db_updated_at[:10])}"
    if d.scanners:
        line += f"; scanners: {md.cell(', '.join(d.scanners))}"
    return line + "."


def counts_table(d: ScanDetails) -> list[str]:
    """One column per severity: all findings, the blocking ones, and (with a baseline) the new ones."""
    rows = [["all", *(str(d.counts.get(s, 0)) for s in SEVERITIES)]]
    rows.append(["blocking", *(str(d.blocking_counts.get(s, 0)) for s in SEVERITIES)])
    if d.new_counts is not None:
        rows.append(["new", *(str(d.new_counts.get(s, 0)) for s in SEVERITIES)])
    return md.table(["", *(s.lower() for s in SEVERITIES)], "l" + "r" * len(SEVERITIES), rows)


def _state(f: Finding) -> str:
    parts = []
    if f.new:
        parts.append("🆕 new")
    if f.blocking:
        parts.append(f"{md.icon('fail')} blocks")
    elif f.allowed:
        parts.append(f"allowed: {md.cell(f.allowed, 80)}")
    return ", ".join(parts) or md.NULL


def findings_table(findings: Sequence[Finding]) -> list[str]:
    head = ["severity", "id", "package / target", "installed", "fixed", "state"]
    rows = [
        [
            md.cell(f.severity),
            md.code(f.id),
            md.cell(f.package or f.target, 80),
            md.code(f.installed) or md.NULL,
            md.code(f.fixed) or ("no fix" if f.kind == "vulnerability" else md.NULL),
            _state(f),
        ]
        for f in findings
    ]
    return md.table(head, "llllll", rows)


def _allow_warnings(d: ScanDetails) -> list[str]:
    out = []
    for note in d.allow:
        if note.state != "active":
            where = f" (shipml.yaml line {note.line})" if note.line else ""
            out.append(f"{md.WARNING} {md.cell(note.message, 300)}{where}")
    return out


def sections(result: Result, details: ScanDetails, title: str = "Image scan") -> list[Section]:
    d = details
    top = d.top or TOP
    section = Section(title, [_verdict_line(result, d), _source_line(d), "", *counts_table(d)])
    if d.baseline is not None:
        new = [f for f in d.findings if f.new]
        section.lines += ["", f"**New versus the baseline** {md.code(d.baseline, 160)}: "]
        if new:
            section.lines[-1] += md.plural(len(new), "finding") + "."
            section.lines += ["", *findings_table(new[:top])]
            if len(new) > top:
                section.lines.append(f"_… and {len(new) - top} more new in the result file._")
        else:
            section.lines[-1] += "nothing new."
    blocking = [f for f in d.findings if f.blocking and not (d.baseline is not None and f.new)]
    if blocking:
        label = "**Blocking, already in the baseline**" if d.baseline is not None else "**Blocking**"
        section.lines += ["", label, "", *findings_table(blocking[:top])]
    if warnings := _allow_warnings(d):
        section.lines += ["", *warnings]
    if d.findings:
        shown = d.findings[:top]
        section.folds.append(
            Fold(
                f"Top findings ({len(shown)} of {len(d.findings)}, worst first)",
                findings_table(shown),
                keep=2,
            )
        )
    return [section]


def render(result: Result) -> str:
    details = parse(ScanDetails, result, []) if result.status != "error" else None
    if details is None:
        return generic.render(result)
    return standalone(result, sections(result, details))
