"""Rules -> outcomes -> verdict: semantics, guards and bad input of :mod:`shipml.gate.decision`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from shipml.config.gate import GateSection, MetricRule
from shipml.contracts.gate import MetricOutcome
from shipml.errors import ConfigError, InputDataError
from shipml.gate.budgets import judge_budget
from shipml.gate.decision import evaluate, point_estimates, verdict
from shipml.gate.metrics import Predictions, get_metric
from shipml.gate.stats import delong

CONTRACT_FIELDS = [
    "metric",
    "slice",
    "higher_is_better",
    "champion",
    "challenger",
    "delta",
    "ci_low",
    "ci_high",
    "confidence",
    "p_value",
    "test",
    "method",
    "p_raw",
    "p_adjusted",
    "adjustment",
    "rule",
    "outcome",
    "significant",
    "reason",
]
FAST = GateSection(bootstrap_resamples=400)


def clf(y: np.ndarray, strength: float, seed: int, classes: Any = (0, 1)) -> Predictions:
    """A binary classifier whose quality grows with ``strength``."""
    rng = np.random.default_rng(seed)
    z = strength * (2 * (y == classes[1]) - 1) + rng.normal(size=len(y))
    p = 1 / (1 + np.exp(-z))
    labels = np.where(p > 0.5, classes[1], classes[0])
    return Predictions(labels=labels, scores=np.column_stack([1 - p, p]), classes=np.array(classes))


def data(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, n)


def rule(metric: str, **kw: Any) -> MetricRule:
    return MetricRule(metric=metric, **kw)


def test_outcome_has_exactly_the_contract_fields_and_is_strict_json() -> None:
    assert list(MetricOutcome.model_fields) == CONTRACT_FIELDS
    y = data(600)
    out = evaluate(y, clf(y, 1.0, 1), clf(y, 1.1, 2), [], FAST, "classification")
    text = json.dumps([o.model_dump(mode="json") for o in out], allow_nan=False)
    assert set(json.loads(text)[0]) == set(CONTRACT_FIELDS)


def test_default_policy_is_non_inferiority_on_roc_auc_with_delong() -> None:
    y = data(1500)
    champ, chall = clf(y, 1.0, 1), clf(y, 1.0, 2)
    (o,) = evaluate(y, champ, chall, [], FAST, "classification")
    ref = delong(y, champ.scores[:, 1], chall.scores[:, 1])
    assert (o.metric, o.test, o.confidence, o.higher_is_better) == ("roc_auc", "delong", 0.95, True)
    assert o.rule == "max_regression 0.01, at 95% confidence, CI bound strictly beyond the margin"
    assert (o.delta, o.ci_low, o.ci_high, o.p_value) == pytest.approx((ref.delta, *ref.ci, ref.p_value))
    assert o.champion == pytest.approx(ref.auc_a) and o.challenger == pytest.approx(ref.auc_b)
    assert o.reason.startswith(f"roc_auc {o.outcome.upper()}: challenger ")


def test_default_policy_for_regression_is_relative_rmse() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(10, 2, 800)
    champ = Predictions(labels=None, scores=y + rng.normal(0, 1, 800))
    chall = Predictions(labels=None, scores=y + rng.normal(0, 1, 800))
    (o,) = evaluate(y, champ, chall, [], FAST, "regression")
    assert (o.metric, o.method, o.higher_is_better) == ("rmse", "paired-bootstrap-percentile", False)
    assert o.rule == "max_regression 1%, at 95% confidence, CI bound strictly beyond the margin"


def test_clearly_better_passes_clearly_worse_fails_close_is_inconclusive() -> None:
    y = data(3000)
    champ = clf(y, 1.0, 1)
    rules = [rule("roc_auc", max_regression=0.01, confidence=0.95)]
    better = evaluate(y, champ, clf(y, 1.6, 2), rules, FAST, "classification")[0]
    worse = evaluate(y, champ, clf(y, 0.5, 3), rules, FAST, "classification")[0]
    assert better.outcome == "pass" and better.significant and better.delta > 0
    assert worse.outcome == "fail" and worse.significant and worse.ci_high < -0.01
    assert "at best" in worse.reason and "worse" in worse.reason
    # same quality, tiny evaluation set: the CI is wider than the margin on both sides
    y_small = data(150, seed=5)
    close = evaluate(y_small, clf(y_small, 1.0, 1), clf(y_small, 1.0, 2), rules, FAST, "classification")[0]
    assert close.outcome == "inconclusive" and "does not lie strictly beyond" in close.reason
    assert close.ci_low < -0.01 < close.ci_high


def test_superiority_needs_the_whole_ci_above_the_margin() -> None:
    y = data(3000)
    champ = clf(y, 1.0, 1)
    sup = [rule("accuracy", min_improvement=0.0, confidence=0.95)]
    assert evaluate(y, champ, clf(y, 1.6, 2), sup, FAST, "classification")[0].outcome == "pass"
    assert evaluate(y, champ, clf(y, 0.6, 2), sup, FAST, "classification")[0].outcome == "fail"
    big = [rule("accuracy", min_improvement=0.5, confidence=0.95)]
    o = evaluate(y, champ, clf(y, 1.6, 2), big, FAST, "classification")[0]
    assert o.outcome == "fail" and "required more than 0.5 better" in o.reason
    assert o.method == o.test == "tango-score"


def test_lower_is_better_directions() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(0, 3, 2000)
    champ = Predictions(labels=None, scores=y + rng.normal(0, 1.0, 2000))
    better = Predictions(labels=None, scores=y + rng.normal(0, 0.7, 2000))
    worse = Predictions(labels=None, scores=y + rng.normal(0, 1.4, 2000))
    sup = [rule("mae", min_improvement=0.1, confidence=0.95)]
    o = evaluate(y, champ, better, sup, FAST, "regression")[0]
    assert o.outcome == "pass" and o.delta < 0 and o.ci_high < -0.1
    ni = [rule("rmse", max_regression=0.05, relative=True, confidence=0.9)]
    o = evaluate(y, champ, worse, ni, FAST, "regression")[0]
    assert o.outcome == "fail" and o.delta > 0 and o.confidence == 0.9


def test_relative_point_estimate_margins() -> None:
    y = np.zeros(200)
    champ = Predictions(labels=None, scores=np.ones(200))  # rmse 1.0
    chall = Predictions(labels=None, scores=np.full(200, 1.015))  # rmse 1.015: 1.5% worse
    allow2 = [rule("rmse", max_regression=0.02, relative=True)]
    allow1 = [rule("rmse", max_regression=0.01, relative=True)]
    assert evaluate(y, champ, chall, allow2, FAST, "regression")[0].outcome == "pass"
    o = evaluate(y, champ, chall, allow1, FAST, "regression")[0]
    assert o.outcome == "fail" and o.rule == "max_regression 1%, on point estimates"
    assert "point estimate 0.015 worse" in o.reason


def test_first_model_is_judged_on_absolute_rules_only() -> None:
    y = data(500)
    chall = clf(y, 1.0, 2)
    rules = [rule("roc_auc", min=0.7, max_regression=0.01, confidence=0.95), rule("accuracy", min=0.99)]
    out = evaluate(y, None, chall, rules, FAST, "classification")
    assert [o.outcome for o in out] == ["pass", "fail"]
    assert "first model" in out[0].reason and "first model" in out[1].reason
    assert all(o.champion is None and o.delta is None and o.p_value is None for o in out)
    status, reasons = verdict(out)
    assert status == "failed" and reasons[0].startswith("accuracy FAIL")
    (default,) = evaluate(y, None, chall, [], FAST, "classification")
    assert default.outcome == "pass" and "first model" in default.reason


def test_a_first_models_small_slice_with_only_comparative_rules_does_not_block() -> None:
    """No champion: the comparative clauses are skipped first, so there is nothing for min_rows to block."""
    y = data(40)
    chall = clf(y, 1.0, 2)
    comparative = [rule("roc_auc", max_regression=0.05, confidence=0.95)]
    (out,) = evaluate(y, None, chall, comparative, FAST, "classification", "plan=tiny", min_rows=50)
    assert out.outcome == "pass" and "first model" in out.reason
    # an absolute clause still needs enough rows to be judged
    (floor,) = evaluate(y, None, chall, [rule("roc_auc", min=0.5)], FAST, "classification", min_rows=50)
    assert floor.outcome == "inconclusive" and "only 40 evaluation rows (min_rows 50)" in floor.reason
    # with a champion, too few rows is inconclusive as before
    (paired,) = evaluate(y, clf(y, 1.0, 1), chall, comparative, FAST, "classification", min_rows=50)
    assert paired.outcome == "inconclusive"


def test_too_few_rows_is_inconclusive_not_a_coin_flip() -> None:
    y = data(60)
    out = evaluate(y, clf(y, 1.0, 1), clf(y, 3.0, 2), [rule("roc_auc", min=0.5)], FAST, "classification")
    assert out[0].outcome == "inconclusive" and "only 60 evaluation rows (min_rows 100)" in out[0].reason
    out = evaluate(y, clf(y, 1.0, 1), clf(y, 3.0, 2), [], FAST, "classification", "plan=basic", min_rows=30)
    assert out[0].outcome != "inconclusive" and out[0].slice == "plan=basic"
    assert out[0].reason.startswith("[plan=basic] roc_auc")


def _flip(p: Predictions, rows: np.ndarray, y: np.ndarray) -> Predictions:
    """Make the model wrong on ``rows``: labels and probabilities (labels follow gate.threshold)."""
    labels = p.labels.copy()  # type: ignore[union-attr]
    labels[rows] = 1 - y[rows]
    scores = np.asarray(p.scores).copy()
    scores[rows] = scores[rows, ::-1]
    return Predictions(labels=labels, scores=scores, classes=p.classes)


def test_few_discordant_pairs_are_inconclusive_identical_predictions_decide() -> None:
    y = data(1000)
    champ = clf(y, 1.0, 1)
    right = np.flatnonzero(champ.labels == y)
    chall = _flip(champ, right[:3], y)  # 3 rows where only the champion is right
    ni = [rule("accuracy", max_regression=0.02, confidence=0.95)]
    o = evaluate(y, champ, chall, ni, FAST, "classification")[0]
    assert o.outcome == "inconclusive"
    assert "only 3 rows where exactly one model is right (min_discordant 10)" in o.reason
    same = evaluate(y, champ, champ, ni, FAST, "classification")[0]
    assert same.outcome == "pass" and (same.delta, same.ci_low, same.ci_high, same.p_value) == (0, 0, 0, 1)
    loose = GateSection(bootstrap_resamples=400, min_discordant=0)
    assert evaluate(y, champ, chall, ni, loose, "classification")[0].outcome == "pass"


def test_single_class_evaluation_set_makes_auc_inconclusive() -> None:
    y = np.ones(300, dtype=int)
    champ, chall = clf(y, 1.0, 1), clf(y, 1.0, 2)
    rules = [rule("roc_auc", min=0.6), rule("accuracy", min=0.1)]
    out = evaluate(y, champ, chall, rules, FAST, "classification")
    assert out[0].outcome == "inconclusive" and "single class" in out[0].reason and out[0].challenger is None
    assert out[1].outcome == "pass"
    assert verdict(out)[0] == "inconclusive"


def test_nan_predictions_are_input_errors() -> None:
    y = data(200)
    bad = clf(y, 1.0, 2)
    scores = bad.scores.copy()
    scores[5, 1] = np.nan
    with pytest.raises(InputDataError, match="challenger scores: NaN/inf for 1 of "):
        evaluate(y, clf(y, 1.0, 1), Predictions(bad.labels, scores, bad.classes), [], FAST, "classification")
    rng = np.random.default_rng(0)
    yr = rng.normal(size=200)
    preds = yr.copy()
    preds[[1, 2]] = np.nan
    with pytest.raises(InputDataError, match="champion predictions: NaN/inf for 2 of "):
        evaluate(yr, Predictions(None, preds), Predictions(None, yr), [], FAST, "regression")


def test_shape_mismatch_and_unknown_labels_are_input_errors() -> None:
    y = data(200)
    champ, chall = clf(y, 1.0, 1), clf(y, 1.0, 2)
    short = Predictions(chall.labels[:150], chall.scores[:150], chall.classes)  # type: ignore[index]
    with pytest.raises(InputDataError, match="challenger returned 150 predictions for 200 evaluation rows"):
        evaluate(y, champ, short, [], FAST, "classification")
    three = Predictions(chall.labels, np.column_stack([chall.scores, np.zeros(200)]), chall.classes)
    with pytest.raises(InputDataError, match=r"challenger scores have shape \(200, 3\), expected \(200, 2\)"):
        evaluate(y, champ, three, [], FAST, "classification")
    with pytest.raises(InputDataError, match="evaluation targets contain label"):
        evaluate(y + 5, champ, chall, [], FAST, "classification")
    other = clf(y, 1.0, 3, classes=("a", "b"))
    with pytest.raises(InputDataError, match="champion classes"):
        evaluate(y, other, chall, [], FAST, "classification")


def test_metric_that_does_not_fit_the_task_is_a_config_error() -> None:
    rng = np.random.default_rng(0)
    yr = rng.normal(size=200)
    p = Predictions(None, yr)
    with pytest.raises(ConfigError, match="'roc_auc' does not fit a regression model"):
        evaluate(yr, p, p, [rule("roc_auc", min=0.5)], FAST, "regression")
    y = data(200)
    bad = [rule("accuracy", min=0.1, test="delong")]
    with pytest.raises(ConfigError, match="DeLong test applies to binary roc_auc only"):
        evaluate(y, clf(y, 1, 1), clf(y, 1, 2), bad, FAST, "classification")


def test_string_classes_and_permuted_champion_columns() -> None:
    y01 = data(800)
    y = np.where(y01 == 1, "yes", "no")
    champ, chall = clf(y, 1.0, 1, classes=("no", "yes")), clf(y, 1.2, 2, classes=("no", "yes"))
    swapped = Predictions(champ.labels, champ.scores[:, ::-1], np.array(["yes", "no"]))
    rules = [rule("roc_auc", max_regression=0.01, confidence=0.95), rule("f1", max_regression=0.05)]
    a = evaluate(y, champ, chall, rules, FAST, "classification")
    b = evaluate(y, swapped, chall, rules, FAST, "classification")
    assert [o.model_dump() for o in a] == [o.model_dump() for o in b]


def test_holm_adjusts_the_significance_of_several_metrics() -> None:
    y = data(1200)
    champ, chall = clf(y, 1.0, 1), clf(y, 1.15, 2)
    metrics = ["roc_auc", "accuracy", "log_loss"]
    rules = [rule(m, max_regression=0.05, confidence=0.95) for m in metrics]
    alone = [evaluate(y, champ, chall, [r], FAST, "classification")[0] for r in rules]
    assert all(o.adjustment is None and o.p_adjusted is None and o.p_value == o.p_raw for o in alone)
    raw = [o.p_raw for o in alone]
    expected = multipletests(raw, method="holm")[1]  # an independent reference
    out = evaluate(y, champ, chall, rules, FAST, "classification")
    assert [o.p_raw for o in out] == raw
    assert [o.p_adjusted for o in out] == pytest.approx(list(expected), rel=1e-12)
    assert [o.p_value for o in out] == [o.p_adjusted for o in out]
    assert [o.significant for o in out] == [bool(p < 0.05) for p in expected]
    assert all(o.adjustment == "holm over 3 tests" and "holm over 3 tests" in o.reason for o in out)
    assert [o.method for o in out] == ["delong", "tango-score", "paired-bootstrap-percentile"]


def test_same_seed_same_outcomes() -> None:
    y = data(700)
    champ, chall = clf(y, 1.0, 1), clf(y, 1.05, 2)
    rules = [rule("f1_macro", max_regression=0.02, confidence=0.9), rule("brier", max_regression=0.01)]
    first = evaluate(y, champ, chall, rules, FAST, "classification")
    again = evaluate(y, champ, chall, rules, FAST, "classification")
    other = evaluate(y, champ, chall, rules, GateSection(bootstrap_resamples=400, seed=9), "classification")
    assert [o.model_dump() for o in first] == [o.model_dump() for o in again]
    assert first[0].ci_low != other[0].ci_low


def test_verdict_orders_failures_first() -> None:
    def o(metric: str, outcome: Any) -> MetricOutcome:
        return MetricOutcome(metric=metric, higher_is_better=True, rule="r", outcome=outcome, reason=metric)

    assert verdict([o("a", "pass"), o("b", "inconclusive"), o("c", "fail")]) == ("failed", ["c", "b", "a"])
    assert verdict([o("a", "pass"), o("b", "inconclusive")])[0] == "inconclusive"
    assert verdict([o("a", "pass")]) == ("passed", ["a"])


def test_budgets() -> None:
    slow = judge_budget("latency_p95_ms", 2.0, 3.0, max_ratio=1.2, unit=" ms")
    assert slow.outcome == "fail" and "ratio 1.5 > 1.2" in slow.reason and slow.delta == 1.0
    fine = judge_budget("size_mb", 10.0, 11.0, max_ratio=1.2, max_value=50)
    assert fine.outcome == "pass" and fine.rule == "ratio <= 1.2, max 50"
    first = judge_budget("size_mb", None, 60.0, max_ratio=1.2, max_value=50)
    assert first.outcome == "fail" and "first model" in first.reason
    assert judge_budget("latency_p50_ms", 1.0, 9.0).rule == "report only"


def test_one_positive_row_is_inconclusive_not_a_crash() -> None:
    y = np.zeros(300, dtype=int)
    y[7] = 1
    rules = [rule("roc_auc", max_regression=0.01, confidence=0.95)]
    (o,) = evaluate(y, clf(y, 1.0, 1), clf(y, 1.0, 2), rules, FAST, "classification")
    assert o.outcome == "inconclusive" and "DeLong's variance is undefined" in o.reason
    assert o.ci_low is None and o.delta is not None  # the point difference is still reported


def test_point_estimates_match_evaluate() -> None:
    y = np.where(data(500) == 1, "yes", "no")
    champ, chall = clf(y, 1.0, 1, classes=("no", "yes")), clf(y, 1.3, 2, classes=("no", "yes"))
    spec = get_metric("f1", "classification", 2)
    (o,) = evaluate(y, champ, chall, [rule("f1", min=0.0)], FAST, "classification")
    assert point_estimates(y, champ, chall, spec, "classification") == (o.champion, o.challenger)
    assert point_estimates(y, None, chall, spec, "classification") == (None, o.challenger)


def test_user_metric_sees_original_labels(tmp_path: Path) -> None:
    (tmp_path / "gate_user_metric.py").write_text(
        "import numpy as np\n"
        "def yes_hits(y_true, y_pred):\n"
        "    assert set(np.unique(y_true)) <= {'no', 'yes'}, y_true[:3]\n"
        "    return float(np.mean((y_true == 'yes') & (y_pred == 'yes')))\n"
        "yes_hits.higher_is_better = True\n"
    )
    y = np.where(data(400) == 1, "yes", "no")
    champ, chall = clf(y, 1.0, 1, classes=("no", "yes")), clf(y, 1.3, 2, classes=("no", "yes"))
    rules = [rule("gate_user_metric:yes_hits", max_regression=0.05, confidence=0.9)]
    gate = GateSection(bootstrap_resamples=100)
    (o,) = evaluate(y, champ, chall, rules, gate, "classification", search_path=tmp_path)
    expected = float(np.mean((y == "yes") & (chall.labels == "yes")))
    assert o.challenger == pytest.approx(expected) and o.method == "paired-bootstrap-percentile"
    assert o.ci_low is not None


def test_gate_config_rejects_rules_without_a_condition(tmp_path: Path) -> None:
    from shipml.config import load_config

    path = tmp_path / "shipml.yaml"
    path.write_text("gate:\n  rules:\n    - metric: accuracy\n      relative: true\n")
    with pytest.raises(
        ConfigError, match=r"shipml\.yaml:3: gate\.rules\[0\]: rule for 'accuracy' has no condition"
    ):
        load_config(path)
    path.write_text("gate:\n  rules:\n    - metric: rmse\n      min: 2\n      max: 1\n")
    with pytest.raises(ConfigError, match=r"min \(2\.0\) is greater than max \(1\.0\)"):
        load_config(path)
