from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shipml.errors import ConfigError, InputDataError
from shipml.train.inputs import load
from tests.unit.test_train_project import example_rows, make_project, project_config

CATEGORICAL = ["contract", "payment_method", "internet_service", "region"]


def test_features_and_kinds_from_the_example(tmp_path: Path) -> None:
    tables = load(project_config(tmp_path), "classification")
    assert tables.target == "churned"
    assert "customer_id" not in tables.features and "churned" not in tables.features
    assert sorted(tables.categorical) == sorted(CATEGORICAL)
    assert set(tables.numeric) == set(tables.features) - set(CATEGORICAL)
    assert all(tables.train[c].dtype == np.float64 for c in tables.numeric)
    assert list(tables.train.columns) == [*tables.features, "churned"]
    assert tables.files == {"train": (tmp_path / "data" / "train.csv")}


def test_explicit_features_and_forced_categorical(tmp_path: Path) -> None:
    cfg = project_config(
        tmp_path,
        config={
            "data": {"features": ["tenure_months", "support_calls", "region"]},
            "model": {"preprocessing": {"categorical": ["support_calls"]}},
        },
    )
    tables = load(cfg, "classification")
    assert tables.features == ["tenure_months", "support_calls", "region"]
    assert tables.numeric == ["tenure_months"]
    assert tables.categorical == ["support_calls", "region"]


def test_numbers_stored_as_text_are_numeric(tmp_path: Path) -> None:
    frame = example_rows(200)
    frame["tenure_months"] = frame["tenure_months"].astype(str)
    frame.loc[3, "tenure_months"] = "  12 "
    cfg = project_config(tmp_path, data=frame.astype({"tenure_months": object}))
    tables = load(cfg, "classification")
    assert "tenure_months" in tables.numeric
    assert tables.train["tenure_months"].iloc[3] == 12.0


def test_non_numeric_value_in_numeric_feature_names_column_and_line(tmp_path: Path) -> None:
    frame = example_rows(200)
    frame["monthly_charges"] = frame["monthly_charges"].astype(object)
    frame.loc[17, "monthly_charges"] = "n/a?"
    cfg = project_config(tmp_path, data=frame)
    with pytest.raises(InputDataError) as err:
        load(cfg, "classification")
    text = str(err.value)
    assert "numeric feature 'monthly_charges' has 1 non-numeric value(s)" in text
    assert "'n/a?' at line 19" in text  # header is line 1, row 0 is line 2
    lines = (tmp_path / "data" / "train.csv").read_text().splitlines()
    assert "n/a?" in lines[18]


def test_declared_numeric_column_with_mostly_text_still_fails(tmp_path: Path) -> None:
    frame = example_rows(200)
    frame["region"] = frame["region"].astype(object)
    cfg = project_config(
        tmp_path, data=frame, config={"validate": {"schema": {"region": {"dtype": "float"}}}}
    )
    with pytest.raises(InputDataError, match="numeric feature 'region' has 200 non-numeric"):
        load(cfg, "classification")


@pytest.mark.parametrize(
    ("mutate", "config", "task", "pattern"),
    [
        (
            None,
            {"data": {"target": "churn"}},
            "classification",
            r"target column 'churn' not found .*did you mean 'churned'",
        ),
        ("constant", {}, "classification", r"target column 'churned' .* is constant \(0 in all 300 rows\)"),
        ("nan_target", {}, "classification", r"target column 'churned' has 1 missing value\(s\) .*line 7"),
        ("text_target", {}, "regression", r"is not numeric, but the task is regression"),
        ("float_target", {}, "classification", r"looks continuous .* but the task is classification"),
        ("empty_feature", {}, "classification", r"feature 'senior' is empty"),
        (
            None,
            {"data": {"features": ["tenure", "region"]}},
            "classification",
            r"column\(s\) 'tenure' not in",
        ),
    ],
)
def test_bad_training_data(
    tmp_path: Path, mutate: str | None, config: dict[str, object], task: str, pattern: str
) -> None:
    frame = example_rows(300)
    if mutate == "constant":
        frame["churned"] = 0
    elif mutate == "nan_target":
        frame["churned"] = frame["churned"].astype(float)
        frame.loc[5, "churned"] = np.nan
    elif mutate == "text_target":
        frame["churned"] = frame["churned"].map({0: "no", 1: "yes"})
    elif mutate == "float_target":
        frame["churned"] = frame["monthly_charges"]
    elif mutate == "empty_feature":
        frame["senior"] = np.nan
    cfg = project_config(tmp_path, data=frame, config=config)
    with pytest.raises(InputDataError, match=pattern) as err:
        load(cfg, task)  # type: ignore[arg-type]
    assert "\n" not in str(err.value)


def test_missing_train_setting_and_target(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"data\.train is not set"):
        load(project_config(tmp_path, config={"data": {"train": None}}), "classification")
    with pytest.raises(ConfigError, match=r"data\.target is not set"):
        load(project_config(tmp_path, config={"data": {"target": None}}), "classification")


def test_explicit_split_files_are_checked_and_typed(tmp_path: Path) -> None:
    rows = example_rows(500)
    test = rows.iloc[400:].drop(columns=["region"])
    path = make_project(
        tmp_path,
        data=rows.iloc[:400],
        extra_files={"data/test.csv": test},
        config={"model": {"split": {"test_file": "data/test.csv"}}},
    )
    from shipml.config import load_config

    with pytest.raises(InputDataError, match=r"test data .*test\.csv lacks column\(s\) 'region'"):
        load(load_config(path), "classification")
    rows.iloc[400:].to_csv(tmp_path / "data" / "test.csv", index=False)
    tables = load(load_config(path), "classification")
    assert tables.test is not None and len(tables.test) == 100
    assert tables.test["tenure_months"].dtype == np.float64
    assert set(tables.files) == {"train", "test"}
