"""The validate result: failed expectations for triage, then drift, then where the full results are.

Ordered for triage: failed errors before warnings, the largest unexpected
counts first, with a few offending values and the suite line; drift columns by
how far past their threshold they are (one ordering, :func:`drift_rows`, for
the tables and the terminal alike). A few rows are shown; the rest are folded,
and the result file has everything. The terminal lines (:func:`text`) and the
annotations read the same helpers.
"""

from __future__ import annotations

import math
from typing import Any

from ...contracts.validate import DriftColumn, DriftSummary, ExpectationOutcome, ValidateDetails
from ...results import Result
from .. import markdown as md
from ..limits import Fold, Section
from ..markdown import fixed as fixed  # re-exported: the annotations format shares with it
from . import generic
from .common import parse, standalone

INLINE_ROWS = 5  # failing expectations / drifted columns shown before folding
TERMINAL_ROWS = 15
_KWARG_SKIP = ("column", "batch_id", "result_format", "catch_exceptions")


# -- expectations -------------------------------------------------------------------------------------


def _short(value: Any) -> str:
    if isinstance(value, list):
        inner = ", ".join(_short(v) for v in value[:4])
        return f"[{inner}{', …' if len(value) > 4 else ''}]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def describe(outcome: ExpectationOutcome) -> str:
    """``values_to_be_between(min_value=0, max_value=100)``: the expectation without the noise."""
    name = outcome.expectation.removeprefix("expect_").removeprefix("column_")
    args = ", ".join(
        f"{k}={_short(v)}" for k, v in outcome.kwargs_.items() if k not in _KWARG_SKIP and v is not None
    )
    return f"{name}({args})" if args else name


def unexpected_text(outcome: ExpectationOutcome) -> str:
    """``12 (0.60%)``, ``observed 83.91`` or "—"."""
    if outcome.unexpected_count is not None:
        pct = f" ({md.pct(outcome.unexpected_percent)})" if outcome.unexpected_percent is not None else ""
        return f"{outcome.unexpected_count:,}{pct}"
    if outcome.observed_value is not None:
        value = outcome.observed_value
        return f"observed {_short(float(f'{value:.4g}') if isinstance(value, float) else value)}"
    return md.NULL


def _where(outcome: ExpectationOutcome) -> str:
    if outcome.file and outcome.line:
        return f"{outcome.file}:{outcome.line}"
    return outcome.file or outcome.suite


def failures(details: ValidateDetails) -> list[ExpectationOutcome]:
    """Failed expectations, errors first, then the largest unexpected counts."""
    failed = [o for o in details.expectations if not o.success]
    return sorted(failed, key=lambda o: (o.severity != "error", -(o.unexpected_count or 0), o.column or ""))


EXPECTATION_HEAD = ["", "column", "expectation", "unexpected", "examples", "defined in"]


def _expectation_row(e: ExpectationOutcome) -> list[str]:
    severity = f"{md.icon('failed')} error" if e.severity == "error" else f"{md.WARNING} warning"
    examples = ", ".join(md.code("null" if x is None else x, 24) for x in e.examples[:3]) or md.NULL
    return [
        severity,
        md.code(e.column) or "(table)",
        md.code(describe(e), 90),
        md.cell(unexpected_text(e), 60),
        examples,
        md.code(_where(e), 60) or md.NULL,
    ]


def _expectation_table(rows: list[ExpectationOutcome]) -> list[str]:
    return md.table(EXPECTATION_HEAD, "lllrll", [_expectation_row(e) for e in rows])


def words(details: ValidateDetails, status: str) -> str:
    """``passed with warnings`` when warnings or drifted columns did not fail the step."""
    warned = details.counts.failed_warning + (len(details.drift.drifted) if details.drift else 0)
    if status == "passed" and warned:
        return "passed with warnings"
    return md.STATUS_WORDS.get(status, status)


def validation_section(result: Result, details: ValidateDetails, title: str) -> Section:
    failed = failures(details)
    errors = sum(1 for e in failed if e.severity == "error")
    total = details.counts.evaluated or len(details.expectations)
    section = Section(title)
    if not failed:
        section.lines.append(f"{md.icon('passed')} All {md.plural(total, 'expectation')} passed.")
    else:
        icon = md.icon("failed") if errors else md.WARNING
        section.lines.append(
            f"{icon} {len(failed)} of {md.plural(total, 'expectation')} failed: "
            f"{md.plural(errors, 'error')}, {md.plural(len(failed) - errors, 'warning')}."
        )
    if details.data:
        data = ", ".join(md.code(p, 120) for p in details.data)
        rows = f" ({md.plural(details.rows, 'row')})" if details.rows is not None else ""
        section.lines.append(f"Data: {data}{rows}.")
    if failed:
        section.lines += ["", *_expectation_table(failed[:INLINE_ROWS])]
        if len(failed) > INLINE_ROWS:
            section.folds.append(
                Fold(f"All {len(failed)} failed expectations", _expectation_table(failed), keep=2)
            )
    passed = [e for e in details.expectations if e.success]
    if passed:
        rows_ = [f"- {md.code(e.column) or '(table)'} {md.code(describe(e), 90)}" for e in passed]
        section.folds.append(Fold(f"{md.plural(len(passed), 'passed expectation')}", rows_))
    gx = details.artifacts.gx_json
    if gx:
        section.lines += [
            "",
            f"Full validation result: {md.code(gx.rsplit('/', 1)[-1])} in the run's artifacts.",
        ]
    return section


# -- drift --------------------------------------------------------------------------------------------


def severity(column: DriftColumn) -> float:
    """How far past (>1) or below (<1) its threshold a column is, comparable across methods.

    p-value tests compare in orders of magnitude (p = 1e-9 at α = 0.05 is ~6.9),
    distances as a ratio (0.5 at 0.1 is 5).
    """
    p = column.p_adjusted if column.p_adjusted is not None else column.p_value
    if p is not None:
        return -math.log10(max(p, 1e-300)) / -math.log10(min(max(column.threshold, 1e-300), 0.999))
    if column.statistic is None or not column.threshold:
        return 0.0
    return column.statistic / column.threshold


def drift_rows(drift: DriftSummary) -> list[DriftColumn]:
    """Drifted columns first, each group furthest past its threshold first, then by name."""
    return sorted(drift.columns, key=lambda c: (not c.drifted, -severity(c), c.column))


DRIFT_HEAD = ["column", "kind", "method", "statistic", "threshold", "p (adjusted)", "drifted"]


def _drift_row(c: DriftColumn) -> list[str]:
    statistic, threshold = md.nums([c.statistic, c.threshold])
    if c.p_value is None:
        p = md.NULL
    elif c.p_adjusted is None:
        p = md.p_value(c.p_value, c.threshold)
    else:
        p = f"{md.p_value(c.p_value)} ({md.p_value(c.p_adjusted, c.threshold)})"
    role = f" ({md.cell(c.role)})" if c.role != "feature" else ""
    drifted = f"{md.WARNING} yes" if c.drifted else "no"
    return [
        f"{md.code(c.column)}{role}",
        md.cell(c.kind),
        md.cell(c.method),
        statistic,
        threshold,
        p,
        drifted,
    ]


def _drift_table(columns: list[DriftColumn]) -> list[str]:
    return md.table(DRIFT_HEAD, "lllrrrl", [_drift_row(c) for c in columns])


def _drift_facts(drift: DriftSummary) -> str:
    if drift.share_threshold is not None:
        share, limit = md.shares([drift.share, drift.share_threshold])
        compare = "≥" if drift.dataset_drift else "<"
        verdict = "**dataset drift**" if drift.dataset_drift else "no dataset drift"
        return f"share {share} {compare} {limit}: {verdict}"
    (share,) = md.shares([drift.share])
    return f"share {share}, dataset drift: {'**yes**' if drift.dataset_drift else 'no'}"


def drift_section(result: Result, details: ValidateDetails, title: str) -> Section | None:
    drift = details.drift
    if drift is None:
        return None
    columns = drift_rows(drift)
    drifted = [c for c in columns if c.drifted]
    icon = md.WARNING if drifted else md.icon("passed")
    line = f"{icon} {len(drifted)} of {md.plural(len(columns), 'column')} drifted ({_drift_facts(drift)})."
    extra = []
    if details.reference:
        extra.append(f"reference {md.code(details.reference, 120)}")
    if drift.sampled_rows:
        seed = f" (seed {drift.seed})" if drift.seed is not None else ""
        extra.append(f"{drift.sampled_rows:,} rows sampled{seed}")
    if extra:
        joined = "; ".join(extra)
        line += f" {joined[0].upper()}{joined[1:]}."
    section = Section(title, [line])
    if drift.correction and drift.correction != "none":
        section.lines.append(
            f"Verdicts on p-value tests use {md.cell(drift.correction)}-adjusted p-values; "
            "the Evidently HTML report shows unadjusted ones."
        )
    if drifted:
        section.lines += ["", "Top drifted columns:", "", *_drift_table(drifted[:INLINE_ROWS])]
    if columns:
        section.folds.append(Fold(f"All {len(columns)} columns", _drift_table(columns), keep=2))
    html = details.artifacts.drift_html
    if html:
        where = f"[run's artifacts]({result.run_url}#artifacts)" if result.run_url else "run's artifacts"
        section.lines += ["", f"Drift report: {md.code(html.rsplit('/', 1)[-1])} in the {where}."]
    return section


# -- assembly -----------------------------------------------------------------------------------------


def sections(result: Result, details: ValidateDetails, title_suffix: str = "") -> list[Section]:
    found = [validation_section(result, details, f"Data validation{title_suffix}")]
    drift = drift_section(result, details, f"Drift{title_suffix}")
    return found + ([drift] if drift is not None else [])


def render(result: Result) -> str:
    details = parse(ValidateDetails, result, []) if result.status != "error" else None
    if details is None:
        return generic.render(result)
    return standalone(result, sections(result, details), words=words(details, result.status))


def text(details: ValidateDetails) -> list[str]:
    """Plain lines for the terminal / job log."""
    counts = details.counts
    out = [
        f"Expectations: {counts.evaluated} evaluated, {counts.failed_error} failed (error), "
        f"{counts.failed_warning} failed (warning)"
    ]
    for o in failures(details)[:TERMINAL_ROWS]:
        examples = ", ".join(md.one_line(v, 24) for v in o.examples[:3])
        label = "✗ error  " if o.severity == "error" else "! warning"
        more = f", e.g. {examples}" if examples else ""
        out.append(
            f"  {label} {_where(o)}  {o.column or '(table)'}  {describe(o)}: {unexpected_text(o)}{more}"
        )
    drift = details.drift
    if drift:
        out.append(
            f"Drift: {len(drift.drifted)} of {len(drift.columns)} columns, share {drift.share:.2f} "
            f"(dataset drift at ≥ {fixed(drift.share_threshold, '.2f')}), "
            f"{fixed(drift.reference_rows, ',')} vs {fixed(drift.current_rows, ',')} rows"
        )
        for c in drift_rows(drift):
            if not c.drifted:
                break
            statistic, threshold = md.nums([c.statistic, c.threshold])
            p = f", p adj. {md.p_value(c.p_adjusted, c.threshold)}" if c.p_adjusted is not None else ""
            out.append(f"  ! {c.column} ({c.kind}, {c.role}): {c.method} {statistic} vs {threshold}{p}")
    for label, path in (
        ("drift report", details.artifacts.drift_html),
        ("GX result", details.artifacts.gx_json),
    ):
        if path:
            out.append(f"{label}: {path}")
    return out
