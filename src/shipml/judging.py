"""Judging one quantity of a candidate against a baseline: pass, fail or inconclusive, with a sentence.

Capability-neutral on purpose: the gate judges a challenger model against the
champion with it, and the canary analysis will judge the canary's live metrics
against the stable track's. Nothing here knows where the numbers come from; it
takes a baseline value, a candidate value, the direction that is better, an
optional confidence interval of ``candidate - baseline`` and the clauses to
hold, and says what follows. No numpy: the numbers are already computed.

Semantics (the gate's config reference documents them for users):

* ``minimum``/``maximum`` compare the candidate's point value with the bound.
* ``max_regression`` (non-inferiority) and ``min_improvement`` (superiority)
  are read in the better direction. With an interval they are decided on it:
  *pass* only when the whole interval lies **strictly** beyond the threshold
  (``-margin`` for non-inferiority, ``+margin`` for superiority) on the good
  side, *fail* when it lies entirely at or behind the threshold, otherwise
  *inconclusive*. A bound exactly on the threshold is therefore never a pass.
  Without an interval they compare point values the way MLflow's
  ``validate_evaluation_results`` does (``>=``), so such rules give MLflow's
  verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["pass", "fail", "inconclusive"]


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval of ``candidate - baseline`` (raw units, not direction-adjusted)."""

    low: float
    high: float
    confidence: float


@dataclass(frozen=True)
class Clauses:
    """What must hold; every clause given must."""

    minimum: float | None = None
    maximum: float | None = None
    max_regression: float | None = None
    min_improvement: float | None = None
    relative: bool = False
    """Margins are fractions of the baseline's value."""
    on_interval: bool = False
    """Decide comparative clauses on the interval (else on point values)."""

    @property
    def comparative(self) -> bool:
        return self.max_regression is not None or self.min_improvement is not None

    @property
    def absolute(self) -> bool:
        return self.minimum is not None or self.maximum is not None


def fmt(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:.4g}"


def signed(x: float) -> str:
    return f"{x:+.4g}" if math.isfinite(x) else "n/a"


def amount(improvement: float) -> str:
    """A signed improvement as words: '0.0031 worse' / '0.002 better'."""
    if improvement == 0:
        return "no different"
    return f"{fmt(abs(improvement))} {'better' if improvement > 0 else 'worse'}"


def point_ok(
    higher_is_better: bool, candidate: float, baseline: float, change: float, relative: bool
) -> bool:
    """MLflow's comparison, verbatim, for a required change (negative = tolerated regression).

    Same operators and the same zero-baseline fallback as
    ``mlflow.models.evaluation.validation._validate`` so point-value rules
    reproduce its verdicts bit for bit.
    """
    hib = higher_is_better
    if relative:
        if baseline == 0:
            eps = 1e-10 if change >= 0 else 0.0
            return candidate >= baseline + eps if hib else candidate <= baseline - eps
        rel = (candidate - baseline) / abs(baseline) if hib else (baseline - candidate) / abs(baseline)
        return rel >= change
    return candidate >= baseline + change if hib else candidate <= baseline - change


def combine(results: Sequence[tuple[Outcome, str]]) -> tuple[Outcome, list[str]]:
    """Fail if any clause failed, else inconclusive if any was, else pass; the sentences in order."""
    outcomes = {o for o, _ in results}
    final: Outcome = (
        "fail" if "fail" in outcomes else "inconclusive" if "inconclusive" in outcomes else "pass"
    )
    return final, [t for _, t in results]


def _on_interval(
    kind: str, threshold: float, shown: str, ilo: float, ihi: float, level: str
) -> tuple[Outcome, str]:
    """``ilo``/``ihi``: the interval of the improvement (better direction positive)."""
    if kind == "max_regression":
        need = f"allowed {shown} worse"
        if ilo > threshold:
            return "pass", f"at worst {amount(ilo)} ({level}), {need}"
        if ihi <= threshold:
            return "fail", f"at best {amount(ihi)} ({level}), {need}"
    else:
        need = f"required more than {shown} better"
        if ilo > threshold:
            return "pass", f"at least {amount(ilo)} ({level}), {need}"
        if ihi <= threshold:
            return "fail", f"at most {amount(ihi)} ({level}), {need}"
    return (
        "inconclusive",
        f"between {amount(ilo)} and {amount(ihi)} ({level}) does not lie strictly beyond the "
        f"{'allowed' if kind == 'max_regression' else 'required'} {shown} "
        f"{'worse' if kind == 'max_regression' else 'better'}: more rows would decide",
    )


def judge(
    clauses: Clauses,
    *,
    higher_is_better: bool,
    baseline: float | None,
    candidate: float,
    interval: Interval | None = None,
    blocker: str | None = None,
) -> tuple[Outcome, list[str]]:
    """The outcome and one sentence per clause.

    ``baseline`` None means there is nothing to compare with (a first model),
    so comparative clauses pass vacuously and say so. ``blocker`` is why the
    data cannot decide an interval clause (too few discordant rows, an
    undefined statistic): such clauses are inconclusive with that sentence.
    """
    results: list[tuple[Outcome, str]] = []
    if clauses.minimum is not None:
        ok = candidate >= clauses.minimum
        results.append(
            ("pass" if ok else "fail", f"{fmt(candidate)} {'≥' if ok else '<'} min {clauses.minimum:g}")
        )
    if clauses.maximum is not None:
        ok = candidate <= clauses.maximum
        results.append(
            ("pass" if ok else "fail", f"{fmt(candidate)} {'≤' if ok else '>'} max {clauses.maximum:g}")
        )
    wanted: list[tuple[str, float]] = []
    if clauses.max_regression is not None:
        wanted.append(("max_regression", clauses.max_regression))
    if clauses.min_improvement is not None:
        wanted.append(("min_improvement", clauses.min_improvement))
    if not wanted:
        return combine(results)
    if baseline is None:
        results.append(("pass", "first model: nothing to compare with, comparative clauses skipped"))
        return combine(results)
    sign = 1.0 if higher_is_better else -1.0
    for kind, value in wanted:
        margin = value * abs(baseline) if clauses.relative else value
        shown = f"{value:.2%} of the baseline = {fmt(margin)}" if clauses.relative else fmt(margin)
        if not clauses.on_interval:
            change = -value if kind == "max_regression" else value
            ok = point_ok(higher_is_better, candidate, baseline, change, clauses.relative)
            imp = sign * (candidate - baseline)
            need = f"worse by at most {shown}" if kind == "max_regression" else f"better by at least {shown}"
            results.append(("pass" if ok else "fail", f"point estimate {amount(imp)}, must be {need}"))
            continue
        if blocker:
            results.append(("inconclusive", blocker))
            continue
        if interval is None or not (math.isfinite(interval.low) and math.isfinite(interval.high)):
            results.append(("inconclusive", "no confidence interval could be computed"))
            continue
        ilo, ihi = sorted((sign * interval.low, sign * interval.high))
        threshold = -margin if kind == "max_regression" else margin
        results.append(_on_interval(kind, threshold, shown, ilo, ihi, f"{interval.confidence:.0%} CI"))
    return combine(results)


def judge_limits(
    candidate: float,
    baseline: float | None,
    *,
    max_ratio: float | None = None,
    max_value: float | None = None,
    unit: str = "",
) -> tuple[Outcome, list[str]]:
    """A cost (lower is better) against a ratio to the baseline and an absolute ceiling, on point values."""
    results: list[tuple[Outcome, str]] = []
    ratio = candidate / baseline if baseline else None
    if max_ratio is not None:
        if ratio is None:
            note = "nothing to compare with" if baseline is None else "baseline measured 0"
            results.append(("pass", f"{note}, ratio not judged"))
        else:
            ok = ratio <= max_ratio
            results.append(
                ("pass" if ok else "fail", f"ratio {ratio:.3g} {'≤' if ok else '>'} {max_ratio:g}")
            )
    if max_value is not None:
        ok = candidate <= max_value
        results.append(
            ("pass" if ok else "fail", f"{fmt(candidate)}{unit} {'≤' if ok else '>'} {max_value:g}{unit}")
        )
    return combine(results) if results else ("pass", ["reported, no limit set"])
