"""Train/validation/test metrics and optional k-fold CV, named as the gate names them.

Names (``roc_auc``, ``accuracy``, ``rmse``...) match ``gate.primary_metric`` and
the gate's rules so a user reads the same number in the training summary and
in the gate's verdict. A metric that is undefined on a split (ROC AUC on a split
with one class) is left out rather than reported as NaN.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..finite import require_finite
from ..metric_catalogue import trained
from .estimator import Task

if TYPE_CHECKING:
    import pandas as pd

NAN_HINT = "make the pipeline handle missing values (model.preprocessing) or fix the estimator"
CLASSIFICATION = trained("classification")
REGRESSION = trained("regression")


def _classes(model: Any, y: pd.Series) -> list[Any]:
    classes = getattr(model, "classes_", None)
    return list(classes) if classes is not None else sorted(y.unique().tolist())


def _classification(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    import numpy as np
    from sklearn import metrics as m

    classes = _classes(model, y)
    pred = model.predict(X)
    require_finite(pred, "the trained model's predictions", hint=NAN_HINT)
    binary = len(classes) == 2
    avg: dict[str, Any] = {"average": "binary", "pos_label": classes[1]} if binary else {"average": "macro"}
    out = {
        "accuracy": m.accuracy_score(y, pred),
        "balanced_accuracy": m.balanced_accuracy_score(y, pred),
        "f1": m.f1_score(y, pred, zero_division=0, **avg),
        "precision": m.precision_score(y, pred, zero_division=0, **avg),
        "recall": m.recall_score(y, pred, zero_division=0, **avg),
    }
    scores = None
    if callable(getattr(model, "predict_proba", None)):
        proba = np.asarray(model.predict_proba(X))
        require_finite(proba, "the trained model's probabilities", hint=NAN_HINT)
        out["log_loss"] = m.log_loss(y, proba, labels=classes)
        scores = proba[:, 1] if binary else proba
    elif callable(getattr(model, "decision_function", None)):
        scores = np.asarray(model.decision_function(X))
    if scores is not None and y.nunique() == len(classes):
        if binary:
            out["roc_auc"] = m.roc_auc_score(np.asarray(y) == classes[1], scores)
        elif scores.ndim == 2 and np.allclose(scores.sum(axis=1), 1):  # multiclass AUC needs probabilities
            out["roc_auc"] = m.roc_auc_score(y, scores, multi_class="ovr", average="macro", labels=classes)
    return {k: float(v) for k, v in out.items() if v is not None and math.isfinite(float(v))}


def _regression(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    from sklearn import metrics as m

    pred = model.predict(X)
    require_finite(pred, "the trained model's predictions", hint=NAN_HINT)
    out = {
        "rmse": math.sqrt(m.mean_squared_error(y, pred)),
        "mae": m.mean_absolute_error(y, pred),
    }
    if len(y) >= 2:
        out["r2"] = m.r2_score(y, pred)
    return {k: float(v) for k, v in out.items() if math.isfinite(float(v))}


def evaluate(task: Task, model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    # Undefined cases (a class absent from a small split) are handled above; sklearn's warnings
    # about them would only clutter the job log.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _classification(model, X, y) if task == "classification" else _regression(model, X, y)


def cross_validate(
    task: Task,
    fit: Callable[[pd.DataFrame, pd.Series], Any],
    X: pd.DataFrame,
    y: pd.Series,
    *,
    folds: int,
    seed: int,
    stratified: bool,
) -> dict[str, float]:
    """Mean and std of each metric over seeded k folds; each fold fits a fresh model via ``fit``."""
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = (StratifiedKFold if stratified else KFold)(n_splits=folds, shuffle=True, random_state=seed)
    per_fold: list[dict[str, float]] = []
    for train_idx, test_idx in splitter.split(X, y):
        model = fit(X.iloc[train_idx], y.iloc[train_idx])
        per_fold.append(evaluate(task, model, X.iloc[test_idx], y.iloc[test_idx]))
    out: dict[str, float] = {}
    for name in per_fold[0]:
        values = [fold[name] for fold in per_fold if name in fold]
        if len(values) == len(per_fold):
            out[f"{name}_mean"] = float(np.mean(values))
            out[f"{name}_std"] = float(np.std(values))
    return out
