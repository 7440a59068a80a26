"""The logged model is the whole Pipeline: raw columns in, predictions out."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.datasets import make_classification, make_regression

from shipml.config.model import PreprocessingSection
from shipml.errors import ConfigError, InputDataError
from shipml.train import metrics, pipeline
from shipml.train.estimator import EstimatorSpec, resolve
from shipml.train.inputs import load
from tests.unit.test_train_project import example_rows, project_config


def _fitted(tmp_path: Path, model: dict[str, object] | None = None, data: pd.DataFrame | None = None):  # type: ignore[no-untyped-def]
    cfg = project_config(tmp_path, config={"model": model or {}}, data=data)
    spec = resolve(cfg)
    tables = load(cfg, spec.task)
    X, y = tables.train[tables.features], tables.train[tables.target]
    fitted = pipeline.fit(spec, cfg.model.preprocessing, tables.numeric, tables.categorical, X, y)
    return fitted, tables, X, y


def test_pipeline_takes_raw_columns_and_handles_unseen_values(tmp_path: Path) -> None:
    model, _, X, _ = _fitted(tmp_path)
    assert [name for name, _ in model.steps] == ["preprocess", "model"]
    raw = X.head(5).copy()
    raw.loc[raw.index[0], "region"] = "atlantis"  # a category never seen in training
    raw.loc[raw.index[1], "monthly_charges"] = np.nan  # a missing number
    raw["customer_id"] = "C999"  # extra columns are dropped, not an error
    pred = model.predict(raw)
    assert len(pred) == 5 and set(pred) <= {0, 1}
    names = list(model.named_steps["preprocess"].get_feature_names_out())
    assert "region_east" in names and "monthly_charges" in names


def test_ordinal_encoding_and_constant_imputation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = example_rows(300)
    frame.loc[::7, "contract"] = None
    model, *_ = _fitted(
        tmp_path,
        {"preprocessing": {"one_hot": False, "categorical_impute": "constant", "scale": False}},
        data=frame,
    )
    names = list(model.named_steps["preprocess"].get_feature_names_out())
    assert "contract" in names and not any(n.startswith("contract_") for n in names)
    categories = model.named_steps["preprocess"].named_transformers_["categorical"]["encode"].categories_
    assert any(pipeline.MISSING_CATEGORY in list(c) for c in categories)
    # unscaled inputs: lbfgs does not converge, and the user sees it once, as a one-line warning
    warned = [line for line in capsys.readouterr().err.splitlines() if "ConvergenceWarning" in line]
    assert len(warned) == 1 and warned[0].startswith("warning: ConvergenceWarning: lbfgs failed to converge")


def test_max_categories_groups_rare_levels(tmp_path: Path) -> None:
    model, *_ = _fitted(tmp_path, {"preprocessing": {"max_categories": 2}})
    names = list(model.named_steps["preprocess"].get_feature_names_out())
    assert any(n.endswith("_infrequent_sklearn") for n in names)


def test_no_imputation_with_missing_values_is_one_line_data_error(tmp_path: Path) -> None:
    frame = example_rows(300)
    frame.loc[::5, "total_charges"] = np.nan
    with pytest.raises(
        InputDataError, match=r"fitting LogisticRegression failed: Input X contains NaN"
    ) as err:
        _fitted(tmp_path, {"preprocessing": {"numeric_impute": "none"}}, data=frame)
    assert "\n" not in str(err.value)


def test_factory_gets_raw_frame_and_must_return_fitted_model(tmp_path: Path) -> None:
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0] * 5, "b": ["x", "y"] * 10})
    y = pd.Series([0, 1, 0, 1] * 5)

    def good(X_: pd.DataFrame, y_: pd.Series, params: dict[str, object]) -> object:
        from sklearn.linear_model import LogisticRegression

        assert list(X_.columns) == ["a", "b"] and params == {"C": 2.0}
        return LogisticRegression(C=2.0).fit(X_[["a"]], y_)

    def unfitted(X_: pd.DataFrame, y_: pd.Series, params: dict[str, object]) -> object:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression()

    def raises(X_: pd.DataFrame, y_: pd.Series, params: dict[str, object]) -> object:
        raise KeyError("no column zz")

    prep = PreprocessingSection()
    spec = EstimatorSpec(
        source="m:good", name="m:good", task="classification", params={"C": 2.0}, factory=good
    )
    assert pipeline.fit(spec, prep, [], [], X, y).C == 2.0
    with pytest.raises(ConfigError, match="returned an unfitted LogisticRegression"):
        pipeline.fit(EstimatorSpec("m:u", "m:u", "classification", factory=unfitted), prep, [], [], X, y)
    with pytest.raises(ConfigError, match=r"model\.factory m:r raised KeyError: 'no column zz'"):
        pipeline.fit(EstimatorSpec("m:r", "m:r", "classification", factory=raises), prep, [], [], X, y)


# -- metrics -----------------------------------------------------------------------------------


def test_binary_metrics_match_sklearn(tmp_path: Path) -> None:
    model, _, X, y = _fitted(tmp_path)
    got = metrics.evaluate("classification", model, X, y)
    pred, proba = model.predict(X), model.predict_proba(X)[:, 1]
    assert got["accuracy"] == skm.accuracy_score(y, pred)
    assert got["roc_auc"] == skm.roc_auc_score(y, proba)
    assert got["f1"] == skm.f1_score(y, pred)
    assert got["log_loss"] == skm.log_loss(y, model.predict_proba(X))
    assert set(got) == set(metrics.CLASSIFICATION)


def test_multiclass_and_decision_function_metrics() -> None:
    from sklearn.svm import LinearSVC

    Xa, ya = make_classification(n_samples=300, n_classes=3, n_informative=4, random_state=0)
    X, y = pd.DataFrame(Xa), pd.Series(ya)
    from sklearn.linear_model import LogisticRegression

    got = metrics.evaluate("classification", LogisticRegression(max_iter=500).fit(X, y), X, y)
    assert 0.5 < got["roc_auc"] <= 1 and "log_loss" in got
    assert got["f1"] == skm.f1_score(
        y, LogisticRegression(max_iter=500).fit(X, y).predict(X), average="macro"
    )
    got = metrics.evaluate("classification", LinearSVC(random_state=0).fit(X, y), X, y)
    assert "log_loss" not in got and "roc_auc" not in got  # multiclass AUC needs probabilities
    yb = (y == 1).astype(int)
    svc = LinearSVC(random_state=0).fit(X, yb)
    got = metrics.evaluate("classification", svc, X, yb)
    assert got["roc_auc"] == skm.roc_auc_score(yb, svc.decision_function(X)) and "log_loss" not in got


def test_roc_auc_left_out_when_a_split_has_one_class(tmp_path: Path) -> None:
    model, _, X, y = _fitted(tmp_path)
    only_zero = y == 0
    got = metrics.evaluate("classification", model, X[only_zero], y[only_zero])
    assert "roc_auc" not in got and "accuracy" in got


def test_regression_metrics_and_cv() -> None:
    from sklearn.linear_model import Ridge

    Xa, ya = make_regression(n_samples=200, n_features=5, noise=5.0, random_state=0)
    X, y = pd.DataFrame(Xa, columns=list("abcde")), pd.Series(ya)
    model = Ridge().fit(X, y)
    got = metrics.evaluate("regression", model, X, y)
    assert got["rmse"] == pytest.approx(math.sqrt(skm.mean_squared_error(y, model.predict(X))))
    assert got["r2"] == skm.r2_score(y, model.predict(X)) and set(got) == set(metrics.REGRESSION)

    def fit(Xf: pd.DataFrame, yf: pd.Series) -> object:
        return Ridge().fit(Xf, yf)

    cv = metrics.cross_validate("regression", fit, X, y, folds=4, seed=3, stratified=False)
    assert set(cv) == {f"{m}_{s}" for m in metrics.REGRESSION for s in ("mean", "std")}
    assert cv == metrics.cross_validate("regression", fit, X, y, folds=4, seed=3, stratified=False)
    assert cv != metrics.cross_validate("regression", fit, X, y, folds=4, seed=4, stratified=False)
    assert cv["rmse_std"] > 0
