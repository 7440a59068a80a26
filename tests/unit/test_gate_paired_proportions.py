"""Accuracy's paired-proportions method: its p against statsmodels, its score statistic against an
independent numerical reference, and the decision (CI vs margin) against the documented test."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import optimize
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from shipml.config.gate import GateSection, MetricRule
from shipml.gate.decision import evaluate
from shipml.gate.metrics import Predictions
from shipml.gate.paired_proportions import EXACT, TANGO, compare, tango_z

TABLES = [(b, c) for b, c in itertools.product([0, 1, 3, 7, 12, 25, 40, 90], [0, 2, 5, 11, 24, 60])]


@pytest.mark.parametrize(("b", "c"), TABLES)
def test_p_shown_is_mcnemar_from_statsmodels(b: int, c: int) -> None:
    n = b + c + 80
    table = [[50, b], [c, 30]]  # rows: champion right/wrong; columns: challenger right/wrong
    exact = compare(b, c, n, 0.95, exact_below=10**9)
    assert exact.method == EXACT and exact.delta == (c - b) / n
    assert exact.p_value == pytest.approx(sm_mcnemar(table, exact=True).pvalue, abs=1e-12)
    if b + c == 0:
        return  # statsmodels' chi-square divides by zero here; the exact method reports p = 1
    score = compare(b, c, n, 0.95, exact_below=0)
    ref = sm_mcnemar(table, exact=False, correction=False)  # Tango's score test at Δ0 = 0 is McNemar's χ²
    assert score.method == TANGO and score.p_value == pytest.approx(ref.pvalue, abs=1e-12)


def test_auto_switches_on_the_discordant_count() -> None:
    assert compare(10, 14, 500, 0.95, exact_below=25).method == EXACT
    assert compare(10, 15, 500, 0.95, exact_below=25).method == TANGO


def _reference_z(b: int, c: int, n: int, d0: float) -> float:
    """Tango's statistic with the constrained MLE found numerically (not the closed form under test)."""
    concordant = n - b - c
    lo, hi = max(0.0, -d0) + 1e-15, (1 - d0) / 2 - 1e-15

    def nll(q: float) -> float:  # q = P(only champion right); P(only challenger right) = q + d0
        out = 0.0
        for count, prob in ((b, q), (c, q + d0), (concordant, 1 - 2 * q - d0)):
            out -= count * math.log(prob) if count else 0.0
        return out

    q = optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-14}).x
    return (c - b - n * d0) / math.sqrt(n * (2 * q + d0 - d0 * d0))


@pytest.mark.parametrize(("b", "c", "n"), [(12, 40, 300), (30, 50, 1000), (90, 60, 2000), (3, 30, 100)])
def test_tango_statistic_and_interval_against_a_numerical_reference(b: int, c: int, n: int) -> None:
    for d0 in (-0.08, -0.02, 0.0, 0.01, 0.05):
        assert tango_z(b, c, n, d0) == pytest.approx(_reference_z(b, c, n, d0), rel=1e-6, abs=1e-6)
    res = compare(b, c, n, 0.95, exact_below=0)
    z = sps.norm.ppf(0.975)
    est = (c - b) / n
    low = optimize.brentq(lambda d: _reference_z(b, c, n, d) - z, -0.999, est)
    high = optimize.brentq(lambda d: _reference_z(b, c, n, d) + z, est, 0.999)
    assert (res.ci_low, res.ci_high) == pytest.approx((low, high), abs=1e-6)


def _exact_rejects(b: int, c: int, n: int, margin: float, alpha: float) -> bool | None:
    """One-sided exact binomial test of π <= (1 + n·margin/d)/2 at α/2 (None: the margin is outside)."""
    d = b + c
    pi0 = (1 + n * margin / d) / 2
    if not 0 < pi0 < 1:
        return None
    return bool(sps.binomtest(c, d, pi0, alternative="greater").pvalue < alpha / 2)


def test_decision_agrees_with_the_documented_test_on_random_tables() -> None:
    """'The CI's lower bound lies strictly above the margin' ⇔ 'the documented test rejects Δ <= margin'.

    Over 300 random paired tables (n 30..5000, all three guards off so every table is decided), each
    with a non-inferiority and a superiority margin, read from the gate's own outcome.
    """
    rng = np.random.default_rng(20)
    # Both methods: Tango from 25 discordant rows, the opt-in exact conditional one below.
    gate = GateSection(min_rows=1, min_discordant=0, mcnemar_exact_below=25)
    checked = {TANGO: 0, EXACT: 0}
    for _ in range(300):
        n = int(rng.integers(30, 5001))
        probs = rng.dirichlet([1, 1, 8, 3]) if rng.random() < 0.5 else rng.dirichlet([0.3, 0.3, 8, 3])
        b, c, both, _neither = rng.multinomial(n, probs)
        y = np.ones(n, dtype=int)
        champ_right = np.r_[np.ones(b + both), np.zeros(n - b - both)].astype(bool)
        chall_right = np.r_[np.zeros(b), np.ones(both + c), np.zeros(n - b - both - c)].astype(bool)
        y[: n // 2] = 0  # two classes; correctness is what matters

        def model(right: np.ndarray, y: np.ndarray = y) -> Predictions:
            label = np.where(right, y, 1 - y)
            p = np.where(label == 1, 0.8, 0.2)
            return Predictions(label, np.column_stack([1 - p, p]), np.array([0, 1]))

        for kind, margin in (("max_regression", float(rng.uniform(0, 0.05))), ("min_improvement", 0.0)):
            rule = MetricRule(metric="accuracy", confidence=0.95, **{kind: margin})
            (o,) = evaluate(y, model(champ_right), model(chall_right), [rule], gate, "classification")
            threshold = -margin if kind == "max_regression" else margin
            assert o.ci_low is not None and o.ci_high is not None and o.method is not None
            ci_says = o.ci_low > threshold
            if o.method == TANGO:
                test_says = _reference_z(b, c, n, threshold) > sps.norm.ppf(0.975) if b + c else False
            else:
                exact = _exact_rejects(b, c, n, threshold, 0.05) if b + c else None
                if exact is None:  # margin outside what the discordant rows can express
                    continue
                test_says = exact
            assert ci_says == test_says, (n, b, c, kind, margin, o.ci_low)
            assert (o.outcome == "pass") == ci_says
            checked[o.method] += 1
    assert checked[TANGO] >= 200 and checked[EXACT] >= 50, checked


def test_threshold_ties_go_to_the_positive_class() -> None:
    """A probability of exactly gate.threshold is the positive class, whatever predict() said."""
    y = np.array([1, 0] * 100)
    p = np.where(y == 1, 0.9, 0.1)
    p[:6] = 0.5  # three positives and three negatives sit exactly on the threshold
    predict_says = (p > 0.5).astype(int)  # scikit-learn's predict(): a tie is the negative class
    champ = Predictions(predict_says, np.column_stack([1 - p, p]), np.array([0, 1]))
    chall = Predictions(
        y.copy(),
        np.column_stack([1 - np.where(y == 1, 0.9, 0.1), np.where(y == 1, 0.9, 0.1)]),
        np.array([0, 1]),
    )
    rule = [MetricRule(metric="accuracy", min=0.0)]
    (o,) = evaluate(y, champ, chall, rule, GateSection(), "classification")
    assert o.champion == pytest.approx(1 - 3 / 200)  # the three tied negatives count as positive: wrong
    (o,) = evaluate(y, champ, chall, rule, GateSection(threshold=0.4), "classification")
    assert o.champion == pytest.approx(1 - 3 / 200)
    (o,) = evaluate(y, champ, chall, rule, GateSection(threshold=0.51), "classification")
    assert o.champion == pytest.approx(1 - 3 / 200)  # now the tied positives are wrong instead
    (o,) = evaluate(y, champ, chall, rule, GateSection(threshold=0.95), "classification")
    assert o.champion == pytest.approx(0.5)
