"""What a reviewer reads: the markdown fragment and the terminal report.

Ordered for triage: failed errors before warnings, the largest unexpected
counts first, with a few offending values and the suite line; drift sorted by
how far past its threshold each column is. Tables are capped so a suite with
hundreds of failures still fits a PR comment; the JSON result has everything.
"""

from __future__ import annotations

import math
from typing import Any

from ..contracts.validate import DriftColumn, DriftSummary, ExpectationOutcome, ValidateDetails

MAX_FAILURES = 15
MAX_DRIFT_ROWS = 25
_KWARG_SKIP = ("column", "batch_id", "result_format", "catch_exceptions")


def _cell(value: Any, limit: int = 60) -> str:
    text = str(value).replace("\n", " ").replace("|", "\\|").replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(outcome: ExpectationOutcome) -> str:
    """``values_to_be_between(min_value=0, max_value=100)``: the expectation without the noise."""
    name = outcome.expectation.removeprefix("expect_").removeprefix("column_")
    args = ", ".join(
        f"{k}={_short(v)}" for k, v in outcome.kwargs_.items() if k not in _KWARG_SKIP and v is not None
    )
    return f"{name}({args})" if args else name


def _short(value: Any) -> str:
    if isinstance(value, list):
        inner = ", ".join(_short(v) for v in value[:4])
        return f"[{inner}{', …' if len(value) > 4 else ''}]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def unexpected_text(outcome: ExpectationOutcome) -> str:
    if outcome.unexpected_count is not None:
        pct = f" ({outcome.unexpected_percent:.2f}%)" if outcome.unexpected_percent is not None else ""
        return f"{outcome.unexpected_count:,}{pct}"
    if outcome.observed_value is not None:
        return f"observed {_short(_round(outcome.observed_value))}"
    return "—"


def _round(value: Any) -> Any:
    return float(f"{value:.4g}") if isinstance(value, float) else value


def _where(outcome: ExpectationOutcome) -> str:
    if outcome.file and outcome.line:
        return f"{outcome.file}:{outcome.line}"
    return outcome.file or outcome.suite


def failures(details: ValidateDetails) -> list[ExpectationOutcome]:
    failed = [o for o in details.expectations if not o.success]
    return sorted(failed, key=lambda o: (o.severity != "error", -(o.unexpected_count or 0)))


def _severity_score(column: DriftColumn) -> float:
    """How far past (>1) or below (<1) its threshold a column is, comparable across methods."""
    if column.p_value is not None or column.p_adjusted is not None:
        p = column.p_adjusted if column.p_adjusted is not None else column.p_value
        if p is None:
            return 0.0
        return -math.log10(max(p, 1e-300)) / -math.log10(min(column.threshold, 0.999))
    if column.statistic is None:
        return 0.0
    return column.statistic / column.threshold


def drift_rows(drift: DriftSummary) -> list[DriftColumn]:
    return sorted(drift.columns, key=lambda c: (not c.drifted, -_severity_score(c)))


def fixed(value: float | None, spec: str) -> str:
    """``value`` formatted with ``spec``; "—" for a field a hand-written result file left out."""
    return "—" if value is None else format(value, spec)


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"


def verdict_words(status: str, details: ValidateDetails) -> str:
    warnings = details.counts.failed_warning + (len(details.drift.drifted) if details.drift else 0)
    if status == "passed":
        return "✅ passed" + (" with warnings" if warnings else "")
    return "❌ failed"


def markdown(status: str, details: ValidateDetails) -> str:
    lines = [f"### Data validation: {verdict_words(status, details)}", ""]
    data = ", ".join(f"`{_cell(p)}`" for p in details.data)
    against = f" against `{_cell(details.reference)}`" if details.reference and details.drift else ""
    lines.append(f"{data} ({fixed(details.rows, ',')} rows){against}")
    lines.append("")
    counts = details.counts
    lines.append(
        f"**Expectations:** {counts.evaluated} evaluated · {counts.failed_error} failed (error) · "
        f"{counts.failed_warning} failed (warning)"
    )
    drift = details.drift
    if drift:
        sampled = f" · sampled {drift.sampled_rows:,} rows (seed {drift.seed})" if drift.sampled_rows else ""
        verdict = "dataset drift" if drift.dataset_drift else "no dataset drift"
        threshold = fixed(drift.share_threshold, ".2f")
        lines.append(
            f"**Drift:** {len(drift.drifted)} of {len(drift.columns)} columns drifted · "
            f"share {drift.share:.2f} ({'≥' if drift.dataset_drift else '<'} {threshold}: "
            f"{verdict}) · correction {drift.correction}{sampled}"
        )
    failed = failures(details)
    if failed:
        lines += [
            "",
            "| | expectation | column | unexpected | examples | declared at |",
            "|---|---|---|---|---|---|",
        ]
        for o in failed[:MAX_FAILURES]:
            icon = "❌ error" if o.severity == "error" else "⚠️ warning"
            examples = ", ".join(f"`{_cell(v, 24)}`" for v in o.examples[:3]) or "—"
            cells = [icon, f"`{_cell(describe(o), 70)}`", _cell(o.column or "(table)"), unexpected_text(o)]
            cells += [examples, f"`{_cell(_where(o))}`"]
            lines.append("| " + " | ".join(cells) + " |")
        if len(failed) > MAX_FAILURES:
            lines.append(f"\n…and {len(failed) - MAX_FAILURES} more failed expectations in the result file.")
    if drift:
        rows = drift_rows(drift)
        lines += [
            "",
            "| column | kind | method | statistic | threshold | p adj. | drifted |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in rows[:MAX_DRIFT_ROWS]:
            role = f" ({c.role})" if c.role != "feature" else ""
            cells = [f"{_cell(c.column)}{role}", c.kind, c.method, _fmt(c.statistic), _fmt(c.threshold)]
            cells += [_fmt(c.p_adjusted), "⚠️ yes" if c.drifted else "no"]
            lines.append("| " + " | ".join(cells) + " |")
        if len(rows) > MAX_DRIFT_ROWS:
            lines.append(f"\n…and {len(rows) - MAX_DRIFT_ROWS} more columns without drift.")
        if drift.correction != "none":
            lines.append(
                f"\nVerdicts on p-value tests use {drift.correction}-adjusted p-values; "
                "the Evidently HTML report shows uncorrected ones."
            )
    artifacts = [a for a in (details.artifacts.drift_html, details.artifacts.gx_json) if a]
    if artifacts:
        lines += ["", "Artefacts: " + ", ".join(f"`{_cell(a, 120)}`" for a in artifacts)]
    return "\n".join(lines) + "\n"


def text(details: ValidateDetails) -> list[str]:
    """Plain lines for the terminal / job log."""
    counts = details.counts
    out = [
        f"Expectations: {counts.evaluated} evaluated, {counts.failed_error} failed (error), "
        f"{counts.failed_warning} failed (warning)"
    ]
    for o in failures(details)[:MAX_FAILURES]:
        examples = ", ".join(_cell(v, 24) for v in o.examples[:3])
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
            p = f", p adj. {_fmt(c.p_adjusted)}" if c.p_adjusted is not None else ""
            stat = f"{c.method} {_fmt(c.statistic)} vs {_fmt(c.threshold)}"
            out.append(f"  ! {c.column} ({c.kind}, {c.role}): {stat}{p}")
    for label, path in (
        ("drift report", details.artifacts.drift_html),
        ("GX result", details.artifacts.gx_json),
    ):
        if path:
            out.append(f"{label}: {path}")
    return out
