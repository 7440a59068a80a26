"""Drift planning (method per column), multiple-testing correction and sampling, without Evidently."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from shipml.config.validate import ColumnDrift, DriftSection
from shipml.errors import ConfigError
from shipml.multiplicity import adjust
from shipml.validate.drift import plan, sample


@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjusted_p_values_match_statsmodels(ours: str, theirs: str) -> None:
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(0, 1, 15), [1e-8, 0.001, 0.02, 0.04, 0.049]])
    expected = multipletests(p, method=theirs)[1]
    got = adjust(list(p), ours)  # type: ignore[arg-type]
    assert np.allclose(got, expected, rtol=1e-12, atol=0)


def test_adjust_keeps_nan_out_of_the_family() -> None:
    got = adjust([0.01, float("nan"), 0.04], "holm")
    assert math.isnan(got[1])
    assert got[0] == pytest.approx(0.02) and got[2] == pytest.approx(0.04)
    assert adjust([0.01, 0.5], "none") == [0.01, 0.5]


def _frames(rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=rows),
            "flag": rng.integers(0, 2, rows),
            "city": rng.choice(["a", "b", "c"], rows),
            "yes": rng.choice(["y", "n"], rows),
            "id": np.arange(rows),
            "when": pd.date_range("2024-01-01", periods=rows, freq="min"),
        }
    )
    return frame, frame.copy()


def test_auto_uses_tests_on_small_data_and_effect_sizes_above_the_limit() -> None:
    ref, cur = _frames(500)
    small = {
        p.column: (p.kind, p.method, p.threshold)
        for p in plan(ref, cur, DriftSection(), target=None, ignore=["id"])
    }
    assert small == {
        "x": ("num", "ks", 0.05),
        "flag": ("cat", "chisquare", 0.05),  # numeric but binary: categorical
        "city": ("cat", "chisquare", 0.05),
        "yes": ("cat", "chisquare", 0.05),
    }  # id ignored, datetime not compared
    big = {
        p.column: p.method
        for p in plan(ref, cur, DriftSection(effect_size_above_rows=499), target=None, ignore=["id"])
    }
    assert big == {
        "x": "wasserstein",
        "flag": "jensenshannon",
        "city": "jensenshannon",
        "yes": "jensenshannon",
    }


def test_global_method_is_mapped_within_its_family_and_overrides_win() -> None:
    ref, cur = _frames(300)
    section = DriftSection(
        method="wasserstein",
        threshold=0.2,
        columns={"city": ColumnDrift(method="psi", threshold=0.3), "yes": ColumnDrift(method="z")},
        prediction="flag",
    )
    got = {
        p.column: (p.method, p.threshold, p.role) for p in plan(ref, cur, section, target="x", ignore=["id"])
    }
    assert got == {
        "x": ("wasserstein", 0.2, "target"),
        "flag": ("jensenshannon", 0.2, "prediction"),
        "city": ("psi", 0.3, "feature"),
        "yes": ("z", 0.2, "feature"),
    }


@pytest.mark.parametrize(
    ("column", "override", "message"),
    [
        ("city", ColumnDrift(method="ks"), "validate.drift.columns.city.method: ks needs a numeric column"),
        ("city", ColumnDrift(method="z"), "z needs a binary categorical column"),
        ("x", ColumnDrift(method="chisquare"), "chisquare needs a categorical column, but 'x' is numeric"),
        ("nope", ColumnDrift(method="ks"), "validate.drift.columns.nope: no such column"),
    ],
)
def test_impossible_method_choices_are_config_errors(
    column: str, override: ColumnDrift, message: str
) -> None:
    ref, cur = _frames(200)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        plan(ref, cur, DriftSection(columns={column: override}), target=None, ignore=["id"])


def test_sampling_is_deterministic_ordered_and_skipped_when_small() -> None:
    frame = pd.DataFrame({"v": np.arange(10_000)})
    a, b = sample(frame, 500, seed=7), sample(frame, 500, seed=7)
    assert a.index.equals(b.index) and len(a) == 500
    assert a.index.is_monotonic_increasing
    assert not sample(frame, 500, seed=8).index.equals(a.index)
    assert sample(frame, 20_000, seed=7) is frame and sample(frame, None, seed=7) is frame
