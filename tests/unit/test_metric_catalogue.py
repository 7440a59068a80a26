"""Training and the gate name, orient and compute each metric from one catalogue."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LinearRegression, LogisticRegression

from shipml.gate.metrics import BINDERS, BUILTIN, Predictions, metric_input
from shipml.metric_catalogue import CATALOGUE, trained
from shipml.train import metrics as train_metrics


def test_the_gate_binds_exactly_the_catalogued_metrics() -> None:
    assert set(BINDERS) == set(CATALOGUE) == set(BUILTIN)
    for name, info in CATALOGUE.items():
        spec = BUILTIN[name]
        assert (spec.higher_is_better, spec.needs, spec.unit_scale, spec.ranking) == (
            info.higher_is_better,
            info.needs,
            info.unit_scale,
            info.ranking,
        )
        assert spec.tasks == frozenset({info.task})


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_each_metric_names_a_real_sklearn_reference(name: str) -> None:
    function = CATALOGUE[name].sklearn.split()[0]
    assert callable(getattr(skm, function, None)), f"{name}: sklearn.metrics.{function} does not exist"


def _binary() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = pd.Series((X["a"] + rng.normal(scale=0.8, size=400) > 0).astype(int))
    return X, y


def test_training_reports_the_catalogues_trained_metrics_with_the_gates_values() -> None:
    X, y = _binary()
    model = LogisticRegression().fit(X, y)
    reported = train_metrics.evaluate("classification", model, X, y)
    assert set(reported) == set(trained("classification"))
    proba = model.predict_proba(X)
    pred = Predictions(labels=model.predict(X), scores=proba, classes=model.classes_)
    for name, value in reported.items():
        spec = BUILTIN[name]
        gate_value = spec.value(np.asarray(y), metric_input(spec, pred, np.asarray(pred.labels)))
        assert gate_value == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_regression_reports_the_catalogues_trained_metrics() -> None:
    X, y = _binary()
    target = X["a"] * 2 + y
    model = LinearRegression().fit(X, target)
    reported = train_metrics.evaluate("regression", model, X, target)
    assert set(reported) == set(trained("regression"))
