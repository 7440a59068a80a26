"""The preprocessing + estimator Pipeline that is fitted, evaluated and logged as one model.

Logging the whole Pipeline (not the bare estimator) is what removes
training-serving skew: whoever loads ``models:/NAME@alias`` feeds it raw feature
columns and gets exactly the imputation, scaling and encoding used in training.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .. import runner
from ..config.model import PreprocessingSection
from ..errors import ConfigError, InputDataError, first_line
from .estimator import EstimatorSpec

if TYPE_CHECKING:
    import pandas as pd

MISSING_CATEGORY = "__missing__"


def preprocessor(spec: PreprocessingSection, numeric: list[str], categorical: list[str]) -> Any:
    """A ColumnTransformer for the configured columns; columns not listed are dropped."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    parts: list[tuple[str, Any, list[str]]] = []
    if numeric:
        steps: list[tuple[str, Any]] = []
        if spec.numeric_impute != "none":
            steps.append(("impute", SimpleImputer(strategy=spec.numeric_impute)))
        if spec.scale:
            steps.append(("scale", StandardScaler()))
        parts.append(("numeric", Pipeline(steps) if steps else "passthrough", numeric))
    if categorical:
        steps = []
        if spec.categorical_impute == "most_frequent":
            steps.append(("impute", SimpleImputer(strategy="most_frequent")))
        elif spec.categorical_impute == "constant":
            steps.append(("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)))
        if spec.one_hot:
            encoder: Any = OneHotEncoder(
                handle_unknown="infrequent_if_exist" if spec.max_categories else "ignore",
                max_categories=spec.max_categories,
                sparse_output=False,  # several estimators (HistGradientBoosting*) reject sparse input
            )
        else:
            encoder = OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=-1,
                encoded_missing_value=-2,
                max_categories=spec.max_categories,
            )
        steps.append(("encode", encoder))
        parts.append(("categorical", Pipeline(steps), categorical))
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)


def build(spec: EstimatorSpec, prep: PreprocessingSection, numeric: list[str], categorical: list[str]) -> Any:
    """An unfitted Pipeline(preprocess -> model) for an estimator class."""
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    if spec.estimator is None:
        raise ValueError("build() needs an estimator class; factories build their own model")
    return Pipeline(
        [("preprocess", preprocessor(prep, numeric, categorical)), ("model", clone(spec.estimator))]
    )


def fit(
    spec: EstimatorSpec,
    prep: PreprocessingSection,
    numeric: list[str],
    categorical: list[str],
    X: pd.DataFrame,
    y: pd.Series,
) -> Any:
    """Fit a fresh model; data problems sklearn detects become one line (exit 2), not a traceback."""
    if spec.factory is not None:
        return _fit_factory(spec, X, y)
    model = build(spec, prep, numeric, categorical)
    try:
        with _warnings_as_annotations():
            model.fit(X, y)
    except (ValueError, TypeError) as exc:
        raise InputDataError(
            f"fitting {spec.name} failed: {first_line(exc)}",
            hint="check model.preprocessing (e.g. imputation) and the training data",
        ) from exc
    return model


@contextmanager
def _warnings_as_annotations() -> Iterator[None]:
    """Fit warnings (e.g. no convergence) once each, as one-line warnings the Actions UI shows."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    seen: set[str] = set()
    for item in caught:
        text = f"{item.category.__name__}: {str(item.message).strip().splitlines()[0]}"
        if text not in seen:
            seen.add(text)
            runner.warning(text, title="shipml train")


def _fit_factory(spec: EstimatorSpec, X: pd.DataFrame, y: pd.Series) -> Any:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    assert spec.factory is not None
    try:
        with _warnings_as_annotations():
            model = spec.factory(X, y, dict(spec.params))
    except Exception as exc:
        raise ConfigError(
            f"model.factory {spec.source} raised {type(exc).__name__}: {first_line(exc)}",
            hint="fix the factory (run with --debug for the traceback)",
        ) from exc
    if not callable(getattr(model, "predict", None)):
        raise ConfigError(
            f"model.factory {spec.source} returned {type(model).__name__}, which has no predict()",
            hint="return a fitted scikit-learn estimator or Pipeline",
        )
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ConfigError(
            f"model.factory {spec.source} returned an unfitted {type(model).__name__}",
            hint="call fit(X, y) before returning it",
        ) from None
    except TypeError:
        pass  # not a sklearn estimator: trust predict()
    return model
