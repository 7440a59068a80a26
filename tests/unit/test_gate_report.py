"""The gate's section: direction-aware change, colour only as a claim, one method per row, folded reasons."""

from __future__ import annotations

import numpy as np
import pytest

from shipml.config.gate import GateSection, MetricRule
from shipml.contracts.gate import EvaluationInfo, GateDetails, MetricOutcome, ModelInfo
from shipml.gate.decision import evaluate, verdict
from shipml.gate.metrics import Predictions
from shipml.report import markdown as md
from shipml.report.sections import gate as section
from shipml.report.sections import render, summarised
from shipml.results import Result


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
        outcome=result,  # type: ignore[arg-type]
        significant=significant,
        reason=f"{metric} {result.upper()}: because",
    )


@pytest.mark.parametrize(
    ("hib", "delta", "significant", "expected"),
    [
        (True, 0.02, True, "🟢 ▲ +0.0200 better"),  # AUC up, significant: better
        (True, -0.02, True, "🔴 ▼ -0.0200 worse"),  # AUC down, significant: worse
        (False, -0.02, True, "🟢 ▼ -0.0200 better"),  # log loss down, significant: better
        (False, 0.02, True, "🔴 ▲ +0.0200 worse"),  # rmse up, significant: worse
        (True, 0.02, False, "▲ +0.0200 better"),  # not significant: arrow only, no colour
        (False, 0.02, False, "▲ +0.0200 worse"),
        (True, 0.0, True, "± 0"),
        (True, None, False, "—"),
    ],
)
def test_change_is_direction_aware_and_coloured_only_when_significant(
    hib: bool, delta: float | None, significant: bool, expected: str
) -> None:
    row = section.table([outcome("m", hib, delta, significant)])[2]
    assert row.split(" | ")[3] == expected


def details(
    metrics: list[MetricOutcome],
    *,
    champion: bool = True,
    budgets: list[MetricOutcome] | None = None,
    primary: str = "roc_auc",
) -> GateDetails:
    status, reasons = verdict(metrics + [b for b in budgets or [] if b.rule != "report only"])
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
            source="evaluation set data/e.csv (data.evaluation)",
            sha256="0" * 64,
            target="y",
            task="classification",
        ),
    )


def as_result(d: GateDetails) -> Result:
    return Result(
        command="gate", status=d.verdict, details=d.model_dump(mode="json"), started_at="", duration_s=0.0
    )


def row_of(markdown: str, start: str) -> str:
    return next(line for line in markdown.splitlines() if line.startswith(start))


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
    result = summarised(as_result(d))
    markdown = result.summary_md
    assert markdown == render(result) == section.render(result)  # one renderer, whoever calls it
    assert markdown.startswith("### shipml gate: ✅ passed")
    # the evaluation file actually used is named, not the training artifact's default name
    assert "on 1,234 rows of the evaluation set data/e.csv (data.evaluation)" in markdown
    roc_row = row_of(markdown, "| **roc_auc** |")
    assert "🟢 ▲ +" in roc_row and "delong" in roc_row and roc_row.endswith("✅ pass |")
    loss_row = row_of(markdown, "| log_loss |")
    assert "🟢 ▼ -" in loss_row  # lower is better: a significant fall is green
    assert "**Why**" not in markdown  # nothing failed or was inconclusive ...
    assert "<details><summary>Why each of the 2 rules passed</summary>" in markdown  # ... reasons folded
    assert section.summary_line(d).startswith("v2 vs champion v1 on 1234 rows; roc_auc Δ +")


def test_failed_and_inconclusive_reasons_shown_the_rest_folded() -> None:
    metrics = [
        outcome("roc_auc", True, -0.05, True, "fail"),
        outcome("accuracy", True, 0.001, False, "pass"),
        outcome("roc_auc", True, None, False, "inconclusive", slice_="region=north|east"),
    ]
    markdown = render(as_result(details(metrics)))
    assert markdown.startswith("### shipml gate: ❌ failed")
    assert "| **roc_auc** | 0.5000 | 0.4500 | 🔴 ▼ -0.0500 worse |" in markdown
    assert "<details><summary>Slices (1 slice; 1 rule, 1 inconclusive)</summary>" in markdown
    assert "region=north\\|east" in markdown  # a pipe in a value cannot break the table
    why, folded = markdown.split("**Why**", 1)[1].split("<details><summary>Reasons for the other 1 rule", 1)
    assert "- roc_auc FAIL: because" in why and "- roc_auc INCONCLUSIVE: because" in why
    assert "accuracy PASS" not in why and "- accuracy PASS: because" in folded.split("</details>")[0]


def test_readers_act_on_the_typed_outcome_not_on_reason_text() -> None:
    """A reason that reads like a failure does not make a passing rule a failure, nor the reverse."""
    misleading = outcome("roc_auc", True, 0.02, True, "pass").model_copy(update={"reason": "x FAIL: y"})
    silent = outcome("accuracy", True, -0.05, True, "fail").model_copy(update={"reason": "all good"})
    markdown = render(as_result(details([misleading, silent])))
    why = markdown.split("**Why**", 1)[1].split("<details>", 1)[0]
    assert "- all good" in why and "x FAIL: y" not in why


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
    markdown = render(as_result(d))
    assert "#### Model: challenger v2 vs no champion yet" in markdown
    assert "No champion yet: the first model is judged on absolute rules (min/max) only." in markdown
    assert "| **roc_auc** | — | 0.8100 | — | — | — | — | min 0.7 | ✅ pass |" in markdown
    assert section.summary_line(d) == "first model v2 on 1234 rows; roc_auc 0.81; 1 rule"


def test_p_header_says_holm_and_the_method_column_names_the_procedure() -> None:
    adjusted = [
        outcome("roc_auc", True, 0.02, True).model_copy(
            update={"method": "delong", "p_raw": 0.005, "p_adjusted": 0.01, "adjustment": "holm over 2 tests"}
        ),
        outcome("accuracy", True, 0.01, False).model_copy(
            update={
                "method": "tango-score",
                "p_raw": 0.4,
                "p_adjusted": 0.4,
                "adjustment": "holm over 2 tests",
            }
        ),
    ]
    markdown = render(as_result(details(adjusted)))
    assert (
        "| metric | champion | challenger | change | 95% CI | p (Holm) | method | rule | result |" in markdown
    )
    assert "delong" in row_of(markdown, "| **roc_auc** |") and "tango-score" in row_of(
        markdown, "| accuracy |"
    )
    assert "_p adjusted: holm over 2 tests (unadjusted `p_raw` in the result file)._" in markdown
    raw = [r.model_copy(update={"p_adjusted": None, "adjustment": None}) for r in adjusted]
    plain = render(as_result(details(raw)))
    assert "| 95% CI | p | method |" in plain and "p adjusted" not in plain
    mixed = render(as_result(details([adjusted[0], raw[1]])))
    assert "| 95% CI | p | method |" in mixed and "0.010 (Holm) sig." in row_of(mixed, "| **roc_auc** |")


def test_p_near_alpha_shows_which_side_it_is_on() -> None:
    near = outcome("roc_auc", True, 0.02, False).model_copy(update={"p_value": 0.0504, "significant": False})
    assert "| 0.0504 n.s. |" in row_of(render(as_result(details([near]))), "| **roc_auc** |")


def _budget(
    name: str, champion: float, challenger: float, rule: str, result: str, **kw: object
) -> MetricOutcome:
    return MetricOutcome(
        metric=name,
        higher_is_better=False,
        champion=champion,
        challenger=challenger,
        delta=challenger - champion,
        rule=rule,
        outcome=result,  # type: ignore[arg-type]
        reason=f"{name} {result.upper()}: measured",
        **kw,  # type: ignore[arg-type]
    )


def test_budgets_each_quantile_its_own_comparison_and_red_only_on_a_failed_rule() -> None:
    budgets = [
        _budget(
            "latency_p50_ms_per_row",
            2.0,
            2.2,
            "ratio <= 1.2",
            "pass",
            ci_low=0.05,
            ci_high=0.35,
            confidence=0.95,
            p_value=0.003,
            significant=True,
            method="bootstrap-quantile",
        ),
        _budget(
            "latency_p95_ms_per_row",
            2.0,
            3.0,
            "ratio <= 1.2",
            "fail",
            ci_low=0.7,
            ci_high=1.3,
            confidence=0.95,
            p_value=0.2,
            significant=False,
            method="bootstrap-quantile",
        ),
        _budget("model_size_mb", 1.0, 1.5, "report only", "pass", test="measured"),
        _budget("model_size_mb", 1.0, 1.5, "ratio <= 1.1", "fail", test="measured", slice="(ruled)"),
    ]
    markdown = render(as_result(details([outcome("roc_auc", True, 0.01, False)], budgets=budgets)))
    assert "<details open><summary>Latency and size (3 budgets, 2 failed;" in markdown
    p50 = row_of(markdown, "| latency_p50_ms_per_row |")
    p95 = row_of(markdown, "| latency_p95_ms_per_row |")
    # each quantile shows its own CI and p; a significant p alone paints nothing red
    assert "| ▲ +0.200 worse (×1.10) | [+0.0500, +0.3500] | 0.003 sig. | bootstrap-quantile |" in p50
    assert "| 🔴 ▲ +1.000 worse (×1.50) | [+0.700, +1.300] | 0.200 n.s. |" in p95
    sizes = [line for line in markdown.splitlines() if line.startswith("| model_size_mb |")]
    assert "🔴" not in sizes[0] and sizes[0].endswith("✅ pass |")  # reported only: changed, not red
    assert "🔴 ▲ +0.500 worse (×1.50)" in sizes[1] and sizes[1].endswith("❌ fail |")


def test_an_error_result_renders_as_could_not_finish() -> None:
    crashed = Result(
        command="gate", status="error", summary="MLflow unreachable", started_at="", duration_s=0.0
    )
    text = render(crashed)
    assert text.startswith(f"### shipml gate: {md.icon('error')} could not finish")
    assert "MLflow unreachable" in text
