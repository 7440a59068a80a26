"""From two models' predictions and the gate's rules to per-rule outcomes and a verdict.

How a rule is decided (documented for users in the ``gate:`` config reference):

* ``min``/``max`` compare the challenger's point estimate with the bound.
* ``max_regression`` (non-inferiority) and ``min_improvement`` (superiority) are
  read in the metric's better direction. With ``confidence`` set they are decided
  on the two-sided CI of the paired difference: *pass* when the whole CI is on
  the allowed side of the margin, *fail* when the whole CI is on the wrong side,
  *inconclusive* when it straddles the margin (more rows would decide). Without
  ``confidence`` they compare point estimates exactly as MLflow's
  ``validate_evaluation_results`` does, so such rules give MLflow's verdict.
* The CI and p-value come from DeLong for binary ROC AUC, McNemar (p-value) with
  a paired-bootstrap CI for accuracy, and the paired bootstrap otherwise.
* The gate passes only when every rule passes (an intersection–union test), so
  its false-pass rate is bounded by each rule's α without any adjustment. Holm's
  correction is applied to the *significance* flags (the "this metric really
  changed" claims shown in the report), which are a union of claims.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..config.gate import GateSection, MetricRule
from ..contracts.gate import MetricOutcome, Outcome, Verdict
from ..errors import ConfigError, InputDataError
from .metrics import MetricSpec, Predictions, Task, default_primary_metric, get_metric
from .stats import delong, holm, mcnemar, paired_replicates, summarise, undefined_share

_SEVERITY: dict[str, int] = {"fail": 0, "inconclusive": 1, "pass": 2}


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Encoded:
    """Evaluation rows in the form the metrics consume."""

    y: NDArray[Any]  # class indices (classification) or float targets
    classes: NDArray[Any] | None
    challenger_labels: NDArray[Any] | None
    challenger_scores: NDArray[Any]
    champion_labels: NDArray[Any] | None
    champion_scores: NDArray[Any] | None


def _finite_or_none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _check_finite(values: NDArray[Any], what: str) -> None:
    arr = np.asarray(values)
    if arr.dtype.kind in "fc":
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        if bad:
            raise InputDataError(
                f"{what} contain {bad} NaN/infinite value(s)",
                hint="make the model's pipeline handle missing values in the evaluation set",
            )


def _encode_labels(values: NDArray[Any], classes: NDArray[Any], what: str) -> NDArray[np.intp]:
    """Class labels -> column indices of ``classes``; unknown labels are an input error."""
    arr = np.asarray(values)
    known = np.asarray(classes)
    try:  # vectorised: sort the classes once, binary-search every label
        order = np.argsort(known, kind="stable")
        pos = np.clip(np.searchsorted(known[order], arr), 0, len(known) - 1)
        found = known[order][pos] == arr
        if np.all(found):
            return np.asarray(order[pos], dtype=np.intp)
    except TypeError:  # labels and classes of incomparable types (e.g. 1 vs "yes"): report below
        pass
    lookup = {c.item() if hasattr(c, "item") else c: i for i, c in enumerate(known)}
    flat = [v.item() if hasattr(v, "item") else v for v in arr]
    unknown = sorted({repr(v) for v in flat if v not in lookup})
    if unknown:
        shown = ", ".join(unknown[:5])
        names = ", ".join(repr(c) for c in lookup)
        raise InputDataError(
            f"{what} contain label(s) {shown} that are not among the model's classes ({names})",
            hint="check the target column and that both models were trained on the same labels",
        )
    return np.fromiter((lookup[v] for v in flat), dtype=np.intp, count=len(flat))


def _scores_matrix(p: Predictions, n: int, k: int, role: str) -> NDArray[np.float64]:
    scores = np.asarray(p.scores, dtype=np.float64)
    if scores.ndim == 1 and k == 2:
        scores = np.column_stack([1.0 - scores, scores])
    if scores.ndim != 2 or scores.shape != (n, k):
        raise InputDataError(
            f"{role} scores have shape {tuple(np.asarray(p.scores).shape)}, expected ({n}, {k}) "
            f"class probabilities for {n} rows",
            hint="the model must provide predict_proba with one column per class",
        )
    return scores


def _align(p: Predictions, classes: NDArray[Any], n: int, role: str) -> tuple[NDArray[Any], NDArray[Any]]:
    """Encoded labels and probability columns in ``classes`` order."""
    if p.classes is None:
        raise InputDataError(
            f"{role} predictions carry no class list", hint="score a classifier with classes_"
        )
    own = np.asarray(p.classes)
    if len(own) != len(classes) or set(own.tolist()) != set(classes.tolist()):
        raise InputDataError(
            f"{role} classes {own.tolist()} differ from the challenger's {classes.tolist()}",
            hint="both models must be trained on the same labels",
        )
    scores = _scores_matrix(p, n, len(own), role)
    _check_finite(scores, f"{role} scores")
    perm = _encode_labels(classes, own, f"{role} classes")  # column of each of `classes` in `own`
    scores = scores[:, perm]
    if p.labels is None:
        labels = scores.argmax(axis=1).astype(np.intp)
    else:
        if len(p.labels) != n:
            raise InputDataError(
                f"{role} returned {len(p.labels)} predictions for {n} evaluation rows",
                hint="the model must return one prediction per row",
            )
        labels = _encode_labels(np.asarray(p.labels), classes, f"{role} predicted labels")
    return labels, scores


def _encode(
    y_true: NDArray[Any], champion: Predictions | None, challenger: Predictions, task: Task
) -> _Encoded:
    y = np.asarray(y_true)
    n = len(y)
    for role, p in (("challenger", challenger), ("champion", champion)):
        if p is not None and p.n_rows != n:
            raise InputDataError(
                f"{role} returned {p.n_rows} predictions for {n} evaluation rows",
                hint="the model must return one prediction per row",
            )
    if task == "regression":
        _check_finite(y.astype(np.float64), "evaluation targets")
        out: list[NDArray[Any]] = []
        for role, p in (("challenger", challenger), ("champion", champion)):
            if p is None:
                continue
            s = np.asarray(p.scores, dtype=np.float64)
            if s.ndim == 2 and s.shape[1] == 1:
                s = s[:, 0]
            if s.shape != (n,):
                raise InputDataError(
                    f"{role} predictions have shape {tuple(np.asarray(p.scores).shape)}, expected ({n},)",
                    hint="a regression model must return one number per row",
                )
            _check_finite(s, f"{role} predictions")
            out.append(s)
        return _Encoded(y.astype(np.float64), None, None, out[0], None, out[1] if champion else None)
    if challenger.classes is None:
        raise InputDataError(
            "challenger predictions carry no class list", hint="score a classifier with classes_"
        )
    classes = np.asarray(challenger.classes)
    if y.dtype.kind == "f":
        _check_finite(y, "evaluation targets")
    y_idx = _encode_labels(y, classes, "evaluation targets")
    ch_labels, ch_scores = _align(challenger, classes, n, "challenger")
    cp_labels, cp_scores = _align(champion, classes, n, "champion") if champion is not None else (None, None)
    return _Encoded(y_idx, classes, ch_labels, ch_scores, cp_labels, cp_scores)


def _metric_inputs(spec: MetricSpec, enc: _Encoded) -> tuple[NDArray[Any], NDArray[Any] | None, NDArray[Any]]:
    """(y, champion input, challenger input) for a metric; user metrics get the original labels."""
    if enc.classes is None:
        return enc.y, enc.champion_scores, enc.challenger_scores
    if spec.needs == "label":
        champ, chall = enc.champion_labels, enc.challenger_labels
    else:
        champ, chall = enc.champion_scores, enc.challenger_scores
    assert chall is not None
    if spec.vectorised:
        return enc.y, champ, chall
    decode = enc.classes
    if spec.needs == "label":
        return decode[enc.y], (decode[champ] if champ is not None else None), decode[chall]
    return decode[enc.y], champ, chall


# --------------------------------------------------------------------------- rules


def default_rule(gate: GateSection, spec: MetricSpec) -> MetricRule:
    """Non-inferiority on the primary metric at the gate's confidence (see the module doc)."""
    return MetricRule(
        metric=spec.name,
        max_regression=gate.default_max_regression,
        relative=not spec.unit_scale,
        confidence=gate.confidence,
    )


def describe_rule(rule: MetricRule) -> str:
    """The rule as one short, human string (the ``rule`` field of the result)."""
    parts: list[str] = []
    if rule.min is not None:
        parts.append(f"min {rule.min:g}")
    if rule.max is not None:
        parts.append(f"max {rule.max:g}")
    unit = "%" if rule.relative else ""
    scale = 100.0 if rule.relative else 1.0
    if rule.max_regression is not None:
        parts.append(f"max_regression {rule.max_regression * scale:g}{unit}")
    if rule.min_improvement is not None:
        parts.append(f"min_improvement {rule.min_improvement * scale:g}{unit}")
    if _comparative(rule):
        parts.append(f"at {rule.confidence:.0%} confidence" if rule.confidence else "on point estimates")
    return ", ".join(parts)


def _comparative(rule: MetricRule) -> bool:
    return rule.max_regression is not None or rule.min_improvement is not None


def _pick_test(rule: MetricRule, spec: MetricSpec, n_classes: int | None) -> str:
    binary_auc = spec.name == "roc_auc" and (n_classes or 0) == 2
    if rule.test == "delong" and not binary_auc:
        raise ConfigError(
            f"gate rule for {spec.name!r}: the DeLong test applies to binary roc_auc only",
            hint="use test: bootstrap or auto",
        )
    if rule.test == "mcnemar" and spec.name != "accuracy":
        raise ConfigError(
            f"gate rule for {spec.name!r}: McNemar's test applies to accuracy only",
            hint="use test: bootstrap or auto",
        )
    if rule.test != "auto":
        return rule.test
    if binary_auc:
        return "delong"
    if spec.name == "accuracy":
        return "mcnemar"
    return "bootstrap"


@dataclass
class _Comparison:
    """The paired statistics of one metric between the two models."""

    delta: float
    ci_low: float
    ci_high: float
    confidence: float
    p_value: float
    test: str
    blocker: str | None = None  # why the data cannot decide a statistical clause
    note: str | None = None


def _fmt(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:.4g}"


def _sfmt(x: float) -> str:
    return f"{x:+.4g}" if math.isfinite(x) else "n/a"


def _amount(improvement: float) -> str:
    """A signed improvement as words: '0.0031 worse' / '0.002 better'."""
    if improvement == 0:
        return "no different"
    return f"{_fmt(abs(improvement))} {'better' if improvement > 0 else 'worse'}"


def _point_ok(hib: bool, chall: float, champ: float, change: float, relative: bool) -> bool:
    """MLflow's comparison, verbatim, for a required change (negative = tolerated regression).

    Same operators and the same zero-baseline fallback as
    ``mlflow.models.evaluation.validation._validate`` so point-estimate rules
    reproduce its verdicts bit for bit.
    """
    if relative:
        if champ == 0:
            eps = 1e-10 if change >= 0 else 0.0
            return chall >= champ + eps if hib else chall <= champ - eps
        rel = (chall - champ) / abs(champ) if hib else (champ - chall) / abs(champ)
        return rel >= change
    return chall >= champ + change if hib else chall <= champ - change


def _judge_clauses(
    rule: MetricRule,
    spec: MetricSpec,
    champ: float | None,
    chall: float,
    comp: _Comparison | None,
) -> tuple[Outcome, list[str]]:
    hib = spec.higher_is_better
    results: list[tuple[Outcome, str]] = []
    if rule.min is not None:
        ok = chall >= rule.min
        results.append(("pass" if ok else "fail", f"{_fmt(chall)} {'≥' if ok else '<'} min {rule.min:g}"))
    if rule.max is not None:
        ok = chall <= rule.max
        results.append(("pass" if ok else "fail", f"{_fmt(chall)} {'≤' if ok else '>'} max {rule.max:g}"))
    clauses: list[tuple[str, float]] = []
    if rule.max_regression is not None:
        clauses.append(("max_regression", rule.max_regression))
    if rule.min_improvement is not None:
        clauses.append(("min_improvement", rule.min_improvement))
    if champ is None:
        if clauses:
            results.append(("pass", "first model: no champion to compare with, comparative clauses skipped"))
        return _combine(results)
    if comp is None and clauses:  # not reached by evaluate(); kept so a missing comparison never passes
        results.append(("inconclusive", "no paired statistics were computed"))
        return _combine(results)
    for kind, value in clauses:
        margin = value * abs(champ) if rule.relative else value
        shown = f"{value:.2%} of the champion = {_fmt(margin)}" if rule.relative else _fmt(margin)
        if rule.confidence is None:
            change = -value if kind == "max_regression" else value
            ok = _point_ok(hib, chall, champ, change, rule.relative)
            imp = (chall - champ) if hib else (champ - chall)
            need = f"worse by at most {shown}" if kind == "max_regression" else f"better by at least {shown}"
            results.append(("pass" if ok else "fail", f"point estimate {_amount(imp)}, must be {need}"))
            continue
        assert comp is not None
        if comp.blocker:
            results.append(("inconclusive", comp.blocker))
            continue
        outcome: Outcome
        sign = 1.0 if hib else -1.0
        ilo, ihi = sorted((sign * comp.ci_low, sign * comp.ci_high))
        level = f"{comp.confidence:.0%} CI"
        if kind == "max_regression":
            if ilo >= -margin:
                outcome, text = "pass", f"at worst {_amount(ilo)} ({level}), allowed {shown} worse"
            elif ihi < -margin:
                outcome, text = "fail", f"at best {_amount(ihi)} ({level}), allowed {shown} worse"
            else:
                outcome, text = (
                    "inconclusive",
                    f"between {_amount(ilo)} and {_amount(ihi)} ({level}) straddles the allowed "
                    f"{shown} worse: more evaluation rows would decide",
                )
        else:
            if ilo > margin:
                outcome, text = "pass", f"at least {_amount(ilo)} ({level}), required {shown} better"
            elif ihi <= margin:
                outcome, text = "fail", f"at most {_amount(ihi)} ({level}), required more than {shown} better"
            else:
                outcome, text = (
                    "inconclusive",
                    f"between {_amount(ilo)} and {_amount(ihi)} ({level}) straddles the required "
                    f"{shown} better: more evaluation rows would decide",
                )
        results.append((outcome, text))
    return _combine(results)


def _combine(results: list[tuple[Outcome, str]]) -> tuple[Outcome, list[str]]:
    outcomes = {o for o, _ in results}
    final: Outcome = (
        "fail" if "fail" in outcomes else "inconclusive" if "inconclusive" in outcomes else "pass"
    )
    return final, [t for _, t in results]


# --------------------------------------------------------------------------- evaluate


def _single_class(y: NDArray[Any], spec: MetricSpec) -> str | None:
    if not spec.ranking:
        return None
    present = np.unique(y)
    if len(present) < 2:
        return f"the evaluation set has a single class, so {spec.name} is undefined"
    return None


def _compare(
    spec: MetricSpec,
    test: str,
    rule: MetricRule,
    gate: GateSection,
    enc: _Encoded,
    replicates: tuple[float, NDArray[np.float64]] | None,
) -> _Comparison:
    confidence = rule.confidence or gate.confidence
    blocker: str | None = None
    if spec.needs == "label" and enc.champion_labels is not None and enc.challenger_labels is not None:
        if spec.name == "accuracy":
            truth = enc.y
            disagree = int(
                np.count_nonzero((enc.champion_labels == truth) != (enc.challenger_labels == truth))
            )
            what = "rows where exactly one model is right"
        else:
            disagree = int(np.count_nonzero(enc.champion_labels != enc.challenger_labels))
            what = "rows where the models' predictions differ"
        if 0 < disagree < gate.min_discordant:
            blocker = f"only {disagree} {what} (min_discordant {gate.min_discordant}): too few to decide"
    if test == "delong":
        n_pos = int(np.count_nonzero(enc.y == 1))
        if min(n_pos, len(enc.y) - n_pos) < 2:
            nan = float("nan")
            why = f"only {min(n_pos, len(enc.y) - n_pos)} row(s) of one class: DeLong's variance is undefined"
            return _Comparison(nan, nan, nan, confidence, nan, "delong", blocker or why)
        champ_scores, chall_scores = np.asarray(enc.champion_scores), enc.challenger_scores
        res = delong(enc.y == 1, champ_scores[:, 1], chall_scores[:, 1], confidence)
        return _Comparison(res.delta, res.ci[0], res.ci[1], confidence, res.p_value, "delong", blocker)
    assert replicates is not None
    boot = summarise(*replicates, confidence)
    undefined = undefined_share(replicates[1])
    note = None
    if undefined > 0.1 and blocker is None:
        blocker = (
            f"{spec.name} is undefined on {undefined:.0%} of bootstrap resamples "
            "(too few rows of some class): too little evidence to decide"
        )
    elif undefined > 0:
        note = f"{spec.name} undefined on {undefined:.1%} of resamples, which were dropped"
    if test == "mcnemar":
        champ_ok = np.asarray(enc.champion_labels) == enc.y
        chall_ok = np.asarray(enc.challenger_labels) == enc.y
        mc = mcnemar(champ_ok, chall_ok, exact_below=gate.mcnemar_exact_below, large=gate.mcnemar_large)
        return _Comparison(
            boot.delta, boot.ci_low, boot.ci_high, confidence, mc.p_value, mc.test, blocker, note
        )
    return _Comparison(
        boot.delta, boot.ci_low, boot.ci_high, confidence, boot.p_value, "bootstrap", blocker, note
    )


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
    enc = _encode(y_true, champion, challenger, task)
    n = len(enc.y)
    n_classes = len(enc.classes) if enc.classes is not None else None
    if rules:
        specs = [
            get_metric(
                r.metric, task, n_classes, higher_is_better=r.higher_is_better, search_path=search_path
            )
            for r in rules
        ]
        pairs = list(zip(rules, specs, strict=True))
    else:
        primary = gate_cfg.primary_metric or default_primary_metric(task, n_classes)
        spec = get_metric(primary, task, n_classes, search_path=search_path)
        pairs = [(default_rule(gate_cfg, spec), spec)]
    tests = [_pick_test(r, s, n_classes) for r, s in pairs]
    floor = min_rows if min_rows is not None else gate_cfg.min_rows
    too_few = n < floor
    prefix = f"[{slice_name}] " if slice_name else ""

    inputs = [_metric_inputs(spec, enc) for _, spec in pairs]
    values: list[tuple[float | None, float | None]] = []
    undefined: list[str | None] = []
    for (_, spec), (y, champ_in, chall_in) in zip(pairs, inputs, strict=True):
        blocked = _single_class(enc.y, spec) if n else "no evaluation rows"
        undefined.append(blocked)
        if blocked:
            values.append((None, None))
            continue
        values.append((spec.value(y, champ_in) if champ_in is not None else None, spec.value(y, chall_in)))

    # paired statistics; all bootstrapped metrics share one set of resamples
    comps: list[_Comparison | None] = [None] * len(pairs)
    if champion is not None and not too_few:
        # every metric gets its CI and p-value for the report, not only those with comparative clauses
        todo = [i for i, blocked in enumerate(undefined) if not blocked]
        wanted: dict[str, tuple[MetricSpec, NDArray[Any], NDArray[Any], NDArray[Any]]] = {}
        for i in todo:
            spec = pairs[i][1]
            y, champ_in, chall_in = inputs[i]
            if tests[i] != "delong" and champ_in is not None:
                wanted[spec.name] = (spec, y, champ_in, chall_in)
        reps = paired_replicates(wanted, n_resamples=gate_cfg.bootstrap_resamples, seed=gate_cfg.seed)
        for i in todo:
            rule, spec = pairs[i]
            comps[i] = _compare(spec, tests[i], rule, gate_cfg, enc, reps.get(spec.name))

    # Holm across the tested metrics (one p-value per metric and test)
    family: dict[tuple[str, str], float] = {}
    for (_, spec), comp in zip(pairs, comps, strict=True):
        if comp is not None and math.isfinite(comp.p_value):
            family[(spec.name, comp.test)] = comp.p_value
    adjusted = dict(zip(family, holm(list(family.values())), strict=True))

    outcomes: list[MetricOutcome] = []
    for (rule, spec), comp, (champ_v, chall_v), blocked in zip(pairs, comps, values, undefined, strict=True):
        rule_text = describe_rule(rule)
        head = f"{prefix}{spec.name}"
        p_adj = adjusted.get((spec.name, comp.test)) if comp is not None else None
        significant = bool(p_adj is not None and p_adj < 1 - comp.confidence) if comp else False
        if blocked or chall_v is None or not math.isfinite(chall_v):
            why = blocked or f"{spec.name} of the challenger is undefined on these rows"
            outcome: Outcome = "inconclusive"
            texts = [why]
        elif champ_v is not None and not math.isfinite(champ_v) and _comparative(rule):
            outcome, texts = "inconclusive", [f"{spec.name} of the champion is undefined on these rows"]
        elif too_few:
            outcome, texts = (
                "inconclusive",
                [f"only {n} evaluation rows (min_rows {floor}): too few to decide"],
            )
        else:
            outcome, texts = _judge_clauses(rule, spec, champ_v, chall_v, comp)
        numbers = f"challenger {_fmt(chall_v)}"
        if champ_v is not None:
            numbers += f" vs champion {_fmt(champ_v)}"
        if comp is not None:
            p_text = f"p={_fmt(p_adj)}"
            if len(family) > 1:
                p_text += f" Holm-adjusted over {len(family)} tests"
            numbers += (
                f", Δ {_sfmt(comp.delta)} ({comp.confidence:.0%} CI {_sfmt(comp.ci_low)} to "
                f"{_sfmt(comp.ci_high)}, {p_text}, {comp.test})"
            )
            if comp.note:
                texts.append(comp.note)
        elif champion is None:
            numbers += " (first model: no champion)"
        reason = f"{head} {outcome.upper()}: {numbers}; rule {rule_text}: {'; '.join(texts)}"
        point = chall_v - champ_v if chall_v is not None and champ_v is not None else None
        delta = comp.delta if comp is not None and math.isfinite(comp.delta) else point
        outcomes.append(
            MetricOutcome(
                metric=spec.name,
                slice=slice_name,
                higher_is_better=spec.higher_is_better,
                champion=_finite_or_none(champ_v),
                challenger=_finite_or_none(chall_v),
                delta=_finite_or_none(delta),
                ci_low=_finite_or_none(comp.ci_low) if comp else None,
                ci_high=_finite_or_none(comp.ci_high) if comp else None,
                confidence=comp.confidence if comp else None,
                p_value=_finite_or_none(p_adj),
                test=comp.test if comp else None,
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
) -> tuple[float | None, float]:
    """(champion, challenger) values of one metric, encoded exactly as :func:`evaluate` does.

    For reporting a metric no rule mentions (e.g. the primary metric's delta).
    """
    enc = _encode(y_true, champion, challenger, task)
    y, champ_in, chall_in = _metric_inputs(spec, enc)
    champ = spec.value(y, champ_in) if champ_in is not None else None
    return champ, spec.value(y, chall_in)


def judge_budget(
    name: str,
    champion: float | None,
    challenger: float,
    *,
    max_ratio: float | None = None,
    max_value: float | None = None,
    unit: str = "",
    slice_name: str | None = None,
) -> MetricOutcome:
    """A serving-cost budget (lower is better) as an outcome of the same shape as a metric rule."""
    results: list[tuple[Outcome, str]] = []
    ratio = challenger / champion if champion else None
    if max_ratio is not None:
        if ratio is None:
            note = "first model: no champion" if champion is None else "champion measured 0"
            results.append(("pass", f"{note}, ratio not judged"))
        else:
            ok = ratio <= max_ratio
            results.append(
                ("pass" if ok else "fail", f"ratio {ratio:.3g} {'≤' if ok else '>'} {max_ratio:g}")
            )
    if max_value is not None:
        ok = challenger <= max_value
        results.append(
            ("pass" if ok else "fail", f"{_fmt(challenger)}{unit} {'≤' if ok else '>'} {max_value:g}{unit}")
        )
    outcome, texts = _combine(results) if results else ("pass", ["reported, no budget set"])
    parts = [f"ratio <= {max_ratio:g}"] if max_ratio is not None else []
    parts += [f"max {max_value:g}{unit}"] if max_value is not None else []
    rule = ", ".join(parts) or "report only"
    numbers = f"challenger {_fmt(challenger)}{unit}"
    if champion is not None:
        numbers += f" vs champion {_fmt(champion)}{unit}"
    prefix = f"[{slice_name}] " if slice_name else ""
    return MetricOutcome(
        metric=name,
        slice=slice_name,
        higher_is_better=False,
        champion=_finite_or_none(champion),
        challenger=_finite_or_none(challenger),
        delta=_finite_or_none(challenger - champion) if champion is not None else None,
        test="measured",
        rule=rule,
        outcome=outcome,
        reason=f"{prefix}{name} {outcome.upper()}: {numbers}; rule {rule}: {'; '.join(texts)}",
    )


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
