"""The paired tests against reference implementations: an O(n²) DeLong, sklearn loops.

The paired-proportions method (accuracy) has its own file, test_gate_paired_proportions.py."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from sklearn.metrics import roc_auc_score

from shipml.gate.metrics import BUILTIN
from shipml.gate.resample import resample_counts, resample_indices
from shipml.gate.stats import (
    delong,
    paired_bootstrap,
    paired_replicates,
    row_order,
    summarise,
    undefined_share,
)


def _delong_quadratic(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float]:
    """DeLong, DeLong & Clarke-Pearson (1988) written out literally: ψ over every (pos, neg) pair."""
    pos, neg = y == 1, y == 0
    m, k = int(pos.sum()), int(neg.sum())
    v10, v01 = [], []
    for s in (a, b):
        x, z = s[pos], s[neg]
        psi = (x[:, None] > z[None, :]).astype(float) + 0.5 * (x[:, None] == z[None, :])
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
    aucs = [float(v.mean()) for v in v10]

    def cov(u: np.ndarray, w: np.ndarray) -> float:
        return float(((u - u.mean()) * (w - w.mean())).sum() / (len(u) - 1))

    s10 = [[cov(v10[i], v10[j]) for j in range(2)] for i in range(2)]
    s01 = [[cov(v01[i], v01[j]) for j in range(2)] for i in range(2)]
    var = (s10[0][0] + s10[1][1] - 2 * s10[0][1]) / m + (s01[0][0] + s01[1][1] - 2 * s01[0][1]) / k
    z = (aucs[1] - aucs[0]) / np.sqrt(var)
    p = 2 * (1 - sps.norm.cdf(abs(z)))
    return aucs[0], aucs[1], var, p


@pytest.mark.parametrize(
    ("n", "ties", "seed"), [(60, False, 0), (300, False, 1), (500, True, 2), (801, True, 3)]
)
def test_delong_equals_quadratic_reference(n: int, ties: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.35).astype(int)
    a = 0.8 * y + rng.normal(size=n)
    b = 0.6 * a + 0.5 * y + rng.normal(size=n)
    if ties:
        a, b = np.round(a, 1), np.round(b, 1)
    res = delong(y, a, b)
    auc_a, auc_b, var, p = _delong_quadratic(y, a, b)
    assert res.auc_a == pytest.approx(auc_a, abs=1e-12)
    assert res.auc_b == pytest.approx(auc_b, abs=1e-12)
    assert res.auc_a == pytest.approx(roc_auc_score(y, a), abs=1e-12)
    assert res.var == pytest.approx(var, abs=1e-9, rel=1e-9)
    assert res.p_value == pytest.approx(p, abs=1e-9)
    half = sps.norm.ppf(0.975) * np.sqrt(var)
    assert res.ci == pytest.approx((auc_b - auc_a - half, auc_b - auc_a + half), abs=1e-9)


def test_delong_identical_scores_is_no_difference() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    s = rng.random(200)
    res = delong(y, s, s)
    assert (res.delta, res.p_value, res.ci) == (0.0, 1.0, (0.0, 0.0))


def test_delong_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="at least 2 positives and 2 negatives"):
        delong(np.ones(10), np.arange(10.0), np.arange(10.0))


def test_resamples_are_deterministic_and_uniform() -> None:
    first = np.concatenate(list(resample_counts(1000, 300, seed=3)))
    again = np.concatenate(list(resample_counts(1000, 300, seed=3)))
    other = np.concatenate(list(resample_counts(1000, 300, seed=4)))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.shape == (300, 1000) and (first.sum(axis=1) == 1000).all()
    # every row is drawn once per resample on average (Poisson(1) margins)
    assert first.mean() == pytest.approx(1.0) and first.var() == pytest.approx(1.0, abs=0.02)
    idx = np.concatenate(list(resample_indices(1000, 300, seed=3)))
    np.testing.assert_array_equal(np.stack([np.bincount(r, minlength=1000) for r in idx]), first)


def test_paired_bootstrap_equals_a_sklearn_loop_on_the_same_resamples() -> None:
    rng = np.random.default_rng(11)
    n = 400
    y = rng.integers(0, 2, n)
    a = np.round(0.7 * y + rng.normal(size=n), 1)
    b = np.round(0.9 * y + rng.normal(size=n), 1)
    res = paired_bootstrap(y, a, b, BUILTIN["roc_auc"], n_resamples=300, confidence=0.9, seed=5)
    order = row_order({"auc": (BUILTIN["roc_auc"], y, a, b)})
    assert order is not None and sorted(order) == list(range(n))
    rows = [order[i] for chunk in resample_indices(n, 300, seed=5) for i in chunk]  # the replayed resamples
    deltas = np.array([roc_auc_score(y[r], b[r]) - roc_auc_score(y[r], a[r]) for r in rows])
    # two AUCs equal as fractions: sklearn's float sums leave ~1e-16, shipml's integer counts exactly 0
    deltas[np.abs(deltas) < 1e-12] = 0.0
    ref = summarise(roc_auc_score(y, b) - roc_auc_score(y, a), deltas, 0.9)
    assert res.delta == pytest.approx(ref.delta, abs=1e-12)
    assert (res.ci_low, res.ci_high) == pytest.approx((ref.ci_low, ref.ci_high), abs=1e-12)
    assert (res.ci_low, res.ci_high) == pytest.approx(tuple(np.quantile(deltas, [0.05, 0.95])), abs=1e-12)
    expected_p = min(1.0, 2 * min((np.sum(deltas <= 0) + 1) / 301, (np.sum(deltas >= 0) + 1) / 301))
    assert res.p_value == pytest.approx(expected_p)


def test_paired_bootstrap_of_identical_models_is_exactly_zero() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 300)
    p = rng.random(300)
    res = paired_bootstrap(y, p, p, BUILTIN["roc_auc"], n_resamples=200, seed=0)
    assert (res.delta, res.ci_low, res.ci_high, res.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_bootstrap_reports_undefined_resamples() -> None:
    y = np.array([1] + [0] * 29)  # one positive: many resamples draw none, AUC undefined there
    a = np.linspace(0, 1, 30)
    reps = paired_replicates({"auc": (BUILTIN["roc_auc"], y, a, a[::-1])}, n_resamples=500, seed=0)
    share = undefined_share(reps["auc"][1])
    assert 0.2 < share < 0.5  # P(no positive drawn) = (29/30)^30 ≈ 0.36
    delta, lo, hi, p = paired_bootstrap(y, a, a[::-1], BUILTIN["roc_auc"], n_resamples=500, seed=0)
    assert np.isfinite([delta, lo, hi, p]).all()  # the undefined resamples are dropped, not propagated


def test_bootstrap_replicates_do_not_depend_on_the_number_of_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Chunks draw from their own streams, so a 2-core runner and a laptop agree bit for bit."""
    from shipml import beside
    from shipml.gate import stats

    rng = np.random.default_rng(8)
    n = 20_000  # above the row-wise threshold, several chunks
    y = rng.integers(0, 2, n)
    a, b = rng.random(n) + 0.2 * y, rng.random(n) + 0.3 * y
    pairs = {"auc": (BUILTIN["roc_auc"], y, a, b), "acc": (BUILTIN["accuracy"], y, a > 0.6, b > 0.6)}
    forks: list[int] = []
    real_spread = beside.spread
    monkeypatch.setattr(beside, "spread", lambda works: forks.append(len(works)) or real_spread(works))
    results = {}
    for workers in (1, 3):
        monkeypatch.setattr(stats, "_workers", lambda n_chunks, cells, w=workers: w)
        results[workers] = paired_replicates(pairs, n_resamples=700, seed=4)
    assert forks == [1, 3] and beside.can_fork()  # the 3-way run really was spread over processes
    for key in pairs:
        assert results[1][key][0] == results[3][key][0]
        np.testing.assert_array_equal(results[1][key][1], results[3][key][1])
    # and the spread replicates are the replayable resamples, in order
    order = row_order(pairs)
    assert order is not None
    idx = order[np.concatenate(list(resample_indices(n, 700, seed=4)))]
    first = roc_auc_score(y[idx[0]], b[idx[0]]) - roc_auc_score(y[idx[0]], a[idx[0]])
    last = roc_auc_score(y[idx[-1]], b[idx[-1]]) - roc_auc_score(y[idx[-1]], a[idx[-1]])
    assert results[3]["auc"][1][0] == pytest.approx(first, abs=1e-12)
    assert results[3]["auc"][1][-1] == pytest.approx(last, abs=1e-12)
    accuracy = (a[idx[-1]] > 0.6) == y[idx[-1]], (b[idx[-1]] > 0.6) == y[idx[-1]]
    assert results[3]["acc"][1][-1] == pytest.approx(accuracy[1].mean() - accuracy[0].mean(), abs=1e-12)


def test_counts_widen_when_a_row_is_drawn_more_than_255_times() -> None:
    from shipml.gate.resample import counts_of

    n = 20_000  # the row-wise path
    idx = np.zeros((2, n), dtype=np.int64)
    idx[1] = np.arange(n)
    counts = counts_of(idx, n)
    assert counts.dtype == np.uint16 and counts[0, 0] == n and counts[1].sum() == n
