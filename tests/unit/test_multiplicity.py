"""The one Holm / Benjamini-Hochberg (gate and drift), against statsmodels: an independent reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from shipml.multiplicity import adjust, family_size, holm


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjusted_p_values_equal_statsmodels(seed: int, ours: str, theirs: str) -> None:
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.random(8) ** 3, [1e-8, 0.001, 0.02, 0.04, 0.049, 0.02]])  # a tie too
    expected = multipletests(p, method=theirs)[1]
    assert adjust(list(p), ours) == pytest.approx(list(expected), rel=1e-12, abs=0)  # type: ignore[arg-type]


def test_holm_by_hand_on_a_small_family() -> None:
    # sorted 0.01, 0.03, 0.04 -> 3*0.01, max(0.03, 2*0.03), max(0.06, 1*0.04)
    assert holm([0.04, 0.01, 0.03]) == pytest.approx([0.06, 0.03, 0.06])


def test_nan_is_not_a_test() -> None:
    out = holm([0.01, float("nan"), 0.04])
    assert out[0] == pytest.approx(0.02) and math.isnan(out[1]) and out[2] == pytest.approx(0.04)
    assert family_size([0.01, float("nan"), 0.04]) == 2
    assert adjust([0.01, 0.5], "none") == [0.01, 0.5]
