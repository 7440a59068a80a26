"""A model that predicts NaN is bad input for training (exit 2 naming it), not an internal error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shipml.errors import ExitCode, InputDataError
from shipml.train import metrics


class NanRegressor:
    def predict(self, X: pd.DataFrame) -> np.ndarray:
        out = np.arange(len(X), dtype=float)
        out[3] = np.nan
        return out


class NanClassifier:
    classes_ = np.array([0, 1])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.zeros(len(X), dtype=int)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        proba = np.full((len(X), 2), 0.5)
        proba[[1, 4]] = np.nan
        return proba


def test_nan_regression_predictions_are_bad_input() -> None:
    X = pd.DataFrame({"a": range(10)})
    with pytest.raises(InputDataError) as err:
        metrics.evaluate("regression", NanRegressor(), X, pd.Series(range(10), dtype=float))
    assert "the trained model's predictions: NaN/inf for 1 of 10 rows (first at row 3)" in str(err.value)
    assert err.value.exit_code == ExitCode.BAD_INPUT


def test_nan_probabilities_are_bad_input() -> None:
    X = pd.DataFrame({"a": range(10)})
    with pytest.raises(InputDataError, match=r"probabilities: NaN/inf for 2 of 10 rows \(first at row 1\)"):
        metrics.evaluate("classification", NanClassifier(), X, pd.Series([0, 1] * 5))
