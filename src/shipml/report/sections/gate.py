"""The gate's result: what was compared, on which rows, each rule's numbers, and why.

Colour is a claim. A metric's change gets 🟢/🔴 only when it is significant
(the p shown, adjusted as the header says); a budget row (latency, size) only
when its rule failed: a p alone never paints a budget red. The CI and p of a
row come from one procedure, named in the ``method`` column. The table is what
a reviewer reads; the long reason sentences repeat its numbers, so they are
folded, except those of rules that failed or were inconclusive.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...contracts.gate import GateDetails, MetricOutcome, ModelInfo
from ...contracts.train import TrainDetails
from ...results import Result
from .. import markdown as md
from ..limits import Fold, Section
from ..mermaid import Series, xychart
from . import generic
from .common import parse, standalone, store_note
from .train import run_line, train_table

INLINE_REASONS = 8
CHART_BARS = 24  # a chart with more bars is unreadable


# -- the one-line summary ----------------------------------------------------------------------------


def tally(outcomes: Sequence[MetricOutcome], noun: str = "rule") -> str:
    """``3 rules, 1 failed, 1 inconclusive``."""
    fails = sum(o.outcome == "fail" for o in outcomes)
    unsure = sum(o.outcome == "inconclusive" for o in outcomes)
    parts = [md.plural(len(outcomes), noun)]
    if fails:
        parts.append(f"{fails} failed")
    if unsure:
        parts.append(f"{unsure} inconclusive")
    return ", ".join(parts)


def summary_line(d: GateDetails) -> str:
    """The one line printed at the end of ``shipml gate`` and recorded as the result's summary."""
    who = f"v{d.challenger.version}" if d.challenger.version else d.challenger.uri
    if d.champion is None:
        head = f"first model {who} on {d.n_rows} rows"
    else:
        seen = f"v{d.champion.version}" if d.champion.version else d.champion.uri
        head = f"{who} vs champion {seen} on {d.n_rows} rows"
    overall = [o for o in d.metrics if o.slice is None]
    primary = next((o for o in overall if o.metric == d.primary_metric), None)
    if primary is not None and primary.delta is not None:
        head += f"; {d.primary_metric} Δ {primary.delta:+.4g}"
        if primary.ci_low is not None and primary.ci_high is not None:
            head += f" [{primary.ci_low:+.4g}, {primary.ci_high:+.4g}]"
    elif primary is not None and primary.challenger is not None:
        head += f"; {d.primary_metric} {primary.challenger:.4g}"
    judged = d.metrics + [b for b in d.budgets if b.rule != "report only"]
    return f"{head}; {tally(judged)}"


# -- tables ------------------------------------------------------------------------------------------


def _p_header(rows: Sequence[MetricOutcome]) -> str:
    """``p (Holm)`` when every p shown is Holm-adjusted; plain ``p`` otherwise (cells then say)."""
    adjusted = {(r.adjustment or "").split(" ")[0].lower() for r in rows if r.p_value is not None}
    if len(adjusted) == 1 and (only := adjusted.pop()):
        return f"p ({only.capitalize()})"
    return "p"


def _p_cell(row: MetricOutcome, header: str) -> str:
    alpha = 1 - row.confidence if row.confidence is not None else None
    text = md.p_value(row.p_value, alpha)
    if row.p_value is None:
        return text
    if row.adjustment and header == "p":  # mixed table: say which are adjusted
        text += f" ({md.cell(row.adjustment.split(' ')[0].capitalize())})"
    if row.significant is not None:
        text += " sig." if row.significant else " n.s."
    return text


def _ci_header(rows: Sequence[MetricOutcome]) -> str:
    levels = {r.confidence for r in rows if r.confidence is not None and r.ci_low is not None}
    return f"{next(iter(levels)):.0%} CI" if len(levels) == 1 else "CI"


def _values(row: MetricOutcome) -> tuple[str, str]:
    champion, challenger = md.nums([row.champion, row.challenger])
    return champion, challenger


def _ratio(row: MetricOutcome) -> float | None:
    if row.champion and row.challenger is not None:
        return row.challenger / row.champion
    return None


def _change(row: MetricOutcome, *, budget: bool) -> str:
    delta = row.delta
    if delta is None and row.champion is not None and row.challenger is not None:
        delta = row.challenger - row.champion
    scale = max(abs(row.champion or 0.0), abs(row.challenger or 0.0))
    # a budget is red only when its rule failed; a metric is coloured only when significant
    flag = row.outcome == "fail" if budget else bool(row.significant)
    return md.change(
        delta,
        higher_is_better=row.higher_is_better,
        scale=scale,
        flag=flag,
        ratio=_ratio(row) if budget else None,
    )


def _method(row: MetricOutcome) -> str | None:
    """The procedure behind the CI and p; older files name only a ``test``; nothing compared, nothing."""
    if row.method:
        return row.method
    return row.test if row.p_value is not None or row.ci_low is not None else None


def table(
    rows: Sequence[MetricOutcome], *, slices: bool = False, primary: str | None = None, budget: bool = False
) -> list[str]:
    """One row per rule: values, change, CI and p of one method, the rule and its outcome."""
    ci_head, p_head = _ci_header(rows), _p_header(rows)
    levels = {r.confidence for r in rows if r.confidence is not None and r.ci_low is not None}
    head = ["slice"] if slices else []
    head += ["metric", "champion", "challenger", "change", ci_head, p_head, "method", "rule", "result"]
    align = ("l" if slices else "") + "lrrllllll"
    body = []
    for r in rows:
        name = f"**{md.cell(r.metric)}**" if r.metric == primary and not slices else md.cell(r.metric)
        ci = md.interval(r.ci_low, r.ci_high)
        if r.confidence is not None and len(levels) > 1 and r.ci_low is not None:
            ci += f" ({r.confidence:.0%})"
        champion, challenger = _values(r)
        cells = [md.code(r.slice) or md.NULL] if slices else []
        cells += [
            name,
            champion,
            challenger,
            _change(r, budget=budget),
            ci,
            _p_cell(r, p_head),
            md.cell(_method(r), 40),
            md.cell(r.rule or md.NULL, 60),
            f"{md.icon(r.outcome)} {r.outcome}",
        ]
        body.append(cells)
    return md.table(head, align, body)


def _adjustment_note(rows: Sequence[MetricOutcome]) -> list[str]:
    """Which family each adjusted p was adjusted over; the raw p stays in the result file."""
    adjustments = sorted({r.adjustment for r in rows if r.adjustment and r.p_value is not None})
    if not adjustments:
        return []
    note = f"_p adjusted: {md.cell('; '.join(adjustments), 200)} (unadjusted `p_raw` in the result file)._"
    return ["", note]  # a blank line first: a line right under a table would become a row


# -- charts ------------------------------------------------------------------------------------------


def _slice_chart(rows: Sequence[MetricOutcome], metric: str) -> Fold | None:
    chosen = [r for r in rows if r.metric == metric and r.slice and r.delta is not None][:CHART_BARS]
    if len(chosen) < 2:
        return None
    chart = xychart(
        f"{metric}: challenger minus champion, by slice",
        [r.slice or "" for r in chosen],
        [Series("bar", [float(r.delta or 0.0) for r in chosen])],
        y_title=f"Δ {metric}",
    )
    return Fold(f"Chart: change in {md.cell(metric)} by slice", chart.splitlines(), atomic=True)


def _comparison_chart(rows: Sequence[MetricOutcome]) -> Fold | None:
    """Champion (bars) vs challenger (line) for metrics on a 0-1 scale, when there are several."""
    chosen = [
        r
        for r in rows
        if r.champion is not None
        and r.challenger is not None
        and 0 <= r.champion <= 1
        and 0 <= r.challenger <= 1
    ]
    if len(chosen) < 2:
        return None
    chart = xychart(
        "Champion (bars) vs challenger (line)",
        [r.metric for r in chosen],
        [
            Series("bar", [float(r.champion or 0.0) for r in chosen]),
            Series("line", [float(r.challenger or 0.0) for r in chosen]),
        ],
        y_title="value",
        include_zero=False,
    )
    return Fold("Chart: champion vs challenger", chart.splitlines(), atomic=True)


# -- the section -------------------------------------------------------------------------------------


def _model_ref(label: str, ref: ModelInfo | None) -> str:
    if ref is None:
        return f"no {label}"
    return f"{label} v{ref.version}" if ref.version is not None else label


def _verdict_line(result: Result, d: GateDetails) -> str:
    line = f"{md.icon(d.verdict)} Gate **{d.verdict}**"
    if d.n_rows:
        line += f" on {md.plural(d.n_rows, 'row')}"
        if d.evaluation is not None:
            line += f" of the {md.cell(d.evaluation.source, 200)}"
    if d.primary_metric:
        line += f"; primary metric `{md.cell(d.primary_metric)}`"
    line += "."
    if d.first_model or d.champion is None:
        line += " No champion yet: the first model is judged on absolute rules (min/max) only."
    return line + store_note(d.store)


def _reasons(d: GateDetails) -> tuple[list[str], Fold | None]:
    """Reasons of failed/inconclusive rules shown; the others one click away."""
    judged = [*d.metrics, *(b for b in d.budgets if b.rule != "report only")]
    bad = [r for r in judged if r.outcome != "pass" and r.reason]
    bad.sort(key=lambda r: r.outcome != "fail")
    good = [r for r in judged if r.outcome == "pass" and r.reason]
    if not any(r.reason for r in judged):  # a file whose rows carry no reason: its reasons list, folded
        return [], Fold(f"Reasons ({len(d.reasons)})", md.bullets(d.reasons)) if d.reasons else None
    shown = md.bullets(r.reason or "" for r in bad[:INLINE_REASONS])
    rest = bad[INLINE_REASONS:] + good
    if not rest:
        return shown, None
    title = (
        f"Reasons for the other {md.plural(len(rest), 'rule')}"
        if bad
        else f"Why each of the {md.plural(len(rest), 'rule')} passed"
    )
    return shown, Fold(title, md.bullets(r.reason or "" for r in rest))


def sections(
    result: Result, details: GateDetails, train: TrainDetails | None = None, title_suffix: str = ""
) -> list[Section]:
    d = details
    title = f"Model: {_model_ref('challenger', d.challenger)} vs " + (
        "no champion yet" if d.first_model or d.champion is None else _model_ref("champion", d.champion)
    )
    section = Section(title + title_suffix, [_verdict_line(result, d)])
    if train is not None:
        section.lines.append(run_line(train))
    if d.challenger.git_sha:
        section.lines.append(f"Challenger trained from commit `{md.cell(d.challenger.git_sha[:7])}`.")
    overall = [r for r in d.metrics if r.slice is None]
    sliced = [r for r in d.metrics if r.slice is not None]
    if overall:
        section.lines += ["", *table(overall, primary=d.primary_metric), *_adjustment_note(overall)]
    shown, folded = _reasons(d)
    if shown:
        section.lines += ["", "**Why**", "", *shown]
    if folded is not None:
        section.folds.append(folded)
    if d.budgets:
        judged = [b for b in d.budgets if b.rule != "report only"]
        failing = any(b.outcome == "fail" for b in judged)
        label = tally(judged, "budget") if judged else "reported only"
        section.folds.append(
            Fold(
                f"Latency and size ({label}; both models timed on this runner in one run)",
                table(d.budgets, budget=True),
                keep=2,
                open=failing,
            )
        )
    if sliced:
        sliced.sort(key=lambda r: (r.outcome != "fail", r.outcome != "inconclusive", r.metric, r.slice or ""))
        names = {r.slice for r in sliced}
        section.folds.append(
            Fold(
                f"Slices ({md.plural(len(names), 'slice')}; {tally(sliced)})",
                [*table(sliced, slices=True), *_adjustment_note(sliced)],
                keep=2,
            )
        )
        chart = _slice_chart(
            sorted(sliced, key=lambda r: r.slice or ""), d.primary_metric or sliced[0].metric
        )
        if chart:
            section.folds.append(chart)
    elif (chart := _comparison_chart(overall)) is not None:
        section.folds.append(chart)
    if train is not None and train_table(train):
        section.folds.append(Fold("Training metrics", train_table(train), keep=2))
    return [section]


def render(result: Result) -> str:
    warnings: list[str] = []
    details = parse(GateDetails, result, warnings) if result.status != "error" else None
    if details is None:
        return generic.render(result)
    return standalone(result, sections(result, details), words=details.verdict)
