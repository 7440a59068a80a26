"""Real Great Expectations and real Evidently behind shipml's validation (no mocks of either)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from shipml.config.validate import DriftSection
from shipml.errors import InputDataError
from shipml.validate import drift, gx_runner
from shipml.validate.init_suite import starter_suite
from shipml.validate.suites import load_suite

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 1_000
    return pd.DataFrame(
        {
            "id": [f"C{i:05d}" for i in range(n)],
            "age": rng.integers(18, 90, n),
            "spend": rng.gamma(2.0, 30.0, n).round(2),
            "plan": rng.choice(["basic", "pro", "team"], n, p=[0.6, 0.3, 0.1]),
        }
    )


def _suite(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    return path


def test_passing_suite(tmp_path: Path, frame: pd.DataFrame) -> None:
    suite = load_suite(
        _suite(
            tmp_path,
            "table: [{row_count_between: {min: 100}}]\n"
            "columns:\n"
            "  id: [not_null, unique, {regex: '^C[0-9]{5}$'}]\n"
            "  age: [{between: [18, 89]}]\n"
            "  plan: [{in_set: [basic, pro, team]}]\n",
        )
    )
    outcomes, raw = gx_runner.run(frame, suite.expectations)
    assert [o.success for o in outcomes] == [True] * 6
    assert raw["success"] is True and raw["statistics"]["evaluated_expectations"] == 6
    assert outcomes[0].observed_value == len(frame)


def test_failing_suite_reports_each_failure_by_name_count_examples_and_line(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    suite = load_suite(
        _suite(
            tmp_path,
            "age:\n"
            "  - between: {min: 18, max: 60}\n"  # line 2
            "plan:\n"
            "  - {in_set: [basic, pro], severity: warning}\n"  # line 4
            "spend:\n"
            "  - mean_between: [0, 10]\n",  # line 6
        )
    )
    outcomes, _ = gx_runner.run(frame, suite.expectations)
    by_type = {o.expectation: o for o in outcomes}
    age = by_type["expect_column_values_to_be_between"]
    assert not age.success and age.severity == "error" and age.line == 2
    assert age.unexpected_count == int((frame["age"] > 60).sum()) > 0
    assert age.unexpected_percent == pytest.approx(100 * (frame["age"] > 60).mean())
    assert age.examples and all(v > 60 for v in age.examples) and len(age.examples) <= 5
    plan = by_type["expect_column_values_to_be_in_set"]
    assert not plan.success and plan.severity == "warning" and plan.line == 4
    assert plan.unexpected_count == int((frame["plan"] == "team").sum())
    assert set(plan.examples) == {"team"}
    mean = by_type["expect_column_mean_to_be_between"]
    assert not mean.success and mean.observed_value == pytest.approx(frame["spend"].mean())


def test_gx_rejections_become_one_line_input_errors(tmp_path: Path, frame: pd.DataFrame) -> None:
    unknown = load_suite(_suite(tmp_path, "age:\n  - expect_column_values_to_be_betwen: {min_value: 1}\n"))
    with pytest.raises(
        InputDataError,
        match=r"suite\.yaml:2: unknown expectation type .*The closest known type is "
        r"'expect_column_values_to_be_between'",
    ):
        gx_runner.build_expectations(unknown.expectations)
    bad_kwarg = load_suite(_suite(tmp_path, "age:\n  - between: {min: 1, maxx: 3}\n"))
    with pytest.raises(InputDataError, match=r"suite\.yaml:2: invalid arguments for .*maxx"):
        gx_runner.build_expectations(bad_kwarg.expectations)
    wrong_type = load_suite(_suite(tmp_path, "plan:\n  - between: {min: 1, max: 3}\n"))
    with pytest.raises(InputDataError, match=r"suite\.yaml:2: expect_column_values_to_be_between cannot run"):
        gx_runner.run(frame, wrong_type.expectations)


def test_starter_suite_round_trips_and_passes_on_its_own_data(tmp_path: Path, frame: pd.DataFrame) -> None:
    text, count = starter_suite(frame, name="demo", source="frame")
    path = tmp_path / "starter.yaml"
    path.write_text(text)
    suite = load_suite(path)
    assert suite.name == "demo" and len(suite.expectations) == count
    kinds = {(s.column, s.type.removeprefix("expect_")) for s in suite.expectations}
    assert ("id", "column_values_to_be_unique") in kinds
    assert ("plan", "column_values_to_be_in_set") in kinds
    assert ("age", "column_values_to_be_between") in kinds
    outcomes, _ = gx_runner.run(frame, suite.expectations)
    assert all(o.success for o in outcomes)
    age = next(s for s in suite.expectations if s.column == "age" and "between" in s.type)
    assert age.kwargs["min_value"] <= 18 and age.kwargs["max_value"] >= 89  # margin around the observed range


def test_shifted_column_drifts_and_unshifted_one_does_not(frame: pd.DataFrame) -> None:
    rng = np.random.default_rng(5)
    current = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    current["spend"] = current["spend"] + 25  # about half a standard deviation
    current["age"] = rng.permutation(current["age"].to_numpy())  # same distribution
    run = drift.run(frame, current, DriftSection(effect_size_above_rows=500), target=None, ignore=["id"])
    cols = {c.column: c for c in run.summary.columns}
    assert cols["spend"].method == "wasserstein" and cols["spend"].drifted
    assert cols["spend"].statistic is not None and cols["spend"].statistic > 0.1
    assert not cols["age"].drifted and not cols["plan"].drifted
    assert run.summary.share == pytest.approx(1 / 3, abs=1e-4) and not run.summary.dataset_drift


def test_holm_correction_turns_a_lone_marginal_p_value_into_no_drift() -> None:
    """20 columns tested at 0.05: one p≈0.02 is what chance produces; a p≈1e-20 is not."""
    rng = np.random.default_rng(42)
    n = 300
    base = rng.normal(size=n)
    shift = next(d for d in np.arange(0.05, 1.0, 0.01) if 0.01 < ks_2samp(base, base + d).pvalue < 0.03)
    reference = pd.DataFrame({f"same{i}": base for i in range(18)} | {"marginal": base, "strong": base})
    current = reference.copy()
    current["marginal"] = base + shift
    current["strong"] = base + 1.5
    runs = {
        correction: drift.run(reference, current, DriftSection(correction=correction), target=None, ignore=[])
        for correction in ("none", "holm", "bh")
    }
    for run in runs.values():
        cols = {c.column: c for c in run.summary.columns}
        assert cols["marginal"].method == "ks"  # 300 rows: p-value tests
        assert cols["marginal"].p_value == pytest.approx(ks_2samp(base, base + shift).pvalue, rel=1e-9)
        assert cols["strong"].drifted and not cols["same0"].drifted
    marginal = {k: {c.column: c for c in r.summary.columns}["marginal"] for k, r in runs.items()}
    assert marginal["none"].drifted and marginal["none"].p_adjusted == marginal["none"].p_value
    assert not marginal["holm"].drifted and marginal["holm"].p_adjusted == pytest.approx(
        19 * marginal["holm"].p_value
    )
    assert not marginal["bh"].drifted and marginal["bh"].p_adjusted == pytest.approx(
        10 * marginal["bh"].p_value
    )
    assert runs["holm"].summary.correction == "holm" and runs["none"].summary.share == pytest.approx(0.1)
    assert runs["holm"].summary.share == pytest.approx(0.05)


def test_sampling_is_reported_and_repeatable(frame: pd.DataFrame) -> None:
    current = frame.copy()
    current["spend"] = current["spend"] * 1.5
    section = DriftSection(sample_rows=400, seed=3, effect_size_above_rows=10_000)
    a = drift.run(frame, current, section, target=None, ignore=["id"]).summary
    b = drift.run(frame, current, section, target=None, ignore=["id"]).summary
    assert a.sampled_rows == 400 and a.reference_rows == 400 and a.current_rows == 400
    assert [c.p_value for c in a.columns] == [c.p_value for c in b.columns]


def test_whole_run_on_a_parquet_directory_of_scoring_data_without_the_label(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    """Parquet directory in, label absent from the new data: target drift is skipped, not an error."""
    from shipml.config import load_config
    from shipml.validate.pipeline import Request, execute

    labelled = frame.assign(churned=(frame["age"] > 50).astype(int))
    labelled.to_csv(tmp_path / "ref.csv", index=False)
    parts = tmp_path / "scoring"
    parts.mkdir()
    scoring = frame.assign(spend=frame["spend"] * 2)
    for i, start in enumerate(range(0, len(scoring), 400)):
        scoring.iloc[start : start + 400].to_parquet(parts / f"part-{i}.parquet", index=False)
    (tmp_path / "s.yaml").write_text("spend: [not_null, {max_between: {max: 10000}}]\n")
    (tmp_path / "shipml.yaml").write_text(
        "data: {target: churned, ignore: [id]}\nvalidate:\n  drift: {effect_size_above_rows: 100}\n"
    )
    cfg = load_config(tmp_path / "shipml.yaml")
    request = Request(
        cfg=cfg,
        data=[parts],
        reference=tmp_path / "ref.csv",
        suites=[tmp_path / "s.yaml"],
        drift=True,
        output_dir=tmp_path / "out",
    )
    outcome = execute(request)
    details = outcome.details
    assert details.rows == len(frame) and details.counts.evaluated == 2 and details.counts.failed_error == 0
    assert details.drift is not None
    compared = {c.column: c for c in details.drift.columns}
    assert set(compared) == {"age", "spend", "plan"}  # no id (ignored), no churned (absent from scoring data)
    assert compared["spend"].drifted and outcome.status == "passed"
    assert (tmp_path / "out" / "drift_report.html").is_file() and (
        tmp_path / "out" / "gx_result.json"
    ).is_file()


def test_copy_on_write_gives_gx_the_same_results_and_is_restored(
    tmp_path: Path, frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GX runs with pandas copy-on-write (no per-expectation copy of the table): same outcomes."""
    data = frame.copy()
    data.loc[data.index[::7], "spend"] = np.nan  # nulls: GX drops rows from the domain (a real take)
    data.loc[data.index[::11], "plan"] = None
    before = data.copy()
    suite = load_suite(
        _suite(
            tmp_path,
            "id: [not_null, unique]\n"
            "spend: [not_null, {between: [0, 100]}, {mean_between: [0, 80]}]\n"
            "plan: [{not_null: {mostly: 0.95}}, {in_set: [basic, pro]}]\n"
            "age: [{between: [18, 60]}]\n",
        )
    )
    assert pd.get_option("mode.copy_on_write") is False
    lazy, _ = gx_runner.run(data, suite.expectations)
    assert pd.get_option("mode.copy_on_write") is False  # restored for the drift code and the caller
    pd.testing.assert_frame_equal(data, before)  # GX left the user's table as it was
    monkeypatch.setattr(gx_runner, "_lazy_copies", lambda engine: __import__("contextlib").nullcontext())
    eager, _ = gx_runner.run(data, suite.expectations)
    assert [o.model_dump() for o in lazy] == [o.model_dump() for o in eager]
    assert [o.success for o in lazy] == [True, True, False, False, True, False, False, False]
