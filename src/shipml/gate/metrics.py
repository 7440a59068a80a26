"""Metrics as weighted sums, so one code path gives point estimates and bootstrap replicates.

A bootstrap resample is a vector of row counts ``w`` (how many times each row was
drawn). Every built-in metric here is written as a function of a ``(c, n)``
matrix of such counts and returns ``c`` values at once: linear metrics become a
matrix product, label metrics a product with a small indicator matrix, ranking
metrics (ROC AUC, average precision) a cumulative sum over rows sorted once.
The point estimate is the same function with all counts equal to one, so the
reported value and its bootstrap distribution can never disagree on a
definition. Values match scikit-learn's (the unit tests check it).

Classification inputs are encoded: ``y`` holds class indices ``0..k-1`` (in the
order of :attr:`Predictions.classes`), label predictions likewise, scores are
``(n, k)`` probabilities. The positive class of binary metrics is index 1,
scikit-learn's convention.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ..errors import ConfigError
from ..metric_catalogue import CATALOGUE, MetricInfo
from .resample import UINT32_VALUES

Task = Literal["classification", "regression"]
Needs = Literal["label", "score"]
FloatArray = NDArray[np.float64]
Evaluator = Callable[[NDArray[Any]], FloatArray]
"""Counts matrix ``(c, n)`` -> one metric value per row of counts.

Counts are non-negative integers. Ranking metrics take them in any integer
dtype (uint8 is fastest); the others expect float64 (a BLAS product)."""
Binder = Callable[[NDArray[Any], NDArray[Any]], Evaluator]
"""``(y, predictions)`` -> evaluator; sorting and encoding happen once, here."""
RowOrder = Callable[[NDArray[Any], NDArray[Any], NDArray[Any]], "NDArray[np.intp] | None"]
"""``(y, champion input, challenger input)`` -> a permutation of the rows, or None for any order."""

CLASSIFICATION: frozenset[str] = frozenset({"classification"})
REGRESSION: frozenset[str] = frozenset({"regression"})
_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Predictions:
    """What one model said about the evaluation rows.

    ``labels`` are predicted class labels (classification) and may be None for
    regression; ``scores`` are ``(n, k)`` class probabilities with columns in the
    order of ``classes``, or ``(n,)`` predicted values for regression.
    """

    labels: NDArray[Any] | None
    scores: NDArray[Any]
    classes: NDArray[Any] | None = None

    @property
    def n_rows(self) -> int:
        return int(np.asarray(self.scores).shape[0])


@dataclass(frozen=True)
class MetricSpec:
    """A metric with the direction and the kind of prediction it needs."""

    name: str
    higher_is_better: bool
    tasks: frozenset[str]
    needs: Needs
    bind: Binder = field(repr=False, compare=False)
    unit_scale: bool = True
    """True when the metric lives on a [0, 1]-like scale, so an absolute margin makes sense."""
    ranking: bool = False
    """True for ROC AUC / average precision: undefined on a single-class evaluation set."""
    vectorised: bool = True
    row_order: RowOrder | None = field(default=None, repr=False, compare=False)
    """The row order under which this metric's resamples cost least, for a champion/challenger pair."""

    def value(self, y: NDArray[Any], pred: NDArray[Any]) -> float:
        """The metric on all rows, each counted once."""
        counts = np.ones((1, len(y)), dtype=np.float64)
        return float(self.bind(y, pred)(counts)[0])

    def replicates(self, y: NDArray[Any], pred: NDArray[Any], counts: NDArray[Any]) -> FloatArray:
        """The metric under each row of ``counts`` (bootstrap resamples as row multiplicities)."""
        return self.bind(y, pred)(counts if self.ranking else counts.astype(np.float64))


# --------------------------------------------------------------------------- helpers


def _safe_div(num: FloatArray, den: FloatArray) -> FloatArray:
    """num/den with 0 where den == 0: scikit-learn's ``zero_division`` default for P/R/F."""
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _nan_div(num: FloatArray, den: FloatArray) -> FloatArray:
    out = np.full(np.broadcast(num, den).shape, np.nan, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _row_mean(values: FloatArray, counts: FloatArray) -> FloatArray:
    """Weighted mean of a per-row quantity under each row of counts."""
    return _nan_div(counts @ values, counts.sum(axis=1))


def _linear(per_row: Callable[[NDArray[Any], NDArray[Any]], FloatArray]) -> Binder:
    def bind(y: NDArray[Any], pred: NDArray[Any]) -> Evaluator:
        values = np.asarray(per_row(y, pred), dtype=np.float64)
        return lambda counts: _row_mean(values, counts)

    return bind


def _n_classes(y: NDArray[Any], pred: NDArray[Any]) -> int:
    if pred.ndim == 2:
        return int(pred.shape[1])
    return int(max(int(y.max(initial=0)), int(pred.max(initial=0))) + 1)


def _confusion(y: NDArray[Any], pred: NDArray[Any], k: int) -> Callable[[FloatArray], tuple[FloatArray, ...]]:
    """Per-class (true positives, predicted, actual) counts under each row of counts."""
    yi = y.astype(np.intp)
    pi = pred.astype(np.intp)
    ind = np.zeros((len(yi), 3 * k), dtype=np.float64)
    rows = np.arange(len(yi))
    hit = yi == pi
    ind[rows[hit], yi[hit]] = 1.0
    ind[rows, k + pi] = 1.0
    ind[rows, 2 * k + yi] = 1.0

    def counts_of(counts: FloatArray) -> tuple[FloatArray, ...]:
        c = counts @ ind
        return c[:, :k], c[:, k : 2 * k], c[:, 2 * k :]

    return counts_of


def _prf(
    kind: Literal["precision", "recall", "f1"],
    average: Literal["binary", "macro", "weighted"],
    n_classes: int | None = None,
) -> Binder:
    """Precision/recall/F1; "binary" means the positive class on two classes and macro on more.

    ``n_classes`` is the model's; without it the count is read from the data,
    which a slice that never shows the last class would get wrong.
    """

    def bind(y: NDArray[Any], pred: NDArray[Any]) -> Evaluator:
        k = max(n_classes or 0, _n_classes(y, pred))
        confusion = _confusion(y, pred, max(k, 2))
        avg = "macro" if average == "binary" and k > 2 else average

        def evaluate(counts: FloatArray) -> FloatArray:
            tp, predicted, actual = confusion(counts)
            if kind == "precision":
                per_class = _safe_div(tp, predicted)
            elif kind == "recall":
                per_class = _safe_div(tp, actual)
            else:
                per_class = _safe_div(2 * tp, predicted + actual)
            if avg == "binary":
                return per_class[:, 1]
            if avg == "weighted":
                return _nan_div((per_class * actual).sum(axis=1), actual.sum(axis=1))
            present = (predicted + actual) > 0  # scikit-learn averages over labels seen in y or pred
            return _nan_div((per_class * present).sum(axis=1), present.sum(axis=1).astype(np.float64))

        return evaluate

    return bind


def _balanced_accuracy(y: NDArray[Any], pred: NDArray[Any]) -> Evaluator:
    confusion = _confusion(y, pred, _n_classes(y, pred))

    def evaluate(counts: FloatArray) -> FloatArray:
        tp, _, actual = confusion(counts)
        present = actual > 0
        recall = _safe_div(tp, actual)
        return _nan_div((recall * present).sum(axis=1), present.sum(axis=1).astype(np.float64))

    return evaluate


def _integer_counts(counts: NDArray[Any]) -> NDArray[Any]:
    """Counts as small integers: gathers over a uint8 row stay in cache (10x faster than float64)."""
    return counts if counts.dtype.kind in "ui" else counts.astype(np.int64)


class _Rows:
    """Some rows of the counts matrix: a slice view when they are contiguous, else a gather."""

    def __init__(self, rows: NDArray[np.intp], contiguous: bool) -> None:
        self.size = len(rows)
        self.slice = slice(int(rows[0]), int(rows[0]) + len(rows)) if contiguous and len(rows) else None
        self.rows = rows

    def of(self, counts: NDArray[Any]) -> NDArray[Any]:
        return counts[:, self.slice] if self.slice is not None else np.take(counts, self.rows, axis=1)


def _contiguous(rows: NDArray[np.intp]) -> bool:
    """``rows`` (ascending) is one unbroken range."""
    return len(rows) == 0 or int(rows[-1]) - int(rows[0]) + 1 == len(rows)


def _in_score_order(rows: NDArray[np.intp], score: FloatArray) -> bool:
    """``rows`` is one unbroken range whose scores already ascend: summed where it lies."""
    return _contiguous(rows) and bool(np.all(score[rows][1:] >= score[rows][:-1]))


class _BinaryAuc:
    """ROC AUC of one binary problem under many count vectors in O(c·n) after one sort.

    AUC = P(score_pos > score_neg) + ½ P(tie). One class is *accumulated*: its
    rows in score order, a cumulative sum of their counts. Each row of the
    other class finds how much of it lies below (and at) its own score at a
    fixed position in that sum, so a resample costs a cumulative sum, a gather
    and a dot product, not a sort. Arithmetic is in integers, so the result is
    exact.

    Where the rows already lie decides the work: a class that is one contiguous
    run in score order is accumulated where it lies, and a contiguous other
    class is read where it lies, so neither is gathered (the order
    :func:`auc_row_order` gives the rows of a champion/challenger pair makes
    that true for both models). Otherwise the negatives are gathered into score
    order, and the positives in score order too, so every gather walks memory
    forwards.
    """

    def __init__(self, positive: NDArray[np.bool_], score: FloatArray) -> None:
        neg, pos = np.flatnonzero(~positive), np.flatnonzero(positive)
        self.empty = len(neg) == 0 or len(pos) == 0
        self.accumulated_positive = _in_score_order(pos, score) and not _in_score_order(neg, score)
        acc, other = (pos, neg) if self.accumulated_positive else (neg, pos)
        acc_in_place = _in_score_order(acc, score)
        if not acc_in_place:
            acc = acc[np.argsort(score[acc], kind="stable")]
        other_in_place = _contiguous(other)
        if not other_in_place:
            other = other[np.argsort(score[other], kind="stable")]
        self.acc, self.other = _Rows(acc, acc_in_place), _Rows(other, other_in_place)
        acc_sorted, other_scores = score[acc], score[other]
        self.lo = np.searchsorted(acc_sorted, other_scores, side="left")
        self.hi = np.searchsorted(acc_sorted, other_scores, side="right")
        self.ties = bool(np.any(self.lo != self.hi))

    def _accumulator(self, counts: NDArray[Any]) -> type[np.integer[Any]]:
        """uint32 while twice the largest possible row total fits (ties add two sums), else int64."""
        top = np.iinfo(counts.dtype).max if counts.dtype.itemsize <= 2 else int(counts.max(initial=0))
        return np.uint32 if 2 * top * counts.shape[1] < UINT32_VALUES else np.int64

    def __call__(self, counts: NDArray[Any]) -> FloatArray:
        if self.empty:
            return np.full(counts.shape[0], np.nan)
        counts = _integer_counts(counts)
        acc = self._accumulator(counts)
        cum = np.zeros((counts.shape[0], self.acc.size + 1), dtype=acc)
        np.cumsum(self.acc.of(counts), axis=1, dtype=acc, out=cum[:, 1:])
        weight = self.other.of(counts)
        below = np.take(cum, self.lo, axis=1)
        if self.ties:
            below += np.take(cum, self.hi, axis=1)
        w_acc = cum[:, -1].astype(np.int64)
        w_other = weight.sum(axis=1, dtype=acc).astype(np.int64)  # bounded like the cumulative sum
        pairs = w_acc * w_other
        # Σ weight·below is at most (2 with ties) · pairs: uint32 sums it exactly below 2**32, twice as fast
        if acc is np.uint32 and (2 if self.ties else 1) * int(pairs.max(initial=0)) < UINT32_VALUES:
            total = np.einsum("ij,ij->i", weight, below).astype(np.int64)
        else:
            total = np.multiply(weight, below, dtype=np.int64).sum(axis=1)
        halves = total if self.ties else 2 * total  # twice the pairs ranked "other above accumulated"
        if self.accumulated_positive:  # the negatives are the other class: count the pairs they lose
            halves = 2 * pairs - halves
        return _nan_div(halves.astype(np.float64), 2.0 * pairs.astype(np.float64))


def auc_row_order(
    y: NDArray[Any], champion: NDArray[Any], challenger: NDArray[Any]
) -> NDArray[np.intp] | None:
    """Negatives in the champion's score order, then positives in the challenger's (binary only).

    In this order each model of a pair finds one class contiguous and in its own
    score order, so :class:`_BinaryAuc` gathers no counts for either of them:
    the champion accumulates the negatives, the challenger the positives.
    """
    if not (_is_binary_score(champion) and _is_binary_score(challenger)):
        return None
    positive = np.asarray(y) == 1
    neg, pos = np.flatnonzero(~positive), np.flatnonzero(positive)
    champ, chall = _positive_scores(champion), _positive_scores(challenger)
    return np.concatenate(
        [neg[np.argsort(champ[neg], kind="stable")], pos[np.argsort(chall[pos], kind="stable")]]
    )


class _BinaryAp:
    """Average precision (scikit-learn's step-wise PR AUC) under many count vectors.

    Rows are sorted by descending score once; each distinct score is a threshold,
    and AP = Σ (ΔTP / P) · precision at that threshold, all cumulative sums.
    """

    def __init__(self, positive: NDArray[np.bool_], score: FloatArray) -> None:
        self.order = np.argsort(-score, kind="stable")
        s = score[self.order]
        self.pos = positive[self.order].astype(np.uint8)
        # last row of each block of equal scores: where a threshold's counts are complete
        self.ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])

    def __call__(self, counts: NDArray[Any]) -> FloatArray:
        w = np.take(_integer_counts(counts), self.order, axis=1)
        tp = np.take(np.cumsum(w * self.pos, axis=1, dtype=np.int64), self.ends, axis=1).astype(np.float64)
        seen = np.take(np.cumsum(w, axis=1, dtype=np.int64), self.ends, axis=1).astype(np.float64)
        precision = _safe_div(tp, seen)
        gain = np.diff(tp, axis=1, prepend=0.0)
        return _nan_div((gain * precision).sum(axis=1), tp[:, -1])


def _positive_scores(pred: NDArray[Any]) -> FloatArray:
    return np.asarray(pred[:, 1] if pred.ndim == 2 else pred, dtype=np.float64)


def _is_binary_score(pred: NDArray[Any]) -> bool:
    return pred.ndim == 1 or pred.shape[1] <= 2


def _ranking(kind: type[_BinaryAuc] | type[_BinaryAp]) -> Binder:
    """Binary on the positive-class column; multiclass as the macro mean of one-vs-rest."""

    def bind(y: NDArray[Any], pred: NDArray[Any]) -> Evaluator:
        if _is_binary_score(pred):
            return kind(y == 1, _positive_scores(pred))
        parts = [kind(y == j, np.asarray(pred[:, j], dtype=np.float64)) for j in range(pred.shape[1])]

        def evaluate(counts: FloatArray) -> FloatArray:
            values = np.stack([p(counts) for p in parts], axis=1)
            defined = ~np.isnan(values)
            return _nan_div(
                np.where(defined, values, 0.0).sum(axis=1), defined.sum(axis=1).astype(np.float64)
            )

        return evaluate

    return bind


def _proba_matrix(pred: NDArray[Any]) -> FloatArray:
    p = np.asarray(pred, dtype=np.float64)
    return np.column_stack([1.0 - p, p]) if p.ndim == 1 else p


def _log_loss_rows(y: NDArray[Any], pred: NDArray[Any]) -> FloatArray:
    p = np.clip(_proba_matrix(pred), _EPS, 1 - _EPS)
    return -np.log(p[np.arange(len(y)), y.astype(np.intp)])


def _brier_rows(y: NDArray[Any], pred: NDArray[Any]) -> FloatArray:
    p = _proba_matrix(pred)
    onehot = np.zeros_like(p)
    onehot[np.arange(len(y)), y.astype(np.intp)] = 1.0
    loss: FloatArray = ((onehot - p) ** 2).sum(axis=1)
    return loss * 0.5 if p.shape[1] < 3 else loss  # scikit-learn's scale_by_half="auto"


def _rmse(y: NDArray[Any], pred: NDArray[Any]) -> Evaluator:
    sq = (np.asarray(y, np.float64) - np.asarray(pred, np.float64)) ** 2
    return lambda counts: np.sqrt(_row_mean(sq, counts))


def _r2(y: NDArray[Any], pred: NDArray[Any]) -> Evaluator:
    yf = np.asarray(y, np.float64)
    sq = (yf - np.asarray(pred, np.float64)) ** 2
    # centre first so the weighted total sum of squares does not cancel catastrophically
    yc = yf - yf.mean()
    moments = np.column_stack([sq, yc, yc**2])

    def evaluate(counts: FloatArray) -> FloatArray:
        total = counts.sum(axis=1)
        m = counts @ moments
        ss_tot = m[:, 2] - m[:, 1] ** 2 / total
        out = 1.0 - _nan_div(m[:, 0], ss_tot)
        # scikit-learn: constant y gives 1.0 for a perfect fit, 0.0 otherwise
        return np.where(ss_tot > 0, out, np.where(m[:, 0] == 0, 1.0, 0.0))

    return evaluate


_MAPE_ROWS = _linear(
    lambda y, p: (
        np.abs(np.asarray(y, np.float64) - np.asarray(p, np.float64))
        / np.maximum(np.abs(np.asarray(y, np.float64)), _EPS)
    )
)

# The vectorised evaluator of each catalogued metric; names, directions, tasks and scales
# come from the catalogue (one definition shared with training).
BINDERS: dict[str, Binder] = {
    "accuracy": _linear(lambda y, p: (y == p).astype(np.float64)),
    "balanced_accuracy": _balanced_accuracy,
    "precision": _prf("precision", "binary"),
    "recall": _prf("recall", "binary"),
    "f1": _prf("f1", "binary"),
    "f1_macro": _prf("f1", "macro"),
    "f1_weighted": _prf("f1", "weighted"),
    "roc_auc": _ranking(_BinaryAuc),
    "pr_auc": _ranking(_BinaryAp),
    "log_loss": _linear(_log_loss_rows),
    "brier": _linear(_brier_rows),
    "rmse": _rmse,
    "mae": _linear(lambda y, p: np.abs(np.asarray(y, np.float64) - np.asarray(p, np.float64))),
    "r2": _r2,
    "mape": _MAPE_ROWS,
}


def _bound(info: MetricInfo) -> MetricSpec:
    return MetricSpec(
        name=info.name,
        higher_is_better=info.higher_is_better,
        tasks=frozenset({info.task}),
        needs=info.needs,
        bind=BINDERS[info.name],
        unit_scale=info.unit_scale,
        ranking=info.ranking,
        row_order=auc_row_order if info.name == "roc_auc" else None,
    )


BUILTIN: dict[str, MetricSpec] = {name: _bound(info) for name, info in CATALOGUE.items()}
"""Built-in metrics by name; precision/recall/f1 are macro-averaged on multiclass problems."""


def default_primary_metric(task: Task, n_classes: int | None = None) -> str:
    """roc_auc for binary classification, accuracy for multiclass, rmse for regression."""
    if task == "regression":
        return "rmse"
    return "roc_auc" if (n_classes or 2) <= 2 else "accuracy"


def _user_metric(
    path: str, task: Task, higher_is_better: bool | None, search_path: Path | None
) -> MetricSpec:
    """Wrap ``module:function`` taking ``(y_true, y_pred) -> float`` as a (looped) metric.

    The function receives the original class labels (or probabilities when it
    has ``needs = "score"``), so users write it exactly like a scikit-learn metric.
    """
    module_name, _, func_name = path.partition(":")
    where = f"gate metric {path!r}"
    if not module_name or not func_name:
        raise ConfigError(
            f"{where}: user metrics are given as 'module:function'", hint="e.g. mypkg.metrics:profit"
        )
    added = False
    if search_path is not None and str(search_path) not in sys.path:
        sys.path.insert(0, str(search_path))
        added = True
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"{where}: cannot import module {module_name!r} ({exc})",
            hint="put it next to shipml.yaml or install it in the job's environment",
        ) from exc
    finally:
        if added:
            sys.path.remove(str(search_path))
    func = getattr(module, func_name, None)
    if not callable(func):
        raise ConfigError(f"{where}: {module_name} has no function {func_name!r}", hint="check the name")
    direction = higher_is_better if higher_is_better is not None else getattr(func, "higher_is_better", None)
    if not isinstance(direction, bool):
        raise ConfigError(
            f"{where}: its direction is unknown",
            hint="set higher_is_better: true|false on the rule or as an attribute of the function",
        )
    declared = getattr(func, "needs", "label" if task == "classification" else "score")
    if declared not in ("label", "score"):
        raise ConfigError(f"{where}: attribute needs={declared!r} must be 'label' or 'score'", hint="fix it")
    needs: Needs = "score" if declared == "score" else "label"
    return MetricSpec(
        name=path,
        higher_is_better=direction,
        tasks=frozenset({task}),
        needs=needs,
        bind=_looped(func),
        unit_scale=bool(getattr(func, "unit_scale", False)),
        vectorised=False,
    )


def _looped(func: Callable[..., Any]) -> Binder:
    """Evaluate an arbitrary metric per count vector by materialising each resample."""

    def bind(y: NDArray[Any], pred: NDArray[Any]) -> Evaluator:
        def evaluate(counts: FloatArray) -> FloatArray:
            out = np.empty(counts.shape[0], dtype=np.float64)
            for i, row in enumerate(counts):
                rows = np.repeat(np.arange(len(y)), row.astype(np.intp))
                out[i] = float(func(y[rows], pred[rows]))
            return out

        return evaluate

    return bind


def get_metric(
    name: str,
    task: Task,
    n_classes: int | None = None,
    *,
    higher_is_better: bool | None = None,
    search_path: Path | None = None,
) -> MetricSpec:
    """Look a metric up and check it fits the task; user metrics are ``module:function``."""
    if ":" in name:
        return _user_metric(name, task, higher_is_better, search_path)
    spec = BUILTIN.get(name)
    if spec is None:
        known = ", ".join(sorted(BUILTIN))
        raise ConfigError(
            f"gate metric {name!r} is unknown", hint=f"use one of {known}, or 'module:function'"
        )
    if task not in spec.tasks:
        fits = ", ".join(sorted(n for n, s in BUILTIN.items() if task in s.tasks))
        raise ConfigError(f"gate metric {name!r} does not fit a {task} model", hint=f"use one of {fits}")
    if higher_is_better is not None and higher_is_better != spec.higher_is_better:
        way = "higher" if spec.higher_is_better else "lower"
        raise ConfigError(
            f"gate metric {name!r}: higher_is_better={higher_is_better} contradicts the metric "
            f"({way} is better)",
            hint="remove higher_is_better from the rule",
        )
    if name in ("precision", "recall", "f1") and n_classes:
        return replace(spec, bind=_prf(name, "binary", n_classes))  # type: ignore[arg-type]
    return spec


def metric_input(
    spec: MetricSpec, predictions: Predictions, encoded_labels: NDArray[Any] | None
) -> NDArray[Any]:
    """The array a metric consumes: encoded labels for label metrics, scores otherwise."""
    if spec.needs == "label":
        if encoded_labels is None:
            raise ConfigError(
                f"gate metric {spec.name!r} needs predicted labels", hint="use it on a classifier"
            )
        return encoded_labels
    return np.asarray(predictions.scores)
