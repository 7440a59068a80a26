"""The champion-vs-challenger decision policy (``gate:`` in shipml.yaml).

A rule is read in the metric's own direction: ``max_regression`` is how much
*worse* the challenger may be, ``min_improvement`` how much *better* it must be,
whether lower or higher is better for that metric. Comparative clauses are
decided on the confidence interval of the paired difference when ``confidence``
is set, otherwise on point estimates (the semantics of MLflow's
``validate_evaluation_results``). Absolute ``min``/``max`` always apply to the
challenger's point estimate.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Section

TestName = Literal["auto", "bootstrap", "mcnemar", "delong"]


class MetricRule(Section):
    """One metric's acceptance conditions; every clause given must hold."""

    metric: str = Field(
        description="Built-in metric name (accuracy, roc_auc, rmse, ...) or a user metric 'module:function'."
    )
    min: float | None = Field(default=None, description="Absolute floor for the challenger's point estimate.")
    max: float | None = Field(
        default=None, description="Absolute ceiling for the challenger's point estimate."
    )
    max_regression: float | None = Field(
        default=None, ge=0, description="Non-inferiority: the challenger may be worse by at most this."
    )
    min_improvement: float | None = Field(
        default=None, ge=0, description="Superiority: the challenger must be better by at least this."
    )
    relative: bool = Field(
        default=False, description="Margins are fractions of the champion's value (0.02 = 2%), not absolute."
    )
    confidence: float | None = Field(
        default=None,
        gt=0.5,
        lt=1,
        description="Decide comparative clauses on the two-sided CI at this level; null = point estimates.",
    )
    test: TestName = Field(
        default="auto",
        description="Method giving both the CI that decides and the p shown: auto = DeLong for binary "
        "roc_auc, the McNemar-type paired-proportions method for accuracy (Tango's score interval and test; "
        "exact conditional below `mcnemar_exact_below` discordant rows when set), the paired bootstrap "
        "(percentile CI) for metrics with no analytic paired method.",
    )
    higher_is_better: bool | None = Field(
        default=None,
        description="Direction of a user metric (else its function attribute `higher_is_better`); "
        "must not contradict a built-in metric.",
    )

    def describe(self) -> str:
        """The rule as one short sentence (the ``rule`` field of the result), like MLflow's
        ``MetricThreshold.__str__``; it states how a confidence bound meets the margin."""
        parts: list[str] = []
        if self.min is not None:
            parts.append(f"min {self.min:g}")
        if self.max is not None:
            parts.append(f"max {self.max:g}")
        unit = "%" if self.relative else ""
        scale = 100.0 if self.relative else 1.0
        if self.max_regression is not None:
            parts.append(f"max_regression {self.max_regression * scale:g}{unit}")
        if self.min_improvement is not None:
            parts.append(f"min_improvement {self.min_improvement * scale:g}{unit}")
        if self.max_regression is not None or self.min_improvement is not None:
            parts.append(
                f"at {self.confidence:.0%} confidence, CI bound strictly beyond the margin"
                if self.confidence
                else "on point estimates"
            )
        return ", ".join(parts)

    @model_validator(mode="after")
    def _has_a_clause(self) -> MetricRule:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        if all(v is None for v in (self.min, self.max, self.max_regression, self.min_improvement)):
            raise ValueError(
                f"rule for {self.metric!r} has no condition: give min, max, max_regression or min_improvement"
            )
        return self


class SliceSpec(Section):
    """Repeat the rules on subsets of the evaluation rows, one column's values at a time."""

    column: str = Field(description="Evaluation-set column whose values define the slices.")
    values: list[str | int | float | bool] | None = Field(
        default=None, description="Values to slice on; null = every value present in the evaluation set."
    )
    min_rows: int = Field(
        default=50, ge=1, description="Slices with fewer rows are reported as inconclusive, not decided."
    )
    rules: list[MetricRule] | None = Field(
        default=None, description="Rules for each slice; null = the gate's rules (or its default policy)."
    )


class BudgetSection(Section):
    """Serving-cost limits, measured on this machine for both models in one run."""

    latency_p95_ratio: float | None = Field(
        default=None, gt=0, description="Challenger p95 per-row latency / champion's must be <= this."
    )
    latency_p50_ratio: float | None = Field(
        default=None, gt=0, description="Challenger p50 per-row latency / champion's must be <= this."
    )
    size_ratio: float | None = Field(
        default=None, gt=0, description="Challenger serialized size / champion's must be <= this."
    )
    max_size_mb: float | None = Field(
        default=None, gt=0, description="Absolute ceiling on the challenger's serialized size in MB."
    )
    batch_size: int = Field(default=256, ge=1, description="Rows per batch for the per-batch latency.")
    latency_rows: int = Field(default=200, ge=10, description="Rows timed one at a time for per-row latency.")
    repeats: int = Field(
        default=3,
        ge=1,
        description="Most timing repetitions (models interleaved) per measure: single rows stop earlier "
        "once `latency_precision` is reached.",
    )
    latency_precision: float = Field(
        default=0.05,
        gt=0,
        le=1,
        description="Single-row timing stops once, for every model, the 95% distribution-free CI of its "
        "p50 and p95 is within ± this share of the value (checked every 50 calls, from 100 on); 0.05 "
        "= ±5%. A quantile with a ratio limit also stops once the ratio's range from those CIs is "
        "wholly below or above the limit. Capped by latency_rows × repeats calls and 20 s.",
    )


class GateSection(Section):
    """How ``shipml gate`` compares the challenger with the champion."""

    primary_metric: str | None = Field(
        default=None, description="Default: roc_auc (binary), accuracy (multiclass) or rmse (regression)."
    )
    rules: list[MetricRule] = Field(
        default_factory=list,
        description="Empty = default policy: non-inferiority on the primary metric at `confidence`, "
        "margin `default_max_regression`.",
    )
    default_max_regression: float = Field(
        default=0.01,
        ge=0,
        description="Margin of the default policy: absolute for [0, 1]-scaled metrics (AUC, accuracy, "
        "F1...), relative to the champion for unbounded ones (rmse, mae, log_loss, mape).",
    )
    confidence: float = Field(
        default=0.95, gt=0.5, lt=1, description="Level of the reported CIs and of the default policy."
    )
    threshold: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Binary classifiers with probabilities: a row is the positive class when its "
        "probability is >= this (a tie goes to the positive class); label metrics (accuracy, F1, ...) "
        "use these labels. Multiclass models use predict().",
    )
    bootstrap_resamples: int = Field(default=2000, ge=100, description="Paired bootstrap resamples.")
    seed: int = Field(
        default=0, description="Seed of the bootstrap; same seed, same resamples, same verdict."
    )
    min_rows: int = Field(default=100, ge=1, description="Fewer evaluation rows than this: inconclusive.")
    min_discordant: int = Field(
        default=10,
        ge=0,
        description="Label metrics: fewer rows (but some) where the models' predictions differ than this "
        "is too little evidence, so the rule is inconclusive. Identical predictions decide exactly.",
    )
    mcnemar_exact_below: int = Field(
        default=0,
        ge=0,
        description="Accuracy below this many discordant rows: exact conditional method (Clopper-Pearson "
        "CI, exact McNemar p), for reviews that must see the exact p; it is conservative or liberal "
        "by turns (coverage 0.93-0.98 measured, docs/gate-statistics.md). At or above (default: always): "
        "Tango's score CI with its score test (McNemar's chi-square p), near-nominal down to 8 "
        "discordant rows.",
    )
    slices: list[SliceSpec] = Field(default_factory=list, description="Per-slice repetitions of the rules.")
    budgets: BudgetSection = Field(
        default_factory=BudgetSection,
        description="Serving-cost limits (latency, size) and how they are timed.",
    )
    fail_on_inconclusive: bool = Field(
        default=False, description="Exit 4 (fail the step) when the verdict is inconclusive."
    )
