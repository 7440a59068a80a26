"""Score champion and challenger on the same evaluation rows, once, and check what comes back.

Everything downstream (metrics, bootstrap, slices) works from the arrays built
here, so the models run exactly once per gate and every problem with the
evaluation set or a model's output is caught before any statistic is computed:
a missing target or feature, labels the models never predict, a prediction of
the wrong shape, NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .. import runner
from ..datasets import read_table, sha256_of
from ..errors import InputDataError, first_line
from ..finite import require_finite
from .metrics import Predictions, Task
from .models import LoadedModel

if TYPE_CHECKING:
    import pandas as pd

    from ..config import ShipmlConfig


@dataclass
class EvaluationSet:
    frame: pd.DataFrame
    source: str  # for messages and the report
    sha256: str
    target: str


@dataclass
class Scored:
    y_true: np.ndarray[Any, Any]
    champion: Predictions | None
    challenger: Predictions
    task: Task
    frame: pd.DataFrame  # the evaluation rows, for slicing


def resolve_task(cfg: ShipmlConfig, challenger: LoadedModel) -> Task:
    if cfg.model.task:
        return cfg.model.task
    tagged = challenger.ref.tags.get("shipml.task")
    if tagged in ("classification", "regression"):
        return cast(Task, tagged)
    model = challenger.model
    return (
        "classification" if hasattr(model, "predict_proba") and hasattr(model, "classes_") else "regression"
    )


def resolve_target(cfg: ShipmlConfig, challenger: LoadedModel, champion: LoadedModel | None) -> str:
    target = cfg.data.target or challenger.ref.tags.get("shipml.target")
    if not target and champion is not None:
        target = champion.ref.tags.get("shipml.target")
    if not target:
        raise InputDataError(
            "the target column is unknown: data.target is not set and the challenger has no "
            "shipml.target tag",
            hint="set data.target in shipml.yaml",
        )
    return target


def load_evaluation(path: Path, source: str, target: str) -> EvaluationSet:
    frame = read_table(path, role="evaluation set")
    if target not in frame.columns:
        raise InputDataError(
            f"{source} has no target column '{target}' (columns: {', '.join(map(str, frame.columns[:12]))}"
            f"{', ...' if len(frame.columns) > 12 else ''})",
            hint="set data.target to the label column, or use an evaluation set that includes it",
        )
    missing = int(frame[target].isna().sum())
    if missing:
        raise InputDataError(
            f"{source}: target '{target}' is empty in {missing} of {len(frame)} rows",
            hint="drop or fill those rows; the gate scores labelled rows only",
        )
    return EvaluationSet(frame.reset_index(drop=True), source, sha256_of(path), target)


def feature_columns(model: LoadedModel, frame: pd.DataFrame, target: str, ignore: list[str]) -> list[str]:
    if model.features is not None:
        absent = [c for c in model.features if c not in frame.columns]
        if absent:
            raise InputDataError(
                f"the evaluation set lacks {len(absent)} feature(s) the {model.ref.role} needs: "
                f"{absent[:10]}",
                hint="evaluate on rows with every column both models use "
                "(data.evaluation or --evaluation PATH)",
            )
        return list(model.features)
    return [c for c in frame.columns if c != target and c not in ignore]


def _array(value: Any) -> np.ndarray[Any, Any]:
    """pandas/pyfunc outputs as a plain array (a one-column frame becomes a vector)."""
    arr = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value)
    return arr.ravel() if arr.ndim == 2 and arr.shape[1] == 1 else arr


def _check_finite(values: np.ndarray[Any, Any], model: LoadedModel, what: str) -> None:
    require_finite(
        values,
        f"{model.ref.label()} returned {what} on the evaluation rows",
        hint="check the model's preprocessing handles missing values in the evaluation set",
    )


def _check_rows(values: np.ndarray[Any, Any], n: int, model: LoadedModel, what: str) -> None:
    if values.ndim == 0 or values.shape[0] != n:
        raise InputDataError(
            f"prediction shape mismatch: {model.ref.label()} returned {what} of shape "
            f"{values.shape} for {n} rows",
            hint="the model must return one prediction per input row",
        )


def _call(model: LoadedModel, method: str, X: pd.DataFrame) -> np.ndarray[Any, Any]:
    try:
        return _array(getattr(model.model, method)(X))
    except InputDataError:
        raise
    except Exception as exc:  # the model's own code failed on these rows: report it as unusable input
        first = first_line(exc)
        raise InputDataError(
            f"{model.ref.label()} failed to {method} the evaluation set: {first}",
            hint="check the evaluation set has the columns and types the model was trained on",
        ) from None


def predict(model: LoadedModel, X: pd.DataFrame, task: Task) -> Predictions:
    n = len(X)
    if task == "regression":
        values = _call(model, "predict", X)
        _check_rows(values, n, model, "predictions")
        if values.ndim != 1 or values.dtype.kind not in "iufb":
            raise InputDataError(
                f"prediction shape mismatch: {model.ref.label()} returned {values.dtype} values of shape "
                f"{values.shape}, not one number per row",
                hint="a regression gate needs a regressor (set model.task if it was inferred wrongly)",
            )
        values = values.astype(np.float64)
        _check_finite(values, model, "predictions")
        return Predictions(labels=None, scores=values, classes=None)
    if not hasattr(model.model, "predict_proba") or not hasattr(model.model, "classes_"):
        raise InputDataError(
            f"{model.ref.label()} has no predict_proba/classes_: the gate needs class probabilities",
            hint="log a scikit-learn classifier that supports predict_proba (or set model.task: regression)",
        )
    classes = np.asarray(model.model.classes_)
    proba = _call(model, "predict_proba", X)
    _check_rows(proba, n, model, "probabilities")
    if proba.ndim != 2 or proba.shape[1] != len(classes):
        raise InputDataError(
            f"prediction shape mismatch: {model.ref.label()} returned probabilities of shape {proba.shape} "
            f"for {len(classes)} classes",
            hint="the model must return one probability column per class",
        )
    proba = proba.astype(np.float64)
    _check_finite(proba, model, "probabilities")
    labels = _call(model, "predict", X)
    _check_rows(labels, n, model, "labels")
    unknown = sorted(set(labels.tolist()) - set(classes.tolist()), key=str)
    if labels.ndim != 1 or unknown:
        raise InputDataError(
            f"prediction shape mismatch: {model.ref.label()} predicted labels {unknown[:5]} "
            "outside its classes "
            f"{classes.tolist()[:10]}",
            hint="check the model's predict and predict_proba agree",
        )
    return Predictions(labels=labels, scores=proba, classes=classes)


def _same_classes(champion: Predictions, challenger: Predictions) -> None:
    a = [] if champion.classes is None else champion.classes.tolist()
    b = [] if challenger.classes is None else challenger.classes.tolist()
    if a != b:
        raise InputDataError(
            f"prediction shape mismatch: the champion predicts classes {a[:10]} but the challenger {b[:10]}",
            hint="both models must be trained on the same label set to be compared",
        )


def _y_true(
    frame: pd.DataFrame, target: str, task: Task, classes: np.ndarray[Any, Any] | None
) -> np.ndarray[Any, Any]:
    y = frame[target].to_numpy()
    if task == "regression":
        if y.dtype.kind not in "iufb":
            raise InputDataError(
                f"evaluation target '{target}' is not numeric ({y.dtype}) but the task is regression",
                hint="set model.task: classification, or point data.target at the numeric label",
            )
        return y.astype(np.float64)
    assert classes is not None
    known = set(classes.tolist())
    unknown = sorted({v for v in y.tolist() if v not in known}, key=str)
    if unknown:
        raise InputDataError(
            f"evaluation target '{target}' has values {unknown[:5]} the models never predict "
            f"(classes {classes.tolist()[:10]})",
            hint="evaluate on rows whose labels the models were trained on",
        )
    return y


def score(
    evaluation: EvaluationSet,
    task: Task,
    champion: LoadedModel | None,
    challenger: LoadedModel,
    ignore: list[str],
) -> Scored:
    """Both models on the same rows; each sees its own feature columns of those rows."""
    frame = evaluation.frame
    challenger_pred = predict(
        challenger, frame[feature_columns(challenger, frame, evaluation.target, ignore)], task
    )
    champion_pred = None
    if champion is not None:
        champion_pred = predict(
            champion, frame[feature_columns(champion, frame, evaluation.target, ignore)], task
        )
        if task == "classification":
            _same_classes(champion_pred, challenger_pred)
    y = _y_true(frame, evaluation.target, task, challenger_pred.classes)
    if task == "classification" and len(set(y.tolist())) < 2:
        runner.warning(
            f"{evaluation.source} holds a single class ({y.tolist()[0]!r}): "
            "ranking metrics such as ROC AUC are undefined"
        )
    return Scored(y, champion_pred, challenger_pred, task, frame)
