"""A pandas-free input path for the preprocessing pipelines ``shipml train`` builds.

Measured on the churn example: the fitted ColumnTransformer (imputers, scaler,
one-hot) spends several milliseconds per single-row request in pandas and
sklearn's input checks, more than the gradient-boosted model itself. Its
fitted state is a handful of arrays (medians, means, scales, category lists), so
it is "compiled" here into numpy operations on validated rows.

Only transformers whose arithmetic is reproduced exactly are compiled
(SimpleImputer, StandardScaler, OneHotEncoder, OrdinalEncoder, passthrough);
anything else returns a reason and the server uses the DataFrame path. Even a
compiled encoder is used only after :mod:`.predictor` checked that it matches
the real pipeline on the logged input example and on edge rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .mlmodel import ColumnSpec

NUMERIC_TYPES = frozenset({"double", "float", "long", "integer", "boolean"})

Step = Callable[[np.ndarray], np.ndarray]


class NotCompilable(Exception):
    """This pipeline uses something the fast path does not reproduce; say what."""


@dataclass
class _Group:
    positions: list[int]  # where the group's columns sit in a validated row
    numeric: bool
    steps: list[Step]


@dataclass
class CompiledEncoder:
    """Rows (value lists in signature order) -> the final estimator's input matrix."""

    groups: list[_Group]
    final: Any

    def encode(self, rows: list[list[Any]]) -> np.ndarray:
        blocks = []
        for group in self.groups:
            if group.numeric:
                block: np.ndarray = np.array(
                    [[row[i] for i in group.positions] for row in rows], dtype=np.float64
                )
            else:
                block = np.empty((len(rows), len(group.positions)), dtype=object)
                for r, row in enumerate(rows):
                    for j, i in enumerate(group.positions):
                        block[r, j] = row[i]
            for step in group.steps:
                block = step(block)
            blocks.append(block)
        return blocks[0] if len(blocks) == 1 else np.hstack(blocks)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def compile_pipeline(model: Any, columns: tuple[ColumnSpec, ...]) -> CompiledEncoder:
    """Compile ``Pipeline([ColumnTransformer, estimator])``; raise NotCompilable with the reason."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if not isinstance(model, Pipeline) or len(model.steps) != 2:
        raise NotCompilable(f"{type(model).__name__} is not a Pipeline(preprocess, model)")
    ct, final = model.steps[0][1], model.steps[-1][1]
    if not isinstance(ct, ColumnTransformer):
        raise NotCompilable(f"first step is {type(ct).__name__}, not a ColumnTransformer")
    if getattr(ct, "sparse_output_", False):
        raise NotCompilable("the ColumnTransformer outputs a sparse matrix")
    if hasattr(final, "feature_names_in_"):
        raise NotCompilable("the estimator was fitted on a DataFrame (it checks feature names)")
    position = {col.name: i for i, col in enumerate(columns)}
    kinds = {col.name: col.type for col in columns}
    groups = []
    for name, transformer, cols in ct.transformers_:
        if transformer == "drop" or (name == "remainder" and len(cols) == 0):
            continue
        if not isinstance(cols, list) or not all(isinstance(c, str) and c in position for c in cols):
            raise NotCompilable(f"transformer {name!r} selects columns {cols!r}, not signature column names")
        numeric = all(kinds[c] in NUMERIC_TYPES for c in cols)
        if transformer == "passthrough":
            parts: list[Any] = []
        elif isinstance(transformer, Pipeline):
            parts = [step for _, step in transformer.steps if step not in (None, "passthrough")]
        else:
            parts = [transformer]
        steps = []
        is_numeric = numeric
        for part in parts:
            step, is_numeric = _compile_step(part, is_numeric)
            steps.append(step)
        if not is_numeric:
            raise NotCompilable(f"transformer {name!r} leaves non-numeric values")
        groups.append(_Group([position[c] for c in cols], numeric, steps))
    if not groups:
        raise NotCompilable("the ColumnTransformer selects no columns")
    return CompiledEncoder(groups, final)


def _compile_step(part: Any, numeric: bool) -> tuple[Step, bool]:
    """One fitted transformer as a numpy function, and whether its output is numeric."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    # Exact types only: a subclass may change the arithmetic.
    if type(part) is SimpleImputer:
        return _imputer(part, numeric), numeric
    if type(part) is StandardScaler:
        if not numeric:
            raise NotCompilable("StandardScaler on non-numeric columns")
        return _scaler(part), True
    if type(part) in (OneHotEncoder, OrdinalEncoder):
        return _encoder(part), True
    raise NotCompilable(f"{type(part).__name__} is not compiled")


def _imputer(imp: Any, numeric: bool) -> Step:
    missing = imp.missing_values
    if not (isinstance(missing, float) and math.isnan(missing)) or imp.indicator_ is not None:
        raise NotCompilable("SimpleImputer with a non-NaN missing value or an indicator")
    stats = np.asarray(imp.statistics_)
    if numeric:
        stats = stats.astype(np.float64)
        if np.isnan(stats).any():
            raise NotCompilable("SimpleImputer dropped an all-missing column")

        def impute_numeric(x: np.ndarray) -> np.ndarray:
            return np.where(np.isnan(x), stats, x)

        return impute_numeric
    fills = list(stats)
    if any(_is_missing(f) for f in fills):
        raise NotCompilable("SimpleImputer has a missing fill value")

    def impute_object(x: np.ndarray) -> np.ndarray:
        out = x.copy()
        for r in range(out.shape[0]):
            for j, fill in enumerate(fills):
                if _is_missing(out[r, j]):
                    out[r, j] = fill
        return out

    return impute_object


def _scaler(scaler: Any) -> Step:
    mean = None if scaler.mean_ is None or not scaler.with_mean else np.asarray(scaler.mean_, np.float64)
    scale = None if scaler.scale_ is None or not scaler.with_std else np.asarray(scaler.scale_, np.float64)

    def standardize(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float64, copy=True)
        if mean is not None:
            x -= mean
        if scale is not None:
            x /= scale
        return x

    return standardize


def _encoder(enc: Any) -> Step:
    from sklearn.preprocessing import OneHotEncoder

    if getattr(enc, "_infrequent_enabled", False):
        raise NotCompilable(f"{type(enc).__name__} with infrequent categories")
    lookups = []
    for cats in enc.categories_:
        if any(_is_missing(c) for c in cats):
            raise NotCompilable(f"{type(enc).__name__} learned a missing-value category")
        lookups.append({c: i for i, c in enumerate(cats.tolist())})
    dtype = np.dtype(enc.dtype)
    if type(enc) is OneHotEncoder:
        if enc.drop_idx_ is not None or enc.handle_unknown not in ("ignore", "infrequent_if_exist"):
            raise NotCompilable("OneHotEncoder with drop or handle_unknown='error'")
        offsets = np.cumsum([0] + [len(lu) for lu in lookups]).tolist()
        width = offsets[-1]

        def one_hot(x: np.ndarray) -> np.ndarray:
            out = np.zeros((x.shape[0], width), dtype=dtype)
            for j, lookup in enumerate(lookups):
                base = offsets[j]
                for r in range(x.shape[0]):
                    k = lookup.get(x[r, j])
                    if k is not None:
                        out[r, base + k] = 1
            return out

        return one_hot
    if enc.handle_unknown != "use_encoded_value":
        raise NotCompilable("OrdinalEncoder with handle_unknown='error'")
    unknown, missing_code = float(enc.unknown_value), float(enc.encoded_missing_value)

    def ordinal(x: np.ndarray) -> np.ndarray:
        out = np.empty(x.shape, dtype=dtype)
        for j, lookup in enumerate(lookups):
            for r in range(x.shape[0]):
                value = x[r, j]
                out[r, j] = missing_code if _is_missing(value) else lookup.get(value, unknown)
        return out

    return ordinal
