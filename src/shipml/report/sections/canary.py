"""The canary result: the decision, then the numbers behind every step.

One line says what happened (promoted / rolled back at which weight, because of
which check, with both tracks' values); a mermaid chart shows the weight and
the canary's error rate over the analyses; the per-step table lists every check
with canary and stable values, the threshold and the outcome. The table is
folded unless the canary was rolled back or held: then the numbers are what the
reviewer came for.
"""

from __future__ import annotations

from ...contracts.canary import CanaryDetails, CheckRecord, StepRecord
from ...results import Result
from .. import markdown as md
from .. import mermaid
from ..limits import Fold, Section
from . import generic
from .common import parse, standalone

HEADLINE_ICON = {"promoted": "✅", "rolled-back": "↩️", "paused": "⏸️", "inconclusive": "❔"}


def _value(record: CheckRecord, value: float | None) -> str:
    if value is None:
        return md.NULL
    if record.name in ("success-rate", "error-rate"):
        return md.pct(100 * value)  # two decimals: 98.60% must not read as the 99% threshold
    return f"{md.num(value)}{md.cell(record.unit)}" if record.unit else md.num(value)


def _failing(details: CanaryDetails) -> tuple[StepRecord, CheckRecord] | None:
    for step in reversed(details.log):
        for check in step.checks:
            if check.name == details.failed_check and check.outcome != "pass":
                return step, check
    return None


def headline(details: CanaryDetails) -> str:
    app = f"**{md.cell(details.app)}**" if details.app else "The canary"
    steps = " → ".join(f"{w}%" for w in details.steps)
    if details.outcome == "promoted":
        return f"{HEADLINE_ICON['promoted']} {app} promoted through {steps}."
    if details.outcome == "paused":
        return f"{HEADLINE_ICON['paused']} {app} paused at {details.final_weight}% for approval (`--resume`)."
    if details.outcome == "rolled-back":
        found = _failing(details)
        if details.failed_check == "aborted" or found is None:
            why = f" ({md.cell(details.failed_check)})" if details.failed_check else ""
            return f"{HEADLINE_ICON['rolled-back']} {app} rolled back{why}; traffic is on stable."
        step, check = found
        return (
            f"{HEADLINE_ICON['rolled-back']} {app} rolled back at {step.weight}%: "
            f"`{md.cell(check.name)}` canary {_value(check, check.canary)} vs stable "
            f"{_value(check, check.stable)} (needs {md.cell(check.threshold)}); traffic is on stable."
        )
    return f"{md.icon('inconclusive')} {app}: {md.cell(details.outcome)} at {details.final_weight}%."


def chart(details: CanaryDetails) -> Fold | None:
    """Weight (bars) and the canary's error rate in percent (line) per analysis."""
    analysed = [s for s in details.log if s.checks]
    if not analysed:
        return None
    errors: list[float] = []
    for step in analysed:
        found = next((c for c in step.checks if c.name == "error-rate" and c.canary is not None), None)
        errors.append(100 * found.canary if found is not None and found.canary is not None else 0.0)
    labels = [f"{i + 1}: {s.weight}%" for i, s in enumerate(analysed)]
    block = mermaid.xychart(
        "Canary weight (bars) and error rate (line), %",
        labels,
        [mermaid.Series("bar", [float(s.weight) for s in analysed]), mermaid.Series("line", errors)],
        y_title="%",
    )
    return Fold("Weight and error rate per analysis", block.splitlines(), atomic=True)


def table(details: CanaryDetails) -> list[str]:
    rows: list[list[str]] = []
    for i, step in enumerate(details.log):
        when = md.cell(step.at[11:19] if len(step.at) >= 19 else step.at)
        if not step.checks:
            rows.append([str(i + 1), f"{step.weight}%", when, md.cell(step.action), "", "", "", "", ""])
        for j, check in enumerate(step.checks):
            lead = [str(i + 1), f"{step.weight}%", when, md.cell(step.action)] if j == 0 else ["", "", "", ""]
            rows.append(
                [
                    *lead,
                    f"`{md.cell(check.name)}`",
                    _value(check, check.canary),
                    _value(check, check.stable),
                    md.cell(check.threshold),
                    f"{md.icon(check.outcome)} {md.cell(check.reason, 200)}",
                ]
            )
    head = ["#", "weight", "time (UTC)", "then", "check", "canary", "stable", "threshold", "outcome"]
    return md.table(head, "rrlllrrll", rows)


def sections(result: Result, details: CanaryDetails | None) -> list[Section]:
    if details is None:
        return [Section("Canary", generic.lines(result))]
    lines = [headline(details)]
    overhead = [s.analysis_s for s in details.log if s.analysis_s is not None]
    if overhead:
        lines.append(
            f"{md.plural(len(overhead), 'analysis', 'analyses')} every {details.interval_s}s "
            f"({md.cell(details.mode)}); queries took {max(overhead):.2f}s at most."
        )
    folds = []
    figure = chart(details)
    if figure is not None:
        folds.append(figure)
    keep_open = details.outcome != "promoted"
    folds.append(Fold("Decision log: every check at every step", table(details), keep=2, open=keep_open))
    return [Section("Canary", lines, folds)]


def read(result: Result, warnings: list[str]) -> CanaryDetails | None:
    if result.status == "error" and not result.details:
        return None
    return parse(CanaryDetails, result, warnings)


def render(result: Result) -> str:
    details = read(result, [])
    words = details.outcome if details is not None else None
    return standalone(result, sections(result, details), words=words)
