"""One markdown report from many result files: the verdict first, then the evidence.

A reviewer should know in ten seconds whether to ship: the headline says ship /
don't ship / needs a look, for which commit, and why; the sections below follow
a fixed order (model, data validation, drift, image & scan, deployment) so the
eye learns where things are, with long tables folded into ``<details>``.
Commands this version does not know (or details it cannot read) fall back to the
``summary_md`` the command wrote itself, so a newer pipeline still shows up.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from .. import __version__
from ..contracts.gate import GateDetails, MetricOutcome
from ..contracts.promote import PromoteDetails
from ..contracts.train import TrainDetails
from ..contracts.validate import DriftColumn, ExpectationOutcome, ValidateDetails
from ..results import Result
from . import limits
from .collect import LoadedResult
from .limits import Fold, Section
from .mermaid import Series, xychart

VerdictKey = Literal["ship", "dont-ship", "needs-a-look"]
VERDICT_LABEL: dict[VerdictKey, str] = {
    "ship": "🚀 Ship",
    "dont-ship": "⛔ Don't ship",
    "needs-a-look": "👀 Needs a look",
}
STATUS_ICON = {"passed": "✅", "failed": "❌", "inconclusive": "❔", "error": "⚠️"}
OUTCOME_ICON = {"pass": "✅ pass", "fail": "❌ fail", "inconclusive": "❔ inconclusive"}

# Fixed section order; a command's results go to the first section listing it.
SECTION_ORDER: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("model", ("train", "gate")),
    ("validation", ("validate",)),
    ("drift", ("validate",)),
    ("image", ("build", "scan")),
    ("deployment", ("promote", "deploy", "canary")),
)
KNOWN_COMMANDS = frozenset(c for _, commands in SECTION_ORDER for c in commands)
INLINE_ROWS = 5  # failing expectations / drifted columns shown before folding


@dataclass(frozen=True)
class ReportContext:
    """What the report knows beyond the result files (all optional)."""

    project: str | None = None
    commit: str | None = None
    repository: str | None = None
    server_url: str = "https://github.com"
    run_url: str | None = None
    warnings: Sequence[str] = ()


@dataclass
class Verdict:
    key: VerdictKey
    reasons: list[str]

    @property
    def label(self) -> str:
        return VERDICT_LABEL[self.key]


@dataclass
class Report:
    verdict: Verdict
    head: str
    sections: list[Section] = field(default_factory=list)
    foot: str = ""

    def markdown(self) -> str:
        return limits.render(self.head, self.sections, self.foot)

    def fitted(self, limit: int, note: str) -> tuple[str, bool]:
        return limits.fit(self.head, self.sections, self.foot, limit=limit, note=note)


# -- formatting helpers --------------------------------------------------------------------------


def _num(value: float | None, *, signed: bool = False, scale: float | None = None) -> str:
    """Metric-like values (|v| < 1) keep 4 decimals so columns line up; bigger ones 4 significant digits.

    ``scale`` formats a difference like the values it is a difference of (3.1 -> 3.4 is +0.3, not +0.3000).
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    sign = "+" if signed else ""
    magnitude = abs(value) if scale is None else max(abs(value), abs(scale))
    if magnitude >= 1000:
        return f"{value:{sign},.1f}"
    if magnitude >= 1:  # 4 significant digits of the scale, never an exponent
        return f"{value:{sign}.{3 - math.floor(math.log10(magnitude))}f}"
    return f"{value:{sign}.4f}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _pct(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}%"


def _p(value: float | None) -> str:
    if value is None:
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _cell(text: Any, limit: int = 120) -> str:
    """Table-safe text: one line, pipes escaped, no stray HTML, bounded length."""
    clean = " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _code(text: Any, limit: int = 80) -> str:
    if text is None:
        return ""
    clean = " ".join(str(text).split()).replace("`", "'")
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    escaped = clean.replace("|", "\\|")
    return f"`{escaped}`" if clean else ""


def _untrusted_md(markdown: str) -> list[str]:
    """A command's own summary_md: keep it, but never let it carry a sticky-comment marker."""
    text = re.sub(r"<!--\s*shipml:", "<!-- quoted-shipml:", markdown.strip())
    return limits.balance(text.splitlines()) if text else []


def _short_sha(sha: str | None) -> str | None:
    return sha[:7] if sha else None


def _parse(model: type[BaseModel], result: Result, warnings: list[str]) -> Any:
    try:
        return model.model_validate(result.details)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        warnings.append(
            f"could not read the details of `{result.command}` ({where}: {first['msg']}); "
            "showing its summary."
        )
        return None


# -- verdict ---------------------------------------------------------------------------------------


def _first_line(text: str, limit: int = 160) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def decide(results: Sequence[LoadedResult]) -> Verdict:
    """Any failure or error blocks; inconclusive results and warnings ask for a human look."""
    blocking: list[str] = []
    look: list[str] = []
    for loaded in results:
        r = loaded.result
        what = _first_line(r.summary) if r.summary else r.status
        if r.status == "error":
            blocking.append(f"`{r.command}` could not finish: {what}")
        elif r.status == "failed":
            blocking.append(f"`{r.command}` failed: {what}")
        elif r.status == "inconclusive":
            (blocking if r.blocking else look).append(f"`{r.command}` inconclusive: {what}")
        elif r.command == "validate":
            look += _validate_warnings(r)
    if blocking:
        return Verdict("dont-ship", blocking)
    if look:
        return Verdict("needs-a-look", look)
    gate = next((lr.result for lr in results if lr.result.command == "gate"), None)
    if gate is not None and gate.summary:
        return Verdict("ship", [f"`gate` passed: {_first_line(gate.summary)}"])
    return Verdict("ship", [f"all {len(results)} check{'s' if len(results) != 1 else ''} passed"])


def _validate_warnings(result: Result) -> list[str]:
    try:
        details = ValidateDetails.model_validate(result.details)
    except ValidationError:
        return []
    found = []
    warned = sum(1 for e in details.expectations if not e.success and e.severity == "warning")
    if warned:
        found.append(f"`validate`: {warned} warning-level expectation{'s' if warned != 1 else ''} failed")
    if details.drift and details.drift.dataset_drift:
        drifted = sum(1 for c in details.drift.columns if c.drifted)
        found.append(f"`validate`: dataset drift ({drifted} of {len(details.drift.columns)} columns)")
    return found


# -- sections ----------------------------------------------------------------------------------------


def _metric_table(rows: Sequence[MetricOutcome], *, slices: bool, primary: str | None) -> list[str]:
    confidences = {r.confidence for r in rows if r.confidence is not None}
    ci_head = f"{next(iter(confidences)):.0%} CI" if len(confidences) == 1 else "CI"
    head = ["slice"] if slices else []
    head += ["metric", "champion", "challenger", "change", ci_head, "p", "rule", "result"]
    align = ["---"] * (1 if slices else 0) + ["---", "---:", "---:", "---", "---", "---", "---", "---"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    for r in rows:
        name = f"**{_cell(r.metric)}**" if r.metric == primary and not slices else _cell(r.metric)
        cells = [_code(r.slice)] if slices else []
        ci = (
            "—"
            if r.ci_low is None or r.ci_high is None
            else f"[{_num(r.ci_low, signed=True)}, {_num(r.ci_high, signed=True)}]"
        )
        if r.confidence is not None and len(confidences) > 1:
            ci += f" ({r.confidence:.0%})"
        p = _p(r.p_value)
        if r.significant is not None and r.p_value is not None:
            p += " sig." if r.significant else " n.s."
        outcome = OUTCOME_ICON.get(r.outcome or "", "—")
        cells += [
            name,
            _num(r.champion),
            _num(r.challenger),
            _change(r),
            ci,
            p,
            _cell(r.rule or "—", 60),
            outcome,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _change(row: MetricOutcome) -> str:
    delta = row.delta
    if delta is None and row.champion is not None and row.challenger is not None:
        delta = row.challenger - row.champion
    if delta is None:
        return "—"
    if delta == 0:
        return "± 0"
    better = (delta > 0) == row.higher_is_better
    scale = max(abs(row.champion or 0.0), abs(row.challenger or 0.0))
    shown = _num(delta, signed=True, scale=scale)
    if float(shown.replace(",", "")) == 0:
        return f"≈ {shown[1:]}"  # a change too small to show at this precision
    arrow = "▲" if delta > 0 else "▼"
    return f"{arrow} {shown} {'better' if better else 'worse'}"


def _slice_chart(rows: Sequence[MetricOutcome], metric: str) -> Fold | None:
    chosen = [r for r in rows if r.metric == metric and r.slice and (r.delta is not None)]
    if len(chosen) < 2:
        return None
    chosen = chosen[:24]  # a chart with more bars is unreadable
    chart = xychart(
        f"{metric}: challenger minus champion, by slice",
        [r.slice or "" for r in chosen],
        [Series("bar", [float(r.delta or 0.0) for r in chosen])],
        y_title=f"Δ {metric}",
    )
    return Fold(f"Chart: change in {_cell(metric)} by slice", chart.splitlines(), atomic=True)


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


def _model_ref(label: str, ref: Any) -> str:
    if ref is None:
        return f"no {label}"
    version = f" v{ref.version}" if ref.version is not None else ""
    return f"{label}{version}"


def _gate_section(result: Result, details: GateDetails, train: TrainDetails | None) -> Section:
    title = f"Model: {_model_ref('challenger', details.challenger)} vs " + (
        "no champion yet"
        if details.first_model or details.champion is None
        else _model_ref("champion", details.champion)
    )
    section = Section(title)
    icon = STATUS_ICON.get(result.status, "")
    line = f"{icon} Gate **{details.verdict or result.status}**"
    if details.n_rows:
        line += f" on {details.n_rows:,} held-out rows"
    if details.primary_metric:
        line += f"; primary metric `{details.primary_metric}`"
    line += "."
    if details.first_model:
        line += " First model: judged against absolute floors only."
    section.lines.append(line)
    if train is not None:
        section.lines.append(_train_line(train))
    overall = [r for r in details.metrics if r.slice is None]
    sliced = [r for r in details.metrics if r.slice is not None]
    if overall:
        section.lines += ["", *_metric_table(overall, slices=False, primary=details.primary_metric)]
    if details.reasons:
        section.lines += ["", *(f"- {_cell(reason, 300)}" for reason in details.reasons[:8])]
        if len(details.reasons) > 8:
            section.lines.append(f"- … and {len(details.reasons) - 8} more")
    if details.budgets:
        failing = sum(1 for b in details.budgets if b.outcome == "fail")
        section.folds.append(
            Fold(
                f"Budgets: {len(details.budgets)}, {failing} failing",
                _metric_table(details.budgets, slices=False, primary=None),
                keep=2,
                open=failing > 0,
            )
        )
    if sliced:
        sliced.sort(key=lambda r: (r.outcome != "fail", r.outcome != "inconclusive", r.metric, r.slice or ""))
        failing = sum(1 for r in sliced if r.outcome == "fail")
        slice_names = {r.slice for r in sliced}
        section.folds.append(
            Fold(
                f"Per-slice results: {len(slice_names)} slices, {_plural(failing, 'failing row')}",
                _metric_table(sliced, slices=True, primary=None),
                keep=2,
            )
        )
        primary = details.primary_metric or sliced[0].metric
        chart = _slice_chart(sorted(sliced, key=lambda r: r.slice or ""), primary)
        if chart:
            section.folds.append(chart)
    elif (chart := _comparison_chart(overall)) is not None:
        section.folds.append(chart)
    if train is not None and train.metrics.splits():
        section.folds.append(Fold("Training metrics", _train_table(train), keep=2))
    return section


def _train_line(train: TrainDetails) -> str:
    model = f"`{train.registered_model}` v{train.model_version}" if train.registered_model else "the model"
    alias = f" (alias `{train.alias}`)" if train.alias else ""
    run = (
        f"[MLflow run `{(train.run_id or '')[:8]}`]({train.run_url})"
        if train.run_url
        else (f"MLflow run `{(train.run_id or '')[:8]}`" if train.run_id else "MLflow")
    )
    return f"Trained in {run}: registered {model}{alias}."


def _train_table(train: TrainDetails) -> list[str]:
    by_split = train.metrics.splits()
    names: list[str] = []
    for values in by_split.values():
        names += [m for m in values if m not in names]
    lines = ["| metric | " + " | ".join(by_split) + " |", "|---|" + "---:|" * len(by_split)]
    for name in names:
        cells = " | ".join(_num(values.get(name)) for values in by_split.values())
        lines.append(f"| {_cell(name)} | {cells} |")
    return lines


def _train_section(result: Result, train: TrainDetails) -> Section:
    title = (
        f"Model: trained `{train.registered_model}` v{train.model_version}"
        if train.registered_model
        else "Model: trained"
    )
    section = Section(title, [f"{STATUS_ICON.get(result.status, '')} {_train_line(train)}"])
    if train.metrics.splits():
        section.lines += ["", *_train_table(train)]
    return section


def _expectation_row(e: ExpectationOutcome) -> str:
    sev = "❌ error" if e.severity == "error" else "⚠️ warning"
    args = ", ".join(f"{k}={v}" for k, v in e.kwargs_.items() if k not in ("column", "batch_id"))
    what = _code(e.expectation) + (f" ({_cell(args, 80)})" if args else "")
    if e.unexpected_count is not None:
        unexpected = f"{e.unexpected_count:,}" + (
            f" ({_pct(e.unexpected_percent)})" if e.unexpected_percent is not None else ""
        )
    elif e.observed_value is not None:
        unexpected = f"observed {_cell(e.observed_value, 40)}"
    else:
        unexpected = "—"
    examples = ", ".join(_code("null" if x is None else x, 24) for x in e.examples[:3]) or "—"
    where = _code(f"{e.file}:{e.line}" if e.file and e.line else (e.file or e.suite or ""), 60) or "—"
    return f"| {sev} | {_code(e.column) or '(table)'} | {what} | {unexpected} | {examples} | {where} |"


EXPECTATION_HEAD = [
    "| | column | expectation | unexpected | examples | defined in |",
    "|---|---|---|---:|---|---|",
]


def _validation_section(result: Result, details: ValidateDetails, title: str) -> Section:
    failed = [e for e in details.expectations if not e.success]
    failed.sort(key=lambda e: (e.severity != "error", e.column or ""))
    errors = sum(1 for e in failed if e.severity == "error")
    total = (
        details.counts.evaluated if details.counts and details.counts.evaluated else len(details.expectations)
    )
    section = Section(title)
    if not failed:
        section.lines.append(f"✅ All {total} expectation{'s' if total != 1 else ''} passed.")
    else:
        icon = "❌" if errors else "⚠️"
        section.lines.append(
            f"{icon} {len(failed)} of {total} expectations failed: "
            f"{_plural(errors, 'error')}, {_plural(len(failed) - errors, 'warning')}."
        )
        section.lines += ["", *EXPECTATION_HEAD, *(_expectation_row(e) for e in failed[:INLINE_ROWS])]
        if len(failed) > INLINE_ROWS:
            section.folds.append(
                Fold(
                    f"All {len(failed)} failed expectations",
                    EXPECTATION_HEAD + [_expectation_row(e) for e in failed],
                    keep=2,
                )
            )
    passed = [e for e in details.expectations if e.success]
    if passed:
        rows = [f"- {_code(e.column) or '(table)'} {_code(e.expectation)}" for e in passed]
        section.folds.append(Fold(f"{len(passed)} passed expectations", rows))
    gx = details.artifacts.gx_json
    if gx:
        section.lines += [
            "",
            f"Full validation result: `{_cell(gx.rsplit('/', 1)[-1])}` in the run's artifacts.",
        ]
    return section


def _drift_strength(c: DriftColumn) -> float:
    """Bigger means more drift, 1 at the threshold, for p-value tests and distances alike."""
    p = c.p_adjusted if c.p_adjusted is not None else c.p_value
    if p is not None and c.threshold:
        return c.threshold / max(p, 1e-300)
    if c.statistic is not None and c.threshold:
        return c.statistic / c.threshold
    return 0.0


DRIFT_HEAD = [
    "| column | kind | method | statistic | threshold | p (adjusted) | drifted |",
    "|---|---|---|---:|---:|---:|---|",
]


def _drift_row(c: DriftColumn) -> str:
    p = _p(c.p_value) if c.p_adjusted is None else f"{_p(c.p_value)} ({_p(c.p_adjusted)})"
    if c.p_value is None:
        p = "—"
    return (
        f"| {_code(c.column)} | {c.kind or '—'} | {_cell(c.method or '—')} | {_num(c.statistic)} | "
        f"{_num(c.threshold)} | {p} | {'⚠️ yes' if c.drifted else 'no'} |"
    )


def _drift_section(result: Result, details: ValidateDetails, title: str) -> Section | None:
    drift = details.drift
    if drift is None:
        return None
    columns = sorted(drift.columns, key=lambda c: (not c.drifted, -_drift_strength(c), c.column))
    drifted = [c for c in columns if c.drifted]
    section = Section(title)
    icon = "⚠️" if drifted else "✅"
    share = f"share {drift.share:.0%}" if drift.share is not None else ""
    dataset = {True: "dataset drift: **yes**", False: "dataset drift: no", None: ""}[drift.dataset_drift]
    facts = ", ".join(x for x in (share, dataset) if x)
    line = f"{icon} {len(drifted)} of {len(columns)} columns drifted" + (f" ({facts})" if facts else "") + "."
    extra = []
    if drift.correction and drift.correction != "none":
        extra.append(f"{drift.correction.capitalize()}-corrected p-values")
    if drift.sampled_rows:
        extra.append(f"{drift.sampled_rows:,} rows sampled")
    if extra:
        line += " " + "; ".join(extra) + "."
    section.lines.append(line)
    if drifted:
        section.lines += [
            "",
            "Top drifted columns:",
            "",
            *DRIFT_HEAD,
            *(_drift_row(c) for c in drifted[:INLINE_ROWS]),
        ]
    if columns:
        section.folds.append(
            Fold(f"All {len(columns)} columns", DRIFT_HEAD + [_drift_row(c) for c in columns], keep=2)
        )
    html = details.artifacts.drift_html
    if html:
        where = f"[run's artifacts]({result.run_url}#artifacts)" if result.run_url else "run's artifacts"
        section.lines += ["", f"Drift report: `{_cell(html.rsplit('/', 1)[-1])}` in the {where}."]
    return section


def _promote_lines(result: Result, details: PromoteDetails) -> list[str]:
    model = f"`{details.registered_model}`" if details.registered_model else "the model"
    alias = f"`{details.alias}`" if details.alias else "champion"
    if details.action == "promoted":
        previous = f" (previous: v{details.previous_version})" if details.previous_version is not None else ""
        return [f"✅ Promoted {model} v{details.champion_version} to {alias}{previous}."]
    if details.action == "rolled_back":
        return [
            f"↩️ Rolled {model} {alias} back to v{details.champion_version} (was v{details.previous_version})."
        ]
    if details.action == "noop":
        return [f"➖ No change: {model} {alias} stays v{details.champion_version}."]
    return _fallback_lines(result)


def _fallback_lines(result: Result) -> list[str]:
    icon = STATUS_ICON.get(result.status, "")
    lines = _untrusted_md(result.summary_md)
    if lines:
        return lines
    return [
        f"{icon} `{result.command}` {result.status}"
        + (f": {_cell(result.summary, 300)}" if result.summary else "")
    ]


def _error_lines(result: Result) -> list[str]:
    return [f"⚠️ `{result.command}` could not finish: {_cell(result.summary or 'no summary', 300)}"]


# -- the report --------------------------------------------------------------------------------------


def compose(results: Sequence[LoadedResult], context: ReportContext) -> Report:
    warnings = list(context.warnings)
    verdict = decide(results)
    by_command: dict[str, list[Result]] = {}
    for loaded in results:
        by_command.setdefault(loaded.result.command, []).append(loaded.result)
    sections: list[Section] = []
    sections += _model_sections(by_command, warnings)
    for result in by_command.get("validate", []):
        suffix = _suffix(by_command["validate"], result)
        if result.status == "error":
            sections.append(Section(f"Data validation{suffix}", _error_lines(result)))
            continue
        details = _parse(ValidateDetails, result, warnings)
        if details is None:
            sections.append(Section(f"Data validation{suffix}", _fallback_lines(result)))
            continue
        sections.append(_validation_section(result, details, f"Data validation{suffix}"))
        drift = _drift_section(result, details, f"Drift{suffix}")
        if drift is not None:
            sections.append(drift)
    sections += _plain_sections("Image & scan", ("build", "scan"), by_command, warnings)
    sections += _plain_sections("Deployment", ("promote", "deploy", "canary"), by_command, warnings)
    unknown = [c for c in by_command if c not in KNOWN_COMMANDS]
    if unknown:
        other = Section("Other checks")
        for command in sorted(unknown):
            for result in by_command[command]:
                other.lines += [
                    f"**{_cell(command)}** {STATUS_ICON.get(result.status, '')}",
                    "",
                    *_fallback_lines(result),
                    "",
                ]
        other.lines = other.lines[:-1]
        sections.append(other)
    head = _headline(verdict, results, context)
    foot = _footer(results, context, warnings)
    return Report(verdict, head, sections, foot)


def _suffix(group: list[Result], result: Result) -> str:
    return f" ({group.index(result) + 1} of {len(group)})" if len(group) > 1 else ""


def _model_sections(by_command: dict[str, list[Result]], warnings: list[str]) -> list[Section]:
    sections: list[Section] = []
    trains = by_command.get("train", [])
    train_details = None
    if trains and trains[-1].status != "error":
        train_details = _parse(TrainDetails, trains[-1], warnings)
    gates = by_command.get("gate", [])
    for gate in gates:
        suffix = _suffix(gates, gate)
        if gate.status == "error":
            sections.append(Section(f"Model{suffix}", _error_lines(gate)))
            continue
        details = _parse(GateDetails, gate, warnings)
        if details is None:
            sections.append(Section(f"Model{suffix}", _fallback_lines(gate)))
            continue
        section = _gate_section(gate, details, train_details)
        section.title += suffix
        sections.append(section)
    if not gates:
        for train in trains:
            if train.status == "error":
                sections.append(Section("Model", _error_lines(train)))
                continue
            # the last one was parsed above: parsing it again would repeat its warning
            details = train_details if train is trains[-1] else _parse(TrainDetails, train, warnings)
            sections.append(
                _train_section(train, details) if details else Section("Model", _fallback_lines(train))
            )
    return sections


def _plain_sections(
    title: str, commands: tuple[str, ...], by_command: dict[str, list[Result]], warnings: list[str]
) -> list[Section]:
    section = Section(title)
    renderers: dict[str, Callable[[Result], list[str]]] = {
        "promote": lambda r: (
            _promote_lines(r, d)
            if (d := _parse(PromoteDetails, r, warnings)) is not None
            else _fallback_lines(r)
        ),
    }
    for command in commands:
        for result in by_command.get(command, []):
            if section.lines:
                section.lines.append("")
            if result.status == "error":
                section.lines += _error_lines(result)
            elif command in renderers:
                section.lines += renderers[command](result)
            else:
                section.lines += [
                    f"**{command}** {STATUS_ICON.get(result.status, '')}",
                    "",
                    *_fallback_lines(result),
                ]
    return [section] if section.lines else []


def _headline(verdict: Verdict, results: Sequence[LoadedResult], context: ReportContext) -> str:
    title = f"### {verdict.label}"
    subject = f" · {_cell(context.project)}" if context.project else ""
    if context.commit:
        short = _short_sha(context.commit)
        if context.repository:
            subject += f" @ [`{short}`]({context.server_url}/{context.repository}/commit/{context.commit})"
        else:
            subject += f" @ `{short}`"
    lines = [title + subject, ""]
    lines += [f"- {_cell(reason, 300)}" for reason in verdict.reasons[:6]]
    if len(verdict.reasons) > 6:
        lines.append(f"- … and {len(verdict.reasons) - 6} more")
    checks = " · ".join(
        f"{STATUS_ICON.get(lr.result.status, '')} {lr.result.command}" for lr in _ordered(results)
    )
    lines += ["", checks]
    return "\n".join(lines)


def _ordered(results: Sequence[LoadedResult]) -> list[LoadedResult]:
    order = [c for _, commands in SECTION_ORDER for c in commands]
    return sorted(
        results,
        key=lambda lr: (order.index(lr.result.command) if lr.result.command in order else 99, str(lr.path)),
    )


def _footer(results: Sequence[LoadedResult], context: ReportContext, warnings: list[str]) -> str:
    run_urls = [lr.result.run_url for lr in results if lr.result.run_url]
    run_url = run_urls[0] if run_urls else context.run_url
    links = []
    if run_url:
        links += [f"[workflow run]({run_url})", f"[artifacts]({run_url}#artifacts)"]
    for lr in results:
        if (
            lr.result.command == "train"
            and (url := lr.result.details.get("run_url"))
            and isinstance(url, str)
        ):
            links.append(f"[MLflow run]({url})")
            break
    links.append(f"shipml {__version__}")
    links.append(f"{len(results)} result file{'s' if len(results) != 1 else ''}")
    parts = []
    if warnings:
        parts.append("> [!WARNING]\n" + "\n".join(f"> {_cell(w, 400)}" for w in warnings))
    parts.append("<sub>" + " · ".join(links) + "</sub>")
    return "\n\n".join(parts)
