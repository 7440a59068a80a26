"""Validated rows in, predictions (and the scores the metrics need) out.

Three paths, chosen once at start-up: ``compiled`` (the numpy encoder from
:mod:`.fastpath`, used only after it reproduced the real pipeline on the logged
input example and edge rows), ``dataframe`` (one DataFrame per request, typed
from the signature, for any sklearn model), ``pyfunc`` (non-sklearn flavors).

Classifiers are asked for ``predict_proba`` once per request; the label is the
arg-max class when the estimator's own ``predict`` is defined that way (checked
by family and on the check rows), which halves model time against calling both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .fastpath import CompiledEncoder, NotCompilable, compile_pipeline
from .mlmodel import ColumnSpec, ModelSpec

Kind = Literal["binary", "multiclass", "regression", "pyfunc"]
Path_ = Literal["compiled", "dataframe", "pyfunc"]

# Estimator families whose predict() is the arg-max of predict_proba (or monotone in it).
ARGMAX_FAMILIES = (
    "sklearn.ensemble.",
    "sklearn.tree.",
    "sklearn.linear_model.",
    "sklearn.naive_bayes.",
    "sklearn.neighbors.",
    "sklearn.calibration.",
)
UNSEEN = "__shipml_unseen_category__"
_PANDAS_DTYPES = {
    "double": "float64",
    "float": "float64",
    "long": "int64",
    "integer": "int64",
    "boolean": "bool",
}


@dataclass
class Predictions:
    outputs: list[dict[str, Any]]
    scores: list[float] = field(default_factory=list)  # binary: P(positive); multiclass: P(predicted)
    labels: list[str] = field(default_factory=list)  # predicted classes, for the class counter


class Predictor:
    """Wraps the loaded model with the fastest input path that gives identical answers."""

    def __init__(self, model: Any, spec: ModelSpec, columns: tuple[ColumnSpec, ...]) -> None:
        self.model = model
        self.columns = columns
        self._names = [c.name for c in columns]
        self.path: Path_ = "pyfunc" if spec.flavor != "sklearn" else "dataframe"
        self.kind: Kind = "pyfunc" if spec.flavor != "sklearn" else _kind(model)
        self.classes: list[Any] = _plain_list(model.classes_) if self.kind in ("binary", "multiclass") else []
        self._class_names = [str(c) for c in self.classes]
        self.fallback_reason = ""
        self._encoder: CompiledEncoder | None = None
        self._argmax = False
        if self.kind in ("binary", "multiclass"):
            final = model.steps[-1][1] if hasattr(model, "steps") else model
            self._argmax = type(final).__module__.startswith(ARGMAX_FAMILIES)
        if self.path == "dataframe":
            self._choose_path(check_rows(spec, columns))

    # -- set-up -------------------------------------------------------------------------------

    def _choose_path(self, rows: list[list[Any]]) -> None:
        """Compile the preprocessing, then keep it only if it matches the real pipeline exactly."""
        frame = self.frame(rows)
        if self._argmax:
            expected = np.asarray(self.model.predict(frame))
            derived = np.asarray(self.classes, dtype=object)[
                np.argmax(self.model.predict_proba(frame), axis=1)
            ]
            self._argmax = bool(np.array_equal(expected.astype(object), derived))
        try:
            encoder = compile_pipeline(self.model, self.columns)
            fast = encoder.encode(rows)
        except NotCompilable as exc:
            self.fallback_reason = str(exc)
            return
        slow = np.asarray(self.model[:-1].transform(frame), dtype=np.float64)
        if fast.shape != slow.shape or not np.allclose(fast, slow, rtol=1e-9, atol=1e-12, equal_nan=True):
            self.fallback_reason = "the compiled preprocessing differs from the pipeline on the check rows"
            return
        self._encoder = encoder
        self.path = "compiled"

    # -- prediction ---------------------------------------------------------------------------

    def frame(self, rows: list[list[Any]]) -> Any:
        """A DataFrame typed from the signature (nulls as NaN), built column-wise (cheapest)."""
        import pandas as pd

        data: dict[str, Any] = {}
        for j, col in enumerate(self.columns):
            values = [row[j] for row in rows]
            dtype = _PANDAS_DTYPES.get(col.type)
            if dtype == "float64":
                data[col.name] = np.array(values, dtype=np.float64)
            elif dtype is not None and all(v is not None for v in values):
                data[col.name] = np.array(values, dtype=dtype)
            else:
                data[col.name] = np.array([np.nan if v is None else v for v in values], dtype=object)
        return pd.DataFrame(data, columns=self._names, copy=False)

    def predict(self, rows: list[list[Any]]) -> Predictions:
        if self.kind in ("binary", "multiclass"):
            return self._classify(rows)
        if self._encoder is not None:
            raw = self._encoder.final.predict(self._encoder.encode(rows))
        else:
            raw = self.model.predict(self.frame(rows))
        values = _plain_list(raw)
        if self.kind == "regression":
            return Predictions([{"prediction": v} for v in values])
        labels = [str(v) for v in values] if values and not isinstance(values[0], float) else []
        return Predictions([{"prediction": v} for v in values], labels=labels)

    def _classify(self, rows: list[list[Any]]) -> Predictions:
        if self._encoder is not None:
            x: Any = self._encoder.encode(rows)
            est = self._encoder.final
        else:
            x, est = self.frame(rows), self.model
        proba = np.asarray(est.predict_proba(x), dtype=np.float64)
        top = np.argmax(proba, axis=1).tolist()
        if self._argmax:
            index = top
        else:
            lookup = {c: i for i, c in enumerate(self.classes)}
            index = [lookup[v] for v in _plain_list(est.predict(x))]
        classes, names = self.classes, self._class_names
        if self.kind == "binary":
            scores = proba[:, 1].tolist()
            outputs = [{"prediction": classes[k], "score": s} for k, s in zip(index, scores, strict=True)]
        else:
            table = proba.tolist()
            scores = [table[r][k] for r, k in enumerate(index)]
            outputs = [
                {"prediction": classes[k], "probabilities": dict(zip(names, probs, strict=True))}
                for k, probs in zip(index, table, strict=True)
            ]
        return Predictions(outputs, scores, [names[k] for k in index])

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "input_path": self.path,
            "fallback_reason": self.fallback_reason or None,
            "classes": self.classes,
            "label_from_proba": self._argmax,
        }


def _kind(model: Any) -> Kind:
    if hasattr(model, "predict_proba") and hasattr(model, "classes_"):
        return "binary" if len(model.classes_) == 2 else "multiclass"
    return "regression"


def _plain_list(values: Any) -> list[Any]:
    """numpy scalars -> JSON-ready Python values."""
    out: list[Any] = np.asarray(values).tolist()
    return [None if isinstance(v, float) and math.isnan(v) else v for v in out]


def model_columns(spec: ModelSpec, model: Any) -> tuple[ColumnSpec, ...] | None:
    """The signature's columns, else the fitted model's feature names (typed "any")."""
    if spec.columns is not None:
        return spec.columns
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return None
    return tuple(ColumnSpec(name=str(n), type="any") for n in names)


def check_rows(spec: ModelSpec, columns: tuple[ColumnSpec, ...]) -> list[list[Any]]:
    """Rows to compare the fast path with the pipeline: the logged example, then edge cases."""
    base: list[list[Any]] = []
    for example in spec.input_example:
        base.append([example.get(c.name) for c in columns])
    if not base:
        base.append([_placeholder(c) for c in columns])
    rows = [list(r) for r in base]
    first = base[0]
    for j, col in enumerate(columns):
        if col.type in ("double", "float") or not col.required:
            rows.append([None if k == j else v for k, v in enumerate(first)])
        if col.type == "string":
            rows.append([UNSEEN if k == j else v for k, v in enumerate(first)])
    return rows


def _placeholder(col: ColumnSpec) -> Any:
    return {"double": 0.0, "float": 0.0, "long": 0, "integer": 0, "boolean": False}.get(col.type, "a")
