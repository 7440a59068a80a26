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


# --------------------------------------------------------------------------- decisions vs Evidently's own


def _samples(kind: str) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(5)
    if kind == "num":
        return pd.Series(rng.normal(size=400)), pd.Series(rng.normal(0.12, 1, size=400))
    if kind == "binary":
        return pd.Series(rng.choice(["y", "n"], 400)), pd.Series(rng.choice(["y", "n"], 400, p=[0.56, 0.44]))
    return pd.Series(rng.choice(list("abc"), 400)), pd.Series(rng.choice(list("abc"), 400, p=[0.4, 0.3, 0.3]))


EVIDENTLY_TESTS = {
    "ks": ("ks_stattest", "ks_stat_test", "num"),
    "wasserstein": ("wasserstein_distance_norm", "wasserstein_stat_test", "num"),
    "psi": ("psi", "psi_stat_test", "num"),
    "chisquare": ("chisquare_stattest", "chi_stat_test", "cat"),
    "z": ("z_stattest", "z_stat_test", "binary"),
    "jensenshannon": ("jensenshannon", "jensenshannon_stat_test", "cat"),
}


@pytest.mark.parametrize("method", list(EVIDENTLY_TESTS))
def test_drift_flag_exactly_at_the_threshold_follows_evidently(method: str) -> None:
    """With the threshold set to the very score, each method's comparison (p <= t for K-S, p < t for the
    other tests, d >= t for distances) must be Evidently's own, and one ulp either side must flip it."""
    import importlib

    from evidently.legacy.core import ColumnType

    from shipml.validate.drift import ColumnPlan, _drifted

    module, attr, kind = EVIDENTLY_TESTS[method]
    stat_test = getattr(importlib.import_module(f"evidently.legacy.calculations.stattests.{module}"), attr)
    ref, cur = _samples(kind)
    column_type = ColumnType.Numerical if kind == "num" else ColumnType.Categorical
    score = stat_test(ref, cur, column_type, 0.05).drift_score
    plan_kind = "num" if kind == "num" else "cat"
    for threshold in (score, np.nextafter(score, 0), np.nextafter(score, 1)):
        theirs = bool(stat_test(ref, cur, column_type, float(threshold)).drifted)
        ours = _drifted(ColumnPlan("c", plan_kind, "feature", method, float(threshold)), score)
        assert ours == theirs, (method, threshold, score)
    at = _drifted(ColumnPlan("c", plan_kind, "feature", method, float(score)), score)
    assert at == (method not in ("chisquare", "z"))  # the documented convention, stated once more


def test_per_column_drift_flags_equal_evidentlys_own_verdicts() -> None:
    """Without correction, shipml's per-column flag is exactly the verdict of Evidently's own test."""
    import os

    os.environ.setdefault("DO_NOT_TRACK", "true")
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    from shipml.validate.drift import run

    rng = np.random.default_rng(9)
    n = 400

    def frame(shift: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "a": rng.normal(shift, 1, n),
                "b": rng.normal(0, 1, n),
                "w": rng.normal(shift / 2, 1, n),
                "p": rng.normal(shift, 1, n),
                "c": rng.choice(list("abc"), n, p=[1 / 3 + shift / 2, 1 / 3, 1 / 3 - shift / 2]),
                "j": rng.choice(list("xyz"), n, p=[1 / 3 + shift, 1 / 3, 1 / 3 - shift]),
                "k": rng.choice(list("uvw"), n),
            }
        )

    ref, cur = frame(0.0), frame(0.15)
    section = DriftSection(
        correction="none",
        columns={
            "w": ColumnDrift(method="wasserstein", threshold=0.05),
            "p": ColumnDrift(method="psi", threshold=0.05),
            "j": ColumnDrift(method="jensenshannon", threshold=0.05),
        },
    )
    result = run(ref, cur, section, target=None, ignore=[]).summary
    ours = {c.column: c.drifted for c in result.columns}
    assert {c.column: c.method for c in result.columns}["a"] == "ks"
    assert any(ours.values()) and not all(ours.values())  # both verdicts are exercised

    definition = DataDefinition(
        numerical_columns=[c.column for c in result.columns if c.kind == "num"],
        categorical_columns=[c.column for c in result.columns if c.kind == "cat"],
    )
    preset = DataDriftPreset(
        columns=list(ours),
        per_column_method={c.column: c.method for c in result.columns},
        per_column_threshold={c.column: c.threshold for c in result.columns},
    )
    snapshot = Report([preset], include_tests=True).run(
        reference_data=Dataset.from_pandas(ref, data_definition=definition),
        current_data=Dataset.from_pandas(cur, data_definition=definition),
    )
    theirs = {
        t["name"].removeprefix("Value Drift for column "): t["status"] == "FAIL"
        for t in snapshot.dict()["tests"]
        if t["name"].startswith("Value Drift for column ")
    }
    assert theirs == ours
