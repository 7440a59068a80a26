"""Simulations: the intervals cover the truth at the nominal rate and the gate's error rates hold.

Monte-Carlo tolerance: with ``S`` simulations a rate ``r`` has standard error
``sqrt(r(1-r)/S)``; bounds below allow three of those on top of the nominal rate.
A broken implementation (a too-narrow CI, an unpaired test, a one-sided decision
at the wrong level) moves these rates by far more.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from shipml.config.gate import GateSection, MetricRule
from shipml.gate.decision import evaluate
from shipml.gate.metrics import BUILTIN, Predictions
from shipml.gate.paired_proportions import compare
from shipml.gate.stats import delong, paired_bootstrap

pytestmark = pytest.mark.slow

SIMS = 500
BOOT = 500  # resamples per bootstrap: enough for 95% percentile intervals, keeps the file under a minute


def _mc(rate: float, sims: int = SIMS) -> float:
    return 3 * math.sqrt(rate * (1 - rate) / sims)


def _binormal_pair(
    rng: np.random.Generator, n: int, mu_a: float, mu_b: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Correlated scores with known AUCs: score = mu*y + shared + own noise (unit variance per class)."""
    y = rng.integers(0, 2, n)
    shared = rng.normal(size=n)
    a = mu_a * y + math.sqrt(0.5) * (shared + rng.normal(size=n))
    b = mu_b * y + math.sqrt(0.5) * (shared + rng.normal(size=n))
    return y, a, b


def _true_auc(mu: float) -> float:
    return float(sps.norm.cdf(mu / math.sqrt(2)))  # difference of two unit-variance normals


def _paired_correctness(
    rng: np.random.Generator, n: int, p_both: float, p_champ_only: float, p_chall_only: float
) -> tuple[np.ndarray, Predictions, Predictions]:
    y = rng.integers(0, 2, n)
    p_neither = 1 - p_both - p_champ_only - p_chall_only
    cat = rng.choice(4, size=n, p=[p_both, p_champ_only, p_chall_only, p_neither])
    champ_right = (cat == 0) | (cat == 1)
    chall_right = (cat == 0) | (cat == 2)

    def preds(right: np.ndarray) -> Predictions:
        labels = np.where(right, y, 1 - y)
        p = np.clip(np.where(labels == 1, 0.8, 0.2) + rng.normal(0, 0.05, n), 0.01, 0.99)
        return Predictions(labels, np.column_stack([1 - p, p]), np.array([0, 1]))

    return y, preds(champ_right), preds(chall_right)


ACCURACY_SIMS = 4000
"""Sized so [0.94, 0.96] is ±2.9 Monte-Carlo SE around 0.95, while a CI 10% too narrow (≈0.92) or a 90%
interval (≈0.90) lands far outside: the test computes those coverages too and requires them to fail."""


def _tables(rng: np.random.Generator, sims: int, n: int, p_b: float, p_c: float) -> np.ndarray:
    """(b, c) of ``sims`` paired tables: b = only the champion right, c = only the challenger right."""
    return rng.multinomial(n, [p_b, p_c, 1 - p_b - p_c], size=sims)[:, :2]


def _coverage(
    tables: np.ndarray, n: int, truth: float, shrink: float = 1.0, level: float = 0.95, exact_below: int = 0
) -> float:
    hits = 0
    for b, c in tables:
        r = compare(int(b), int(c), n, level, exact_below=exact_below)
        lo, hi = r.delta - shrink * (r.delta - r.ci_low), r.delta + shrink * (r.ci_high - r.delta)
        hits += lo <= truth <= hi
    return hits / len(tables)


def test_accuracy_interval_covers_the_truth_at_the_nominal_rate() -> None:
    """Tango's score interval, 95%, many discordant rows: coverage within [0.94, 0.96]."""
    rng = np.random.default_rng(11)
    n, p_b, p_c = 600, 0.08, 0.11
    tables = _tables(rng, ACCURACY_SIMS, n, p_b, p_c)
    assert (tables.sum(axis=1) >= 25).mean() > 0.999
    truth = p_c - p_b
    coverage = _coverage(tables, n, truth)
    assert 0.94 <= coverage <= 0.96, coverage
    # the same check would catch a CI 10% too narrow, or a 90% interval passed off as 95%
    assert _coverage(tables, n, truth, shrink=0.9) < 0.94
    assert _coverage(tables, n, truth, level=0.90) < 0.94


@pytest.mark.parametrize(("n", "p_b", "p_c"), [(200, 0.02, 0.02), (300, 0.02, 0.035), (500, 0.01, 0.03)])
def test_default_accuracy_interval_is_nominal_at_few_discordant_rows(n: int, p_b: float, p_c: float) -> None:
    """The default (Tango at every count) at about 8, 16 and 20 discordant rows: within [0.94, 0.96],
    where the opt-in exact conditional method measured 0.983, 0.962 and 0.932 (docs/gate-statistics.md)."""
    rng = np.random.default_rng(int(n * (p_b + p_c) * 1000))
    tables = _tables(rng, ACCURACY_SIMS, n, p_b, p_c)
    assert (tables.sum(axis=1) < 25).mean() > 0.8  # really the small-count regime
    truth = p_c - p_b
    default = GateSection().mcnemar_exact_below
    coverage = _coverage(tables, n, truth, exact_below=default)
    assert 0.94 <= coverage <= 0.96, coverage
    assert _coverage(tables, n, truth, shrink=0.9, exact_below=default) < 0.94


def test_exact_conditional_option_is_the_one_documented_as_off_nominal() -> None:
    """Why the exact method is opt-in: conditioning on the discordant count, it under-covers a larger
    effect (the figure docs/gate-statistics.md reports), which this test pins so the doc stays true."""
    rng = np.random.default_rng(int(500 * 0.04 * 1000))
    tables = _tables(rng, ACCURACY_SIMS, 500, 0.01, 0.03)
    assert _coverage(tables, 500, 0.02, exact_below=25) < 0.94


@pytest.mark.parametrize(("n", "p_discordant"), [(200, 0.04), (300, 0.06), (400, 0.1), (3000, 0.05)])
def test_superiority_false_pass_on_equal_models(n: int, p_discordant: float) -> None:
    """Equal accuracies, superiority (margin 0) at 95%: pass rate <= α/2 = 2.5% + MC error.

    The first two settings have about 8 and 18 discordant rows, each method is checked.
    """
    sims = 2000
    rng = np.random.default_rng(int(n * p_discordant * 1000))
    tables = _tables(rng, sims, n, p_discordant / 2, p_discordant / 2)
    for exact_below in (0, 25):
        passes = sum(compare(int(b), int(c), n, 0.95, exact_below=exact_below).ci_low > 0 for b, c in tables)
        assert passes / sims <= 0.025 + _mc(0.025, sims), (exact_below, passes)


@pytest.mark.parametrize("method", ["bootstrap", "delong"])
def test_auc_difference_ci_covers_the_truth(method: str) -> None:
    rng = np.random.default_rng(2 if method == "bootstrap" else 3)
    mu_a, mu_b = 1.0, 1.3
    truth = _true_auc(mu_b) - _true_auc(mu_a)
    hits = 0
    for s in range(SIMS):
        y, a, b = _binormal_pair(rng, 600, mu_a, mu_b)
        if method == "delong":
            lo, hi = delong(y, a, b).ci
        else:
            res = paired_bootstrap(y, a, b, BUILTIN["roc_auc"], BOOT, 0.95, seed=s)
            lo, hi = res.ci_low, res.ci_high
        hits += lo <= truth <= hi
    assert abs(hits / SIMS - 0.95) <= _mc(0.95) + 0.005


def _equal_models(rng: np.random.Generator, n: int) -> tuple[np.ndarray, Predictions, Predictions]:
    y, a, b = _binormal_pair(rng, n, 1.2, 1.2)

    def preds(score: np.ndarray) -> Predictions:
        p = 1 / (1 + np.exp(-(score - 0.6)))
        return Predictions((p > 0.5).astype(int), np.column_stack([1 - p, p]), np.array([0, 1]))

    return y, preds(a), preds(b)


def test_equally_good_models_rarely_pass_a_superiority_gate() -> None:
    """Type-I error of the superiority decision (one-sided, α/2 = 2.5%) and of Holm's family-wise claims."""
    rng = np.random.default_rng(4)
    gate = GateSection(bootstrap_resamples=BOOT)
    metrics = ["roc_auc", "accuracy", "log_loss"]  # DeLong, Tango / exact conditional, bootstrap
    rules = [MetricRule(metric=m, min_improvement=0.0, confidence=0.95) for m in metrics]
    passes = dict.fromkeys(metrics, 0)
    any_significant = 0
    for s in range(SIMS):
        y, champ, chall = _equal_models(rng, 400)
        out = evaluate(y, champ, chall, rules, gate.model_copy(update={"seed": s}), "classification")
        for o in out:
            passes[o.metric] += o.outcome == "pass"
        any_significant += any(o.significant for o in out)
    for metric, count in passes.items():
        assert count / SIMS <= 0.025 + _mc(0.025), (metric, count)
    assert any_significant / SIMS <= 0.05 + _mc(0.05)


def test_non_inferiority_at_the_margin_has_nominal_false_pass_rate() -> None:
    """True accuracy difference exactly -margin: claiming non-inferiority is the type-I error."""
    rng = np.random.default_rng(5)
    margin = 0.04
    rule = [MetricRule(metric="accuracy", max_regression=margin, confidence=0.95)]
    gate = GateSection(bootstrap_resamples=BOOT)

    def passes(p_champ_only: float, p_chall_only: float, n: int, seed: int) -> bool:
        y, champ, chall = _paired_correctness(rng, n, 0.6, p_champ_only, p_chall_only)
        out = evaluate(y, champ, chall, rule, gate.model_copy(update={"seed": seed}), "classification")
        return out[0].outcome == "pass"

    at_margin = sum(passes(0.12, 0.12 - margin, 600, s) for s in range(SIMS))
    assert at_margin / SIMS <= 0.025 + _mc(0.025)
    # and the gate is not simply refusing: equal accuracy is shown non-inferior most of the time
    no_difference = sum(passes(0.12, 0.12, 1500, s) for s in range(100))
    assert no_difference >= 80
