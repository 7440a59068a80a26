"""The gate's markdown: direction-aware arrows, colour only for significant changes, first-model wording."""

from __future__ import annotations

import numpy as np
import pytest

from shipml.config.gate import GateSection, MetricRule
from shipml.contracts.gate import EvaluationInfo, GateDetails, MetricOutcome, ModelInfo
from shipml.gate.decision import evaluate, verdict
from shipml.gate.metrics import Predictions
from shipml.gate.report import diff, render, summary_line


def outcome(
    metric: str,
    hib: bool,
    delta: float | None,
    significant: bool,
    result: str = "pass",
    slice_: str | None = None,
) -> MetricOutcome:
    return MetricOutcome(
        metric=metric,
        slice=slice_,
        higher_is_better=hib,
        champion=0.5,
        challenger=None if delta is None else 0.5 + delta,
        delta=delta,
        ci_low=None if delta is None else delta - 0.01,
        ci_high=None if delta is None else delta + 0.01,
        confidence=0.95,
        p_value=0.01 if significant else 0.4,
        test="bootstrap",
        rule="max_regression 0.01",
        outcome=result,
        significant=significant,
        reason=f"{metric} {result.upper()}: because",
    )


@pytest.mark.parametrize(
    ("hib", "delta", "significant", "expected"),
    [
        (True, 0.02, True, "🟢 ▲ +0.02"),  # AUC up, significant: better
        (True, -0.02, True, "🔴 ▼ -0.02"),  # AUC down, significant: worse
        (False, -0.02, True, "🟢 ▼ -0.02"),  # log loss down, significant: better
        (False, 0.02, True, "🔴 ▲ +0.02"),  # rmse up, significant: worse
        (True, 0.02, False, "▲ +0.02"),  # not significant: arrow only, no colour
        (False, 0.02, False, "▲ +0.02"),
        (True, 0.0, True, "= 0"),
        (True, None, False, "–"),
    ],
)
def test_diff_is_direction_aware_and_coloured_only_when_significant(
    hib: bool, delta: float | None, significant: bool, expected: str
) -> None:
    assert diff(outcome("m", hib, delta, significant)) == expected


def details(
    metrics: list[MetricOutcome],
    *,
    champion: bool = True,
    budgets: list[MetricOutcome] | None = None,
    primary: str = "roc_auc",
) -> GateDetails:
    status, reasons = verdict(metrics)
    return GateDetails(
        verdict=status,
        first_model=not champion,
        primary_metric=primary,
        n_rows=1234,
        champion=ModelInfo(uri="models:/m@champion", version="1", run_id="r1", registered_model="m")
        if champion
        else None,
        challenger=ModelInfo(uri="models:/m@challenger", version="2", run_id="r2", registered_model="m"),
        metrics=metrics,
        budgets=budgets or [],
        reasons=reasons,
        evaluation=EvaluationInfo(
            source="evaluation set e.csv", sha256="0" * 64, target="y", task="classification"
        ),
    )


def test_render_from_real_decisions_on_a_better_challenger() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    y = rng.integers(0, 2, n)
    signal = y + rng.normal(0, 1.0, n)
    good = 1 / (1 + np.exp(-(y * 1.5 + rng.normal(0, 1.0, n) - 0.75)))
    weak = 1 / (1 + np.exp(-(signal * 0.5 - 0.25)))
    classes = np.array([0, 1])

    def preds(p: np.ndarray) -> Predictions:
        return Predictions(labels=(p > 0.5).astype(int), scores=np.column_stack([1 - p, p]), classes=classes)

    gate = GateSection(bootstrap_resamples=300)
    rules = [
        MetricRule(metric="roc_auc", max_regression=0.01, confidence=0.95),
        MetricRule(metric="log_loss", max_regression=0.05, relative=True, confidence=0.95),
    ]
    metrics = evaluate(y, preds(weak), preds(good), rules, gate, "classification")
    d = details(metrics)
    md = render(d)
    assert md.startswith("### shipml gate: ✅ passed")
    assert (
        "Challenger **m** v2 vs champion v1, both scored on the same 1,234 rows of the evaluation set e.csv."
        in md
    )
    roc_row = next(line for line in md.splitlines() if line.startswith("| ✅ | `roc_auc`"))
    assert "🟢 ▲ +" in roc_row and "delong" in roc_row
    loss_row = next(line for line in md.splitlines() if line.startswith("| ✅ | `log_loss`"))
    assert "🟢 ▼ -" in loss_row  # lower is better: a significant fall is green
    assert "**Why**" not in md  # nothing failed or was inconclusive
    assert summary_line(d).startswith("v2 vs champion v1 on 1234 rows; roc_auc Δ +")


def test_failures_first_with_reasons_and_slices_folded() -> None:
    metrics = [
        outcome("roc_auc", True, -0.05, True, "fail"),
        outcome("accuracy", True, 0.001, False, "pass"),
        outcome("roc_auc", True, None, False, "inconclusive", slice_="region=north|east"),
    ]
    md = render(details(metrics))
    assert md.startswith("### shipml gate: ❌ failed")
    assert "| ❌ | `roc_auc` | 0.5 | 0.45 | 🔴 ▼ -0.05 |" in md
    assert "<details><summary>Slices (1 rules, 1 inconclusive)</summary>" in md
    assert "region=north\\|east" in md  # a pipe in a value cannot break the table
    why = md.split("**Why**", 1)[1]
    assert "- roc_auc FAIL: because" in why and "- roc_auc INCONCLUSIVE: because" in why
    assert "accuracy PASS" not in why


def test_first_model_wording_and_no_deltas() -> None:
    first = MetricOutcome(
        metric="roc_auc",
        higher_is_better=True,
        challenger=0.81,
        rule="min 0.7",
        outcome="pass",
        reason="roc_auc PASS: challenger 0.81 (first model: no champion)",
    )
    d = details([first], champion=False)
    md = render(d)
    assert "No champion yet: challenger **m** v2 is the **first model**" in md
    assert "judged on absolute rules only" in md
    assert "Primary metric `roc_auc`: 0.81" in md
    assert "| ✅ | `roc_auc` | – | 0.81 | – |" in md
    assert summary_line(d) == "first model v2 on 1234 rows; roc_auc 0.81; 1 rules"


def test_budgets_table_counts_only_judged_budgets() -> None:
    budgets = [
        MetricOutcome(
            metric="latency_p95_ms_per_row",
            higher_is_better=False,
            champion=2.0,
            challenger=3.0,
            delta=1.0,
            p_value=0.001,
            test="mann-whitney",
            rule="ratio <= 1.2",
            outcome="fail",
            significant=True,
            reason="latency_p95_ms_per_row FAIL: ratio 1.5 > 1.2",
        ),
        MetricOutcome(
            metric="model_size_mb",
            higher_is_better=False,
            champion=1.0,
            challenger=1.0,
            delta=0.0,
            rule="report only",
            outcome="pass",
            reason="model_size_mb PASS: reported",
        ),
    ]
    md = render(details([outcome("roc_auc", True, 0.01, False)], budgets=budgets))
    assert "Latency and size (1 rules, 1 failed;" in md
    assert "| ❌ | `latency_p95_ms_per_row` | 2 | 3 | 🔴 ▲ +1 (×1.50) |" in md  # the ratio is what is judged
