"""The markdown of the gate's result details: what was compared, the numbers, and why.

Colour is a claim: a cell is green or red only when the change is statistically
significant (Holm-adjusted for metrics, Mann-Whitney for timings, exact for
sizes). Arrows show which way the number moved; green means "better" in the
metric's own direction, so a falling log loss is a green ▼.
"""

from __future__ import annotations

import math

from ..contracts.gate import GateDetails, MetricOutcome, ModelInfo

ICON = {"pass": "✅", "fail": "❌", "inconclusive": "⚠️"}
HEADLINE = {"passed": "✅ passed", "failed": "❌ failed", "inconclusive": "⚠️ inconclusive"}


def _num(x: float | None, signed: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:+.4g}" if signed else f"{x:.4g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def diff(o: MetricOutcome) -> str:
    """▲/▼ by the sign of the change; 🟢/🔴 (better/worse in the metric's direction) only if significant."""
    if o.delta is None or not math.isfinite(o.delta):
        return "–"
    if o.delta == 0:
        return "= 0"
    arrow = "▲" if o.delta > 0 else "▼"
    text = f"{arrow} {_num(o.delta, signed=True)}"
    if o.significant:
        better = (o.delta > 0) == o.higher_is_better
        text = f"{'🟢' if better else '🔴'} {text}"
    return text


def _ci(o: MetricOutcome) -> str:
    if o.ci_low is None or o.ci_high is None:
        return "–"
    return f"[{_num(o.ci_low, True)}, {_num(o.ci_high, True)}]"


def _p(o: MetricOutcome) -> str:
    if o.p_value is None:
        return "–"
    return "<0.0001" if o.p_value < 1e-4 else f"{o.p_value:.3g}"


def _ratio(o: MetricOutcome) -> str:
    if o.champion and o.challenger is not None and math.isfinite(o.champion) and math.isfinite(o.challenger):
        return f" (×{o.challenger / o.champion:.2f})"
    return ""


def table(outcomes: list[MetricOutcome], *, with_slice: bool, ratios: bool = False) -> str:
    head = [
        "",
        "metric",
        *(["slice"] if with_slice else []),
        "champion",
        "challenger",
        "Δ",
        "CI",
        "p",
        "test",
        "rule",
    ]
    align = [
        "---",
        "---",
        *(["---"] if with_slice else []),
        "---:",
        "---:",
        "---",
        "---",
        "---:",
        "---",
        "---",
    ]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    for o in outcomes:
        level = f" ({o.confidence:.0%})" if o.confidence and o.ci_low is not None else ""
        cells = [
            ICON[o.outcome],
            f"`{_cell(o.metric)}`",
            *([_cell(o.slice or "all")] if with_slice else []),
            _num(o.champion),
            _num(o.challenger),
            diff(o) + (_ratio(o) if ratios else ""),
            _ci(o) + level,
            _p(o),
            _cell(o.test or "–"),
            _cell(o.rule),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _name(info: ModelInfo) -> str:
    if info.registered_model and info.version:
        return f"**{info.registered_model}** v{info.version}"
    return f"`{info.uri}`"


def _tally(outcomes: list[MetricOutcome]) -> str:
    fails = sum(o.outcome == "fail" for o in outcomes)
    unsure = sum(o.outcome == "inconclusive" for o in outcomes)
    parts = [f"{len(outcomes)} rules"]
    if fails:
        parts.append(f"{fails} failed")
    if unsure:
        parts.append(f"{unsure} inconclusive")
    return ", ".join(parts)


def render(d: GateDetails) -> str:
    """Markdown for the job summary and the PR comment."""
    source = d.evaluation.source if d.evaluation else "evaluation set"
    out = [f"### shipml gate: {HEADLINE[d.verdict]}", ""]
    if d.champion is None:
        out.append(
            f"No champion yet: challenger {_name(d.challenger)} is the **first model**, "
            "judged on absolute rules "
            f"only (comparative rules are skipped) on {d.n_rows:,} rows of the {source}."
        )
    else:
        same = d.champion.registered_model == d.challenger.registered_model and d.champion.version
        seen = f"v{d.champion.version}" if same else _name(d.champion)
        out.append(
            f"Challenger {_name(d.challenger)} vs champion {seen}, both scored on the same "
            f"{d.n_rows:,} rows of the {source}."
        )
    overall = [o for o in d.metrics if o.slice is None]
    primary = next((o for o in overall if o.metric == d.primary_metric), None)
    if primary is not None:
        line = f"Primary metric `{d.primary_metric}`: "
        if primary.champion is not None:
            line += f"{_num(primary.champion)} → {_num(primary.challenger)} ({diff(primary)}"
            line += f", CI {_ci(primary)})" if primary.ci_low is not None else ")"
        else:
            line += _num(primary.challenger)
        out += ["", line]
    out += ["", table(overall, with_slice=False)]
    sliced = [o for o in d.metrics if o.slice is not None]
    if sliced:
        out += [
            "",
            f"<details><summary>Slices ({_tally(sliced)})</summary>",
            "",
            table(sliced, with_slice=True),
            "",
            "</details>",
        ]
    if d.budgets:
        judged = [b for b in d.budgets if b.rule != "report only"]
        label = _tally(judged) if judged else "reported only"
        out += [
            "",
            f"<details><summary>Latency and size ({label}; both models timed on this runner "
            "in one run)</summary>",
            "",
            table(d.budgets, with_slice=False, ratios=True),
            "",
            "</details>",
        ]
    bad = [r for r in d.reasons if " FAIL: " in r or " INCONCLUSIVE: " in r]
    if bad:
        out += ["", "**Why**", "", *[f"- {_cell(r)}" for r in bad]]
    out.append("")
    return "\n".join(out)


def summary_line(d: GateDetails) -> str:
    """The one line printed at the end of the command."""
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
    return f"{head}; {_tally(judged)}"
