"""shipml's vectorised metrics against scikit-learn, on whole sets and on bootstrap resamples."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sklearn.metrics as skm

from shipml.errors import ConfigError
from shipml.gate.metrics import BUILTIN, default_primary_metric, get_metric
from shipml.gate.resample import resample_counts

Ref = Callable[[np.ndarray, np.ndarray], float]


def _clf_refs(k: int) -> dict[str, tuple[str, Ref]]:
    avg = "binary" if k == 2 else "macro"
    return {
        "accuracy": ("label", skm.accuracy_score),
        "balanced_accuracy": ("label", skm.balanced_accuracy_score),
        "precision": ("label", lambda y, p: skm.precision_score(y, p, average=avg, zero_division=0)),
        "recall": ("label", lambda y, p: skm.recall_score(y, p, average=avg, zero_division=0)),
        "f1": ("label", lambda y, p: skm.f1_score(y, p, average=avg, zero_division=0)),
        "f1_macro": ("label", lambda y, p: skm.f1_score(y, p, average="macro", zero_division=0)),
        "f1_weighted": ("label", lambda y, p: skm.f1_score(y, p, average="weighted", zero_division=0)),
        "roc_auc": (
            "score",
            (lambda y, p: skm.roc_auc_score(y, p[:, 1]))
            if k == 2
            else (lambda y, p: skm.roc_auc_score(y, p, multi_class="ovr", labels=list(range(k)))),
        ),
        "pr_auc": (
            "score",
            (lambda y, p: skm.average_precision_score(y, p[:, 1]))
            if k == 2
            else (lambda y, p: skm.average_precision_score(np.eye(k)[y], p, average="macro")),
        ),
        "log_loss": ("score", lambda y, p: skm.log_loss(y, p, labels=list(range(k)))),
        "brier": (
            "score",
            (lambda y, p: skm.brier_score_loss(y, p[:, 1]))
            if k == 2
            else (lambda y, p: skm.brier_score_loss(y, p, labels=list(range(k)))),
        ),
    }


REG_REFS: dict[str, Ref] = {
    "rmse": skm.root_mean_squared_error,
    "mae": skm.mean_absolute_error,
    "r2": skm.r2_score,
    "mape": skm.mean_absolute_percentage_error,
}


def _classification(n: int, k: int, seed: int, *, ties: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.2 * np.eye(k)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    if ties:  # tree models predict few distinct probabilities: exercise the tie handling
        proba = np.round(proba, 1) + 1e-3
        proba /= proba.sum(axis=1, keepdims=True)
    return y, proba.argmax(axis=1), proba


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("ties", [False, True])
def test_classification_metrics_equal_sklearn(k: int, ties: bool) -> None:
    y, labels, proba = _classification(1500, k, seed=k + 10 * ties, ties=ties)
    for name, (needs, ref) in _clf_refs(k).items():
        pred = labels if needs == "label" else proba
        assert BUILTIN[name].needs == needs
        assert BUILTIN[name].value(y, pred) == pytest.approx(ref(y, pred), abs=1e-12), name


def test_regression_metrics_equal_sklearn() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(10, 3, 800)
    pred = y + rng.normal(0, 1, 800)
    for name, ref in REG_REFS.items():
        assert BUILTIN[name].value(y, pred) == pytest.approx(ref(y, pred), rel=1e-12), name


def _materialised(counts: np.ndarray) -> list[np.ndarray]:
    return [np.repeat(np.arange(counts.shape[1]), row.astype(np.intp)) for row in counts]


@pytest.mark.parametrize("k", [2, 3])
def test_bootstrap_replicates_equal_sklearn_on_each_resample(k: int) -> None:
    """The count-matrix formulation must give exactly what sklearn gives on the drawn rows."""
    y, labels, proba = _classification(300, k, seed=7, ties=True)
    counts = next(resample_counts(len(y), 25, seed=5))[:25]
    rows = _materialised(counts)
    for name, (needs, ref) in _clf_refs(k).items():
        pred = labels if needs == "label" else proba
        fast = BUILTIN[name].replicates(y, pred, counts)
        slow = np.array([ref(y[r], pred[r]) for r in rows])
        np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12, err_msg=name)


def test_regression_replicates_equal_sklearn() -> None:
    rng = np.random.default_rng(4)
    y = rng.normal(5, 2, 400)
    pred = y + rng.normal(0, 1, 400)
    counts = next(resample_counts(len(y), 20, seed=1))[:20]
    rows = _materialised(counts)
    for name, ref in REG_REFS.items():
        fast = BUILTIN[name].replicates(y, pred, counts)
        slow = np.array([ref(y[r], pred[r]) for r in rows])
        np.testing.assert_allclose(fast, slow, rtol=1e-10, err_msg=name)


def test_directions_are_known() -> None:
    higher = {n for n, s in BUILTIN.items() if s.higher_is_better}
    assert higher == {
        "accuracy",
        "balanced_accuracy",
        "precision",
        "recall",
        "f1",
        "f1_macro",
        "f1_weighted",
        "roc_auc",
        "pr_auc",
        "r2",
    }


def test_auc_on_regression_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"'roc_auc' does not fit a regression model.*rmse"):
        get_metric("roc_auc", "regression")
    with pytest.raises(ConfigError, match="'rmse' does not fit a classification model"):
        get_metric("rmse", "classification", 2)


def test_unknown_metric_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"'auc' is unknown.*roc_auc"):
        get_metric("auc", "classification", 2)


def test_contradicting_direction_rejected() -> None:
    with pytest.raises(ConfigError, match="contradicts the metric"):
        get_metric("rmse", "regression", higher_is_better=True)
    assert get_metric("rmse", "regression", higher_is_better=False).name == "rmse"


def test_default_primary_metric() -> None:
    assert default_primary_metric("classification", 2) == "roc_auc"
    assert default_primary_metric("classification", 4) == "accuracy"
    assert default_primary_metric("regression") == "rmse"


def _write_module(tmp_path: Path, name: str, body: str) -> None:
    (tmp_path / f"{name}.py").write_text(body)


def test_user_metric_by_import_path(tmp_path: Path) -> None:
    _write_module(
        tmp_path,
        "bizmetrics_a",
        "import numpy as np\n"
        "def profit(y_true, y_pred):\n"
        "    return float(np.sum((y_true == 'yes') & (y_pred == 'yes')) * 5 - np.sum(y_pred == 'yes'))\n"
        "profit.higher_is_better = True\n",
    )
    spec = get_metric("bizmetrics_a:profit", "classification", 2, search_path=tmp_path)
    assert (spec.higher_is_better, spec.needs, spec.vectorised) == (True, "label", False)
    y = np.array(["yes", "no", "yes", "no"])
    pred = np.array(["yes", "yes", "no", "no"])
    assert spec.value(y, pred) == 5 - 2
    counts = np.array([[2, 0, 1, 1], [0, 4, 0, 0]], dtype=np.uint8)
    np.testing.assert_array_equal(spec.replicates(y, pred, counts), [2 * 5 - 2, -4])


def test_user_metric_direction_from_config(tmp_path: Path) -> None:
    _write_module(tmp_path, "bizmetrics_b", "def cost(y_true, y_pred):\n    return 1.0\n")
    with pytest.raises(ConfigError, match=r"direction is unknown.*higher_is_better"):
        get_metric("bizmetrics_b:cost", "regression", search_path=tmp_path)
    spec = get_metric("bizmetrics_b:cost", "regression", higher_is_better=False, search_path=tmp_path)
    assert spec.higher_is_better is False


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("nosuchmodule_xyz:f", "cannot import module 'nosuchmodule_xyz'"),
        ("bizmetrics_c:missing", "has no function 'missing'"),
        ("bizmetrics_c:", "'module:function'"),
    ],
)
def test_user_metric_errors_are_config_errors(tmp_path: Path, path: str, message: str) -> None:
    _write_module(tmp_path, "bizmetrics_c", "x = 1\n")
    with pytest.raises(ConfigError, match=message):
        get_metric(path, "classification", 2, search_path=tmp_path)


def test_metric_inputs_are_not_mutated() -> None:
    y, labels, proba = _classification(200, 2, seed=1, ties=False)
    before: dict[str, Any] = {"y": y.copy(), "labels": labels.copy(), "proba": proba.copy()}
    for spec in BUILTIN.values():
        if "classification" in spec.tasks:
            spec.value(y, labels if spec.needs == "label" else proba)
    np.testing.assert_array_equal(before["y"], y)
    np.testing.assert_array_equal(before["labels"], labels)
    np.testing.assert_array_equal(before["proba"], proba)


def test_precision_stays_macro_on_a_slice_missing_the_last_class() -> None:
    """A 3-class model on rows showing only classes 0 and 1 is still scored macro, as sklearn would."""
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1, 0, 0])
    pred = np.array([0, 1, 0, 0, 1, 1, 1, 1, 0, 0])
    spec = get_metric("precision", "classification", 3)
    expected = skm.precision_score(y, pred, average="macro", labels=[0, 1], zero_division=0)
    assert spec.value(y, pred) == pytest.approx(expected)
    assert BUILTIN["precision"].value(y, pred) == pytest.approx(skm.precision_score(y, pred))
    assert spec.value(y, pred) != pytest.approx(skm.precision_score(y, pred))


def _auc_layouts(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Row orders that send _BinaryAuc down each of its paths."""
    from shipml.gate.metrics import auc_row_order

    neg, pos = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    pair = auc_row_order(y, a, b)
    assert pair is not None
    return {
        "as given (gathers)": np.arange(len(y)),
        "pair order (champion: negatives in place, challenger: positives in place)": pair,
        "positives first, in place for a": np.concatenate([pos[np.argsort(a[pos])], neg]),
        "classes contiguous, neither sorted": np.concatenate([neg, pos]),
    }


@pytest.mark.parametrize("ties", [False, True])
def test_auc_is_exact_whichever_class_lies_in_place(ties: bool) -> None:
    """Each path of _BinaryAuc equals sklearn on the materialised resamples, ties and all."""
    rng = np.random.default_rng(21)
    n = 500
    y = rng.integers(0, 2, n)
    a = 0.8 * y + rng.normal(size=n)
    b = 1.1 * y + rng.normal(size=n)
    if ties:
        a, b = np.round(a, 1), np.round(b, 1)
    counts = next(resample_counts(n, 30, seed=9))[:30]
    spec = BUILTIN["roc_auc"]
    for name, order in _auc_layouts(y, a, b).items():
        yo, ao, bo = y[order], a[order], b[order]
        rows = _materialised(counts)
        for score in (ao, bo):
            fast = spec.replicates(yo, score, counts)
            slow = np.array([skm.roc_auc_score(yo[r], score[r]) for r in rows])
            np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12, err_msg=name)
            assert spec.value(yo, score) == pytest.approx(
                skm.roc_auc_score(y, score[np.argsort(order)]), abs=1e-12
            )


def test_auc_sums_in_int64_when_uint32_could_overflow() -> None:
    """Wide counts (uint16 here, totals past 2**32 pairs) take the int64 path and stay exact."""
    rng = np.random.default_rng(5)
    n = 400
    y = rng.integers(0, 2, n)
    score = np.round(y + rng.normal(size=n), 1)
    counts = rng.integers(0, 60_000, size=(3, n)).astype(np.uint16)
    fast = BUILTIN["roc_auc"].replicates(y, score, counts)
    slow = [skm.roc_auc_score(y, score, sample_weight=row.astype(np.float64)) for row in counts]
    np.testing.assert_allclose(fast, slow, rtol=1e-12)


def test_auc_of_a_resample_without_one_class_is_undefined() -> None:
    y = np.array([0, 0, 1, 1])
    counts = np.array([[2, 2, 0, 0], [0, 1, 2, 1]], dtype=np.uint8)
    values = BUILTIN["roc_auc"].replicates(y, np.array([0.1, 0.4, 0.35, 0.8]), counts)
    assert np.isnan(values[0]) and values[1] == pytest.approx(
        skm.roc_auc_score([0, 1, 1, 1], [0.4, 0.35, 0.35, 0.8])
    )


def test_in_the_pair_order_neither_model_gathers_counts() -> None:
    from shipml.gate.metrics import _BinaryAuc, auc_row_order

    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 1000)
    a, b = y + rng.normal(size=1000), y + rng.normal(size=1000)
    order = auc_row_order(y, a, b)
    assert order is not None
    champion, challenger = (_BinaryAuc(y[order] == 1, s[order]) for s in (a, b))
    for auc in (champion, challenger):
        assert auc.acc.slice is not None and auc.other.slice is not None  # views, no np.take of counts
    assert not champion.accumulated_positive and challenger.accumulated_positive
    assert auc_row_order(y, np.eye(3)[y % 3], np.eye(3)[y % 3]) is None  # multiclass: any order
