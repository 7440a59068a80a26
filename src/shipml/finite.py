"""Refusing NaN/inf where a number must be: one check for every capability that reads predictions.

A model that predicts NaN on some rows makes every metric on those rows undefined;
scikit-learn then raises deep inside a metric ("Input contains NaN"), which would
surface as an internal error. Saying which values, how many and where is a user's
fix (the pipeline's handling of missing values), so it is bad input: exit 2.
"""

from __future__ import annotations

from typing import Any

from .errors import InputDataError


def require_finite(values: Any, what: str, *, hint: str) -> None:
    """Raise :class:`InputDataError` naming ``what`` when a float array holds NaN or inf (row-wise)."""
    import numpy as np

    arr = np.asarray(values)
    if arr.dtype.kind not in "fc" or arr.size == 0:
        return
    bad = ~np.isfinite(arr).reshape(len(arr), -1).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"{what}: NaN/inf for {int(bad.sum())} of {len(arr)} rows (first at row {first})",
            hint=hint,
        )
