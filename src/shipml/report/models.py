"""Read-side models of the result ``details`` other commands write.

Tolerant on purpose (unknown keys ignored, everything optional): a report built
by an older shipml from a newer command's file should show what it understands
rather than refuse. The field names follow the result-file contracts exactly.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ModelRef(_Tolerant):
    uri: str | None = None
    version: str | int | None = None
    run_id: str | None = None


class MetricRow(_Tolerant):
    metric: str
    slice: str | None = None
    higher_is_better: bool = True
    champion: float | None = None
    challenger: float | None = None
    delta: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    confidence: float | None = None
    p_value: float | None = None
    test: str | None = None
    rule: str | None = None
    outcome: Literal["pass", "fail", "inconclusive"] | None = None
    significant: bool | None = None
    reason: str | None = None


class GateDetails(_Tolerant):
    verdict: str | None = None
    first_model: bool = False
    primary_metric: str | None = None
    n_rows: int | None = None
    champion: ModelRef | None = None
    challenger: ModelRef | None = None
    metrics: list[MetricRow] = []
    budgets: list[MetricRow] = []
    reasons: list[str] = []


class Expectation(_Tolerant):
    suite: str | None = None
    expectation: str
    column: str | None = None
    # Read from "kwargs"; the attribute is renamed because pydantic's mypy plugin reserves that name.
    kwargs_: dict[str, Any] = Field(default_factory=dict, validation_alias=AliasChoices("kwargs"))
    severity: Literal["error", "warning"] = "error"
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    examples: list[Any] = []
    observed_value: Any = None
    file: str | None = None
    line: int | None = None


class Counts(_Tolerant):
    evaluated: int = 0
    failed_error: int = 0
    failed_warning: int = 0


class DriftColumn(_Tolerant):
    column: str
    kind: str | None = None
    method: str | None = None
    statistic: float | None = None
    threshold: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    drifted: bool = False


class Drift(_Tolerant):
    share: float | None = None
    dataset_drift: bool | None = None
    sampled_rows: int | None = None
    correction: str | None = None
    columns: list[DriftColumn] = []


class ValidateDetails(_Tolerant):
    expectations: list[Expectation] = []
    counts: Counts | None = None
    drift: Drift | None = None
    artifacts: dict[str, str | None] = {}


class TrainDetails(_Tolerant):
    run_id: str | None = None
    experiment_id: str | None = None
    model_uri: str | None = None
    registered_model: str | None = None
    model_version: str | int | None = None
    alias: str | None = None
    task: str | None = None
    target: str | None = None
    features: list[str] = []
    metrics: dict[str, dict[str, float | None] | None] = {}  # cv is null without cross-validation
    run_url: str | None = None


class PromoteDetails(_Tolerant):
    registered_model: str | None = None
    action: str | None = None
    champion_version: str | int | None = None
    previous_version: str | int | None = None
    alias: str | None = None
