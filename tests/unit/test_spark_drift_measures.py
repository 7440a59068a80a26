"""The Spark path's drift measures, from aggregates, against Evidently's own functions on the rows.

No Spark here: the aggregates are computed with numpy exactly as the executors would, so
what is checked is the arithmetic (edges, masses, measures, the Wasserstein error bound).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import wasserstein_distance

from shipml.validate import spark_drift


def _counts(values: np.ndarray, edges: list[float]) -> list[float]:
    index = np.searchsorted(np.array(edges[1:-1]), values, side="right")
    return (np.bincount(index, minlength=len(edges) - 1) / len(values)).tolist()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sturges_edges_are_numpys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ref, cur = rng.gamma(2, 3, 5000), rng.gamma(2, 3.3, 1700)
    combined = np.concatenate([ref, cur])
    expected = np.histogram_bin_edges(combined, bins="sturges")
    edges = spark_drift.sturges_edges(float(combined.min()), float(combined.max()), len(combined))
    assert np.array_equal(expected, np.array(edges))
    # the executors' bin index (sum of edge comparisons) gives numpy's histogram
    assert _counts(ref, edges) == pytest.approx((np.histogram(ref, expected)[0] / len(ref)).tolist())


def test_psi_and_jensenshannon_match_evidently() -> None:
    from evidently.legacy.calculations.stattests.jensenshannon import _jensenshannon
    from evidently.legacy.calculations.stattests.psi import _psi
    from evidently.legacy.core import ColumnType

    rng = np.random.default_rng(5)
    ref, cur = pd.Series(rng.normal(0, 1, 4000)), pd.Series(rng.normal(0.3, 1.2, 3000))
    combined = np.concatenate([ref, cur])
    edges = spark_drift.sturges_edges(float(combined.min()), float(combined.max()), len(combined))
    ref_m, cur_m = _counts(ref.to_numpy(), edges), _counts(cur.to_numpy(), edges)
    assert spark_drift.psi(ref_m, cur_m) == pytest.approx(
        _psi(ref, cur, ColumnType.Numerical, 0.1)[0], rel=1e-9
    )
    assert spark_drift.jensenshannon(ref_m, cur_m) == pytest.approx(
        _jensenshannon(ref, cur, ColumnType.Numerical, 0.1)[0], rel=1e-9
    )


def test_chisquare_and_z_match_evidently() -> None:
    from evidently.legacy.calculations.stattests.chisquare_stattest import _chi_stat_test
    from evidently.legacy.calculations.stattests.z_stattest import _z_stat_test
    from evidently.legacy.core import ColumnType

    rng = np.random.default_rng(9)
    ref = pd.Series(rng.choice(["a", "b", "c"], 900, p=[0.5, 0.3, 0.2]))
    cur = pd.Series(rng.choice(["a", "b", "c", "d"], 400, p=[0.4, 0.3, 0.2, 0.1]))
    counts = lambda s: {str(k): int(v) for k, v in s.value_counts().items()}  # noqa: E731
    assert spark_drift.chisquare(counts(ref), counts(cur)) == pytest.approx(
        _chi_stat_test(ref, cur, ColumnType.Categorical, 0.05)[0], rel=1e-9
    )
    bref, bcur = pd.Series(rng.choice([0, 1], 800)), pd.Series(rng.choice([0, 1], 300, p=[0.6, 0.4]))
    assert spark_drift.z_test(counts(bref), counts(bcur)) == pytest.approx(
        _z_stat_test(bref, bcur, ColumnType.Categorical, 0.05)[0], rel=1e-9
    )


@pytest.mark.parametrize("shift", [0.0, 0.05, 0.4, 2.0])
def test_binned_wasserstein_is_within_its_stated_bound(shift: float) -> None:
    rng = np.random.default_rng(3)
    ref, cur = rng.lognormal(0, 0.6, 20000), rng.lognormal(shift, 0.6, 8000)
    low, high = min(ref.min(), cur.min()), max(ref.max(), cur.max())
    probs = [i / 100 for i in range(1, 100)]
    inner = [*np.quantile(ref, probs), *np.quantile(cur, probs)]  # both datasets' edges, as on Spark
    edges = sorted({float(low), *[float(q) for q in inner], float(high)})
    value, bound = spark_drift.wasserstein(edges, _counts(ref, edges), _counts(cur, edges))
    exact = wasserstein_distance(ref, cur)
    assert abs(value - exact) <= bound
    # the bound is conservative (worst case inside each bin); the actual error is under 1% of
    # the std near the default threshold (0.1 x std), where verdicts are decided, and under 10%
    # relative for large shifts (mass in the wide outer tail bins)
    assert abs(value - exact) < max(0.01 * np.std(ref), 0.1 * exact)
    if shift >= 0.4:
        assert value / np.std(ref) > 0.1  # a real shift stays visible through the bins


def test_point_wasserstein_is_exact_for_few_values() -> None:
    ref, cur = {"0.0": 50, "1.0": 30, "3.0": 20}, {"0.0": 20, "1.0": 50, "3.0": 30}
    expected = wasserstein_distance([0, 1, 3], [0, 1, 3], [50, 30, 20], [20, 50, 30])
    assert spark_drift._point_wasserstein(ref, cur) == pytest.approx(expected)
