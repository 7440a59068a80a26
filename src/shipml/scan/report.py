"""The scan's markdown section: counts, the worst findings, and what is new versus the baseline."""

from __future__ import annotations

from ..contracts.scan import SEVERITIES, Finding, ScanDetails


def _cell(text: str | None) -> str:
    return (text or "—").replace("|", "\\|").replace("\n", " ")


def _row(finding: Finding) -> str:
    state = "blocks" if finding.blocking else ("allowed: " + finding.allowed if finding.allowed else "")
    if finding.new:
        state = ("new, " + state) if state else "new"
    return (
        f"| {finding.severity} | {_cell(finding.id)} | {_cell(finding.package or finding.target)} "
        f"| {_cell(finding.installed)} | {_cell(finding.fixed)} | {_cell(state)} |"
    )


def markdown(details: ScanDetails, *, top: int, passed: bool) -> str:
    verdict = "passed" if passed else f"failed: {details.blocking} blocking finding(s)"
    lines = [f"### shipml scan: {verdict}", "", f"`{details.target}` — trivy {details.trivy_version or '?'}"]
    lines += ["", "| | " + " | ".join(SEVERITIES) + " |", "|---|" + "---:|" * len(SEVERITIES)]
    lines.append("| all | " + " | ".join(str(details.counts.get(s, 0)) for s in SEVERITIES) + " |")
    lines.append(
        "| blocking | " + " | ".join(str(details.blocking_counts.get(s, 0)) for s in SEVERITIES) + " |"
    )
    if details.new_counts is not None:
        lines.append("| new | " + " | ".join(str(details.new_counts.get(s, 0)) for s in SEVERITIES) + " |")
    policy = f"fails on {', '.join(details.fail_on) or 'nothing'}"
    if details.ignore_unfixed:
        policy += ", unfixed ignored"
    lines += ["", f"Policy: {policy}."]
    if details.baseline is not None:
        new = [f for f in details.findings if f.new]
        lines += ["", f"**New versus the baseline** (`{details.baseline}`): {len(new) or 'nothing new'}"]
        if new:
            lines += _table(new[:top])
    shown = details.findings[:top]
    if shown:
        lines += ["", f"Top findings ({len(shown)} of {len(details.findings)}):"]
        lines += _table(shown)
    for note in details.allow:
        if note.state != "active":
            lines += ["", f"> ⚠️ {note.message}" + (f" (shipml.yaml line {note.line})" if note.line else "")]
    return "\n".join(lines) + "\n"


def _table(findings: list[Finding]) -> list[str]:
    rows = ["", "| severity | id | package / target | installed | fixed | |", "|---|---|---|---|---|---|"]
    return rows + [_row(f) for f in findings]
