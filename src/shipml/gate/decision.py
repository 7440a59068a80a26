"""From two models' predictions and the gate's rules to per-rule outcomes and a verdict.

The steps live in their own modules: :mod:`.encoding` (labels, threshold,
canonical row order), :mod:`.comparison` (the one method per metric that gives
the CI and the p), :mod:`shipml.judging` (clauses -> pass/fail/inconclusive).
This module puts them together and adds what only the gate knows:

* The gate passes only when every rule passes (an intersection-union test), so
  its false-pass rate is bounded by each rule's α without any adjustment. Holm's
  correction is applied to the *significance* claims ("this metric really
  changed"), which are a union: each outcome keeps ``p_raw``, ``p_adjusted``
  and the ``adjustment`` ("holm over K tests", the metrics tested together on
  the same rows); ``p_value`` is the adjusted one when there is one.
* Guards: fewer rows than ``min_rows`` makes every rule inconclusive; a label
  metric whose models disagree on only a handful of rows (``0 < d <
  min_discordant``) cannot be decided statistically; ROC AUC / PR AUC on a
  single-class evaluation set is undefined. Each says so in its reason.
* Default policy when no rules are configured: non-inferiority of the primary
  metric at ``gate.confidence`` (95%), margin ``default_max_regression`` (0.01):
  absolute for [0, 1]-scaled metrics, relative to the champion (1%) for
  unbounded ones such as rmse.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from .. import judging
from ..config.gate import GateSection, MetricRule
from ..contracts.gate import MetricOutcome, Outcome, Verdict
from ..multiplicity import holm
from .comparison import Comparison, compare, pick_test
from .encoding import Encoded, encode, finite_or_none, metric_inputs
from .metrics import MetricSpec, Predictions, Task, default_primary_metric, get_metric
from .stats import paired_replicates

_SEVERITY: dict[str, int] = {"fail": 0, "inconclusive": 1, "pass": 2}


def default_rule(gate: GateSection, spec: MetricSpec) -> MetricRule:
    """Non-inferiority on the primary metric at the gate's confidence (see the module doc)."""
    return MetricRule(
        metric=spec.name,
        max_regression=gate.default_max_regression,
        relative=not spec.unit_scale,
        confidence=gate.confidence,
    )


def clauses(rule: MetricRule) -> judging.Clauses:
    return judging.Clauses(
        minimum=rule.min,
        maximum=rule.max,
        max_regression=rule.max_regression,
        min_improvement=rule.min_improvement,
        relative=rule.relative,
        on_interval=rule.confidence is not None,
    )


def _single_class(y: NDArray[Any], spec: MetricSpec) -> str | None:
    if spec.ranking and len(set(y.tolist())) < 2:
        return f"the evaluation set has a single class, so {spec.name} is undefined"
    return None


def _rules(
    rules: Sequence[MetricRule],
    gate: GateSection,
    task: Task,
    n_classes: int | None,
    search_path: Path | None,
) -> list[tuple[MetricRule, MetricSpec]]:
    if rules:
        return [
            (
                r,
                get_metric(
                    r.metric, task, n_classes, higher_is_better=r.higher_is_better, search_path=search_path
                ),
            )
            for r in rules
        ]
    primary = gate.primary_metric or default_primary_metric(task, n_classes)
    spec = get_metric(primary, task, n_classes, search_path=search_path)
    return [(default_rule(gate, spec), spec)]


def _comparisons(
    pairs: list[tuple[MetricRule, MetricSpec]],
    tests: list[str],
    inputs: list[tuple[NDArray[Any], NDArray[Any] | None, NDArray[Any]]],
    todo: list[int],
    gate: GateSection,
    enc: Encoded,
) -> list[Comparison | None]:
    """Every metric's comparison (for the report too, not only rules with comparative clauses).

    All bootstrapped metrics share one set of resamples.
    """
    wanted: dict[str, tuple[MetricSpec, NDArray[Any], NDArray[Any], NDArray[Any]]] = {}
    for i in todo:
        spec = pairs[i][1]
        y, champ_in, chall_in = inputs[i]
        if tests[i] == "bootstrap" and champ_in is not None:
            wanted[spec.name] = (spec, y, champ_in, chall_in)
    reps = paired_replicates(wanted, n_resamples=gate.bootstrap_resamples, seed=gate.seed)
    comps: list[Comparison | None] = [None] * len(pairs)
    for i in todo:
        rule, spec = pairs[i]
        confidence = rule.confidence or gate.confidence
        comps[i] = compare(spec, tests[i], confidence, gate, enc, reps.get(spec.name))
    return comps


def evaluate(
    y_true: NDArray[Any],
    champion: Predictions | None,
    challenger: Predictions,
    rules: Sequence[MetricRule],
    gate_cfg: GateSection,
    task: Task,
    slice_name: str | None = None,
    *,
    min_rows: int | None = None,
    search_path: Path | None = None,
) -> list[MetricOutcome]:
    """Judge every rule (or the default policy) on these rows; one outcome per rule.

    ``slice_name`` ("col=value") labels the outcomes and ``min_rows`` overrides
    the gate's minimum for a slice. ``search_path`` is where user metrics'
    modules are imported from (the directory of shipml.yaml).
    """
    enc = encode(y_true, champion, challenger, task, gate_cfg.threshold)
    n = len(enc.y)
    n_classes = len(enc.classes) if enc.classes is not None else None
    pairs = _rules(rules, gate_cfg, task, n_classes, search_path)
    tests = [pick_test(r, s, n_classes) for r, s in pairs]
    floor = min_rows if min_rows is not None else gate_cfg.min_rows
    too_few = n < floor
    prefix = f"[{slice_name}] " if slice_name else ""

    inputs = [metric_inputs(spec, enc) for _, spec in pairs]
    values: list[tuple[float | None, float | None]] = []
    undefined: list[str | None] = []
    for (_, spec), (y, champ_in, chall_in) in zip(pairs, inputs, strict=True):
        blocked = _single_class(enc.y, spec) if n else "no evaluation rows"
        undefined.append(blocked)
        if blocked:
            values.append((None, None))
            continue
        values.append((spec.value(y, champ_in) if champ_in is not None else None, spec.value(y, chall_in)))

    comps: list[Comparison | None] = [None] * len(pairs)
    if champion is not None and not too_few:
        todo = [i for i, blocked in enumerate(undefined) if not blocked]
        comps = _comparisons(pairs, tests, inputs, todo, gate_cfg, enc)

    # Holm across the tested metrics (one p-value per metric and method)
    family: dict[tuple[str, str], float] = {}
    for (_, spec), comp in zip(pairs, comps, strict=True):
        if comp is not None and math.isfinite(comp.p_value):
            family[(spec.name, comp.method)] = comp.p_value
    adjusted = dict(zip(family, holm(list(family.values())), strict=True))
    adjustment = f"holm over {len(family)} tests" if len(family) > 1 else None

    outcomes: list[MetricOutcome] = []
    for (rule, spec), comp, (champ_v, chall_v), blocked in zip(pairs, comps, values, undefined, strict=True):
        rule_text = rule.describe()
        p_raw = finite_or_none(comp.p_value) if comp is not None else None
        p_adj = adjusted.get((spec.name, comp.method)) if comp is not None and adjustment else None
        p_shown = p_adj if p_adj is not None else p_raw
        significant = bool(comp is not None and p_shown is not None and p_shown < 1 - comp.confidence)
        texts: list[str]
        outcome: Outcome
        if blocked or chall_v is None or not math.isfinite(chall_v):
            outcome, texts = (
                "inconclusive",
                [blocked or f"{spec.name} of the challenger is undefined on these rows"],
            )
        elif champ_v is not None and not math.isfinite(champ_v) and clauses(rule).comparative:
            outcome, texts = "inconclusive", [f"{spec.name} of the champion is undefined on these rows"]
        elif too_few and (champion is not None or clauses(rule).absolute):
            # A first model's comparative clauses are skipped before the row count matters:
            # with nothing to decide, too few rows must not make the rule inconclusive.
            outcome, texts = (
                "inconclusive",
                [f"only {n} evaluation rows (min_rows {floor}): too few to decide"],
            )
        else:
            # without a comparison (not reached with a champion) an interval clause is inconclusive
            interval = judging.Interval(comp.ci_low, comp.ci_high, comp.confidence) if comp else None
            outcome, texts = judging.judge(
                clauses(rule),
                higher_is_better=spec.higher_is_better,
                baseline=champ_v,
                candidate=chall_v,
                interval=interval,
                blocker=comp.blocker if comp else None,
            )
        numbers = f"challenger {judging.fmt(chall_v)}"
        if champ_v is not None:
            numbers += f" vs champion {judging.fmt(champ_v)}"
        if comp is not None:
            p_text = f"p={judging.fmt(p_shown)}"
            if adjustment:
                p_text += f" ({adjustment}; raw {judging.fmt(p_raw)})"
            numbers += (
                f", Δ {judging.signed(comp.delta)} ({comp.confidence:.0%} CI "
                f"{judging.signed(comp.ci_low)} to "
                f"{judging.signed(comp.ci_high)}, {p_text}, {comp.method})"
            )
            if comp.note:
                texts.append(comp.note)
        elif champion is None:
            numbers += " (first model: no champion)"
        reason = f"{prefix}{spec.name} {outcome.upper()}: {numbers}; rule {rule_text}: {'; '.join(texts)}"
        point = chall_v - champ_v if chall_v is not None and champ_v is not None else None
        delta = comp.delta if comp is not None and math.isfinite(comp.delta) else point
        outcomes.append(
            MetricOutcome(
                metric=spec.name,
                slice=slice_name,
                higher_is_better=spec.higher_is_better,
                champion=finite_or_none(champ_v),
                challenger=finite_or_none(chall_v),
                delta=finite_or_none(delta),
                ci_low=finite_or_none(comp.ci_low) if comp else None,
                ci_high=finite_or_none(comp.ci_high) if comp else None,
                confidence=comp.confidence if comp else None,
                p_value=p_shown,
                test=comp.method if comp else None,
                method=comp.method if comp else None,
                p_raw=p_raw,
                p_adjusted=p_adj,
                adjustment=adjustment if p_adj is not None else None,
                rule=rule_text,
                outcome=outcome,
                significant=significant,
                reason=reason,
            )
        )
    return outcomes


def point_estimates(
    y_true: NDArray[Any],
    champion: Predictions | None,
    challenger: Predictions,
    spec: MetricSpec,
    task: Task,
    threshold: float | None = 0.5,
) -> tuple[float | None, float]:
    """(champion, challenger) values of one metric, encoded exactly as :func:`evaluate` does.

    For reporting a metric no rule mentions (e.g. the primary metric's delta).
    """
    enc = encode(y_true, champion, challenger, task, threshold)
    y, champ_in, chall_in = metric_inputs(spec, enc)
    champ = spec.value(y, champ_in) if champ_in is not None else None
    return champ, spec.value(y, chall_in)


def verdict(outcomes: Sequence[MetricOutcome]) -> tuple[Verdict, list[str]]:
    """``failed`` if any rule failed, else ``inconclusive`` if any could not be decided, else ``passed``.

    Reasons are every outcome's line, failures first, so the top of a report
    says why.
    """
    if not outcomes:
        return "passed", []
    kinds = {o.outcome for o in outcomes}
    status: Verdict = "failed" if "fail" in kinds else "inconclusive" if "inconclusive" in kinds else "passed"
    ordered = sorted(outcomes, key=lambda o: _SEVERITY[o.outcome])
    return status, [o.reason for o in ordered if o.reason]
