"""Where shipml's rules coincide with MLflow's ``validate_evaluation_results``, the verdicts agree.

That overlap is: absolute thresholds, and required improvements (absolute or
relative) decided on point estimates. Both tools are fed the same metric values
(shipml computes them from the predictions; MLflow receives those numbers), and
the thresholds are drawn around the observed values, often exactly on the
boundary, where ``>=`` versus ``>`` or float rounding would show.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from mlflow.models.evaluation import EvaluationResult
from mlflow.models.evaluation.validation import (
    MetricThreshold,
    ModelValidationFailedException,
    validate_evaluation_results,
)

from shipml.config.gate import GateSection, MetricRule
from shipml.gate.decision import evaluate, verdict
from shipml.gate.metrics import Predictions

GATE = GateSection(bootstrap_resamples=100)
CLF_METRICS = ["accuracy", "f1", "roc_auc", "log_loss", "brier", "precision"]
REG_METRICS = ["rmse", "mae", "r2", "mape"]


def _mlflow_passes(
    thresholds: dict[str, MetricThreshold], cand: dict[str, float], base: dict[str, float] | None
) -> bool:
    try:
        validate_evaluation_results(
            thresholds,
            EvaluationResult(metrics=cand, artifacts={}, run_id="x"),
            EvaluationResult(metrics=base, artifacts={}, run_id="y") if base is not None else None,
        )
    except ModelValidationFailedException:
        return False
    return True


def _pair(task: str, rng: np.random.Generator, n: int) -> tuple[np.ndarray, Predictions, Predictions]:
    if task == "regression":
        y = rng.normal(5, 2, n)
        return (
            y,
            Predictions(None, y + rng.normal(0, rng.uniform(0.5, 1.5), n)),
            Predictions(None, y + rng.normal(0, rng.uniform(0.5, 1.5), n)),
        )
    y = rng.integers(0, 2, n)

    def model() -> Predictions:
        z = rng.uniform(0.2, 1.5) * (2 * y - 1) + rng.normal(size=n)
        p = np.round(1 / (1 + np.exp(-z)), 2)
        return Predictions((p > 0.5).astype(int), np.column_stack([1 - p, p]), np.array([0, 1]))

    return y, model(), model()


def _case(rng: np.random.Generator, values: dict[str, tuple[float, float, bool]]) -> tuple[Any, Any]:
    """Random MLflow thresholds for some metrics and the equivalent shipml rules."""
    thresholds: dict[str, MetricThreshold] = {}
    rules: list[MetricRule] = []
    for name, (champ, chall, hib) in values.items():
        if rng.random() < 0.4:
            continue
        kw: dict[str, Any] = {"greater_is_better": hib}
        kind = rng.integers(0, 4)
        if kind in (0, 3):  # absolute threshold: sometimes exactly the observed value
            jitter = rng.normal(0, 0.05 * (abs(chall) + 0.01))
            t = float(chall) if rng.random() < 0.3 else float(chall + jitter)
            kw["threshold"] = t
            rules.append(MetricRule(metric=name, **({"min": t} if hib else {"max": t})))
        if kind in (1, 3):  # absolute improvement: sometimes exactly the observed improvement
            gain = (chall - champ) if hib else (champ - chall)
            change = float(gain) if (gain > 0 and rng.random() < 0.4) else float(rng.uniform(1e-4, 0.05))
            kw["min_absolute_change"] = change
            rules.append(MetricRule(metric=name, min_improvement=change))
        if kind == 2:  # relative improvement
            rel_gain = ((chall - champ) if hib else (champ - chall)) / abs(champ)
            exact = 0 <= rel_gain <= 1 and rng.random() < 0.4
            change = float(rel_gain) if exact else float(rng.uniform(0, 0.05))
            kw["min_relative_change"] = change
            rules.append(MetricRule(metric=name, min_improvement=change, relative=True))
        thresholds[name] = MetricThreshold(**kw)
    return thresholds, rules


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_point_estimate_verdicts_equal_mlflow(task: str) -> None:
    rng = np.random.default_rng(2024 if task == "classification" else 7)
    metrics = CLF_METRICS if task == "classification" else REG_METRICS
    compared = disagreements = fails = 0
    for _ in range(60):
        y, champ, chall = _pair(task, rng, int(rng.integers(150, 400)))
        probe = [MetricRule(metric=m, max_regression=1e9) for m in metrics]
        numbers = evaluate(y, champ, chall, probe, GATE, task)  # type: ignore[arg-type]
        values = {o.metric: (o.champion, o.challenger, o.higher_is_better) for o in numbers}
        for first_model in (False, True):
            thresholds, rules = _case(rng, values)  # type: ignore[arg-type]
            if not rules:
                continue
            if first_model:  # MLflow without a baseline judges thresholds only: keep only those
                thresholds = {
                    k: MetricThreshold(threshold=t.threshold, greater_is_better=t.greater_is_better)
                    for k, t in thresholds.items()
                    if t.threshold is not None
                }
                rules = [r for r in rules if r.min is not None or r.max is not None]
                if not rules:
                    continue
            cand = {k: v[1] for k, v in values.items()}
            base = None if first_model else {k: v[0] for k, v in values.items()}
            ml = _mlflow_passes(thresholds, cand, base)  # type: ignore[arg-type]
            status, _ = verdict(evaluate(y, None if first_model else champ, chall, rules, GATE, task))  # type: ignore[arg-type]
            compared += 1
            fails += not ml
            disagreements += (status == "passed") != ml
    assert disagreements == 0
    assert compared >= 80 and 0.2 < fails / compared < 0.9  # both verdicts were exercised
