"""Evaluation rows and both models' predictions in the one form every metric and test consumes.

Class labels become indices of the challenger's classes, probability columns
are put in that order, binary labels come from ``gate.threshold`` (ties go to
the positive class), and the rows are put in a **canonical order** decided by
their content. That order is why a verdict cannot depend on how the
evaluation file happens to be sorted, or on whether it was CSV or Parquet:
the bootstrap draws row positions, and after canonicalisation a position
means the same row whatever order the file had. Rows with identical content
are interchangeable, so ties in that order do not matter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputDataError
from ..finite import require_finite
from .metrics import MetricSpec, Predictions, Task


@dataclass(frozen=True)
class Encoded:
    """Evaluation rows in the form the metrics consume."""

    y: NDArray[Any]  # class indices (classification) or float targets
    classes: NDArray[Any] | None
    challenger_labels: NDArray[Any] | None
    challenger_scores: NDArray[Any]
    champion_labels: NDArray[Any] | None
    champion_scores: NDArray[Any] | None


def finite_or_none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _check_finite(values: NDArray[Any], what: str) -> None:
    require_finite(values, what, hint="make the model's pipeline handle missing values in the evaluation set")


def _encode_labels(values: NDArray[Any], classes: NDArray[Any], what: str) -> NDArray[np.intp]:
    """Class labels -> column indices of ``classes``; unknown labels are an input error."""
    arr = np.asarray(values)
    known = np.asarray(classes)
    try:  # vectorised: sort the classes once, binary-search every label
        order = np.argsort(known, kind="stable")
        pos = np.clip(np.searchsorted(known[order], arr), 0, len(known) - 1)
        found = known[order][pos] == arr
        if np.all(found):
            return np.asarray(order[pos], dtype=np.intp)
    except TypeError:  # labels and classes of incomparable types (e.g. 1 vs "yes"): report below
        pass
    lookup = {c.item() if hasattr(c, "item") else c: i for i, c in enumerate(known)}
    flat = [v.item() if hasattr(v, "item") else v for v in arr]
    unknown = sorted({repr(v) for v in flat if v not in lookup})
    if unknown:
        shown = ", ".join(unknown[:5])
        names = ", ".join(repr(c) for c in lookup)
        raise InputDataError(
            f"{what} contain label(s) {shown} that are not among the model's classes ({names})",
            hint="check the target column and that both models were trained on the same labels",
        )
    return np.fromiter((lookup[v] for v in flat), dtype=np.intp, count=len(flat))


def _scores_matrix(p: Predictions, n: int, k: int, role: str) -> NDArray[np.float64]:
    scores = np.asarray(p.scores, dtype=np.float64)
    if scores.ndim == 1 and k == 2:
        scores = np.column_stack([1.0 - scores, scores])
    if scores.ndim != 2 or scores.shape != (n, k):
        raise InputDataError(
            f"{role} scores have shape {tuple(np.asarray(p.scores).shape)}, expected ({n}, {k}) "
            f"class probabilities for {n} rows",
            hint="the model must provide predict_proba with one column per class",
        )
    return scores


def _align(
    p: Predictions, classes: NDArray[Any], n: int, role: str, threshold: float | None
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Encoded labels and probability columns in ``classes`` order.

    Binary: label = positive (index 1) when its probability is ``>= threshold``,
    so a tie goes to the positive class, the common convention; scikit-learn's
    ``predict()`` sends a 0.5 tie to the negative class, which is why labels are
    not taken from it. Multiclass (or ``threshold`` None): the model's own labels.
    """
    if p.classes is None:
        raise InputDataError(
            f"{role} predictions carry no class list", hint="score a classifier with classes_"
        )
    own = np.asarray(p.classes)
    if len(own) != len(classes) or set(own.tolist()) != set(classes.tolist()):
        raise InputDataError(
            f"{role} classes {own.tolist()} differ from the challenger's {classes.tolist()}",
            hint="both models must be trained on the same labels",
        )
    scores = _scores_matrix(p, n, len(own), role)
    _check_finite(scores, f"{role} scores")
    perm = _encode_labels(classes, own, f"{role} classes")  # column of each of `classes` in `own`
    scores = scores[:, perm]
    if threshold is not None and len(classes) == 2:
        labels = (scores[:, 1] >= threshold).astype(np.intp)
    elif p.labels is None:
        labels = scores.argmax(axis=1).astype(np.intp)
    else:
        if len(p.labels) != n:
            raise InputDataError(
                f"{role} returned {len(p.labels)} predictions for {n} evaluation rows",
                hint="the model must return one prediction per row",
            )
        labels = _encode_labels(np.asarray(p.labels), classes, f"{role} predicted labels")
    return labels, scores


def encode(
    y_true: NDArray[Any],
    champion: Predictions | None,
    challenger: Predictions,
    task: Task,
    threshold: float | None = 0.5,
) -> Encoded:
    """Encode and check both models' predictions, then put the rows in canonical order."""
    return canonical(_encode(y_true, champion, challenger, task, threshold))


def canonical(enc: Encoded) -> Encoded:
    """The same rows sorted by their content (target, then every prediction), see the module doc."""
    keys: list[NDArray[Any]] = []
    for arr in (
        enc.champion_scores,
        enc.champion_labels,
        enc.challenger_scores,
        enc.challenger_labels,
        enc.y,
    ):
        if arr is None:
            continue
        a = np.asarray(arr)
        keys += [a[:, j] for j in range(a.shape[1])] if a.ndim == 2 else [a]
    order = np.lexsort(keys)  # the last key (the target) is the primary one

    def take(a: NDArray[Any] | None) -> NDArray[Any] | None:
        return None if a is None else np.asarray(a)[order]

    challenger_scores = take(enc.challenger_scores)
    assert challenger_scores is not None
    return replace(
        enc,
        y=np.asarray(enc.y)[order],
        challenger_labels=take(enc.challenger_labels),
        challenger_scores=challenger_scores,
        champion_labels=take(enc.champion_labels),
        champion_scores=take(enc.champion_scores),
    )


def _encode(
    y_true: NDArray[Any],
    champion: Predictions | None,
    challenger: Predictions,
    task: Task,
    threshold: float | None,
) -> Encoded:
    y = np.asarray(y_true)
    n = len(y)
    for role, p in (("challenger", challenger), ("champion", champion)):
        if p is not None and p.n_rows != n:
            raise InputDataError(
                f"{role} returned {p.n_rows} predictions for {n} evaluation rows",
                hint="the model must return one prediction per row",
            )
    if task == "regression":
        _check_finite(y.astype(np.float64), "evaluation targets")
        out: list[NDArray[Any]] = []
        for role, p in (("challenger", challenger), ("champion", champion)):
            if p is None:
                continue
            s = np.asarray(p.scores, dtype=np.float64)
            if s.ndim == 2 and s.shape[1] == 1:
                s = s[:, 0]
            if s.shape != (n,):
                raise InputDataError(
                    f"{role} predictions have shape {tuple(np.asarray(p.scores).shape)}, expected ({n},)",
                    hint="a regression model must return one number per row",
                )
            _check_finite(s, f"{role} predictions")
            out.append(s)
        return Encoded(y.astype(np.float64), None, None, out[0], None, out[1] if champion else None)
    if challenger.classes is None:
        raise InputDataError(
            "challenger predictions carry no class list", hint="score a classifier with classes_"
        )
    classes = np.asarray(challenger.classes)
    if y.dtype.kind == "f":
        _check_finite(y, "evaluation targets")
    y_idx = _encode_labels(y, classes, "evaluation targets")
    ch_labels, ch_scores = _align(challenger, classes, n, "challenger", threshold)
    cp_labels, cp_scores = (
        _align(champion, classes, n, "champion", threshold) if champion is not None else (None, None)
    )
    return Encoded(y_idx, classes, ch_labels, ch_scores, cp_labels, cp_scores)


def metric_inputs(spec: MetricSpec, enc: Encoded) -> tuple[NDArray[Any], NDArray[Any] | None, NDArray[Any]]:
    """(y, champion input, challenger input) for a metric; user metrics get the original labels."""
    if enc.classes is None:
        return enc.y, enc.champion_scores, enc.challenger_scores
    if spec.needs == "label":
        champ, chall = enc.champion_labels, enc.challenger_labels
    else:
        champ, chall = enc.champion_scores, enc.challenger_scores
    assert chall is not None
    if spec.vectorised:
        return enc.y, champ, chall
    decode = enc.classes
    if spec.needs == "label":
        return decode[enc.y], (decode[champ] if champ is not None else None), decode[chall]
    return decode[enc.y], champ, chall
