"""The champion-vs-challenger decision policy (``gate:`` in shipml.yaml)."""

from __future__ import annotations

from pydantic import Field

from .base import Section


class MetricRule(Section):
    metric: str
    min: float | None = Field(default=None, description="Absolute floor for the challenger.")
    max: float | None = Field(default=None, description="Absolute ceiling for the challenger.")
    max_regression: float | None = Field(
        default=None, ge=0, description="Non-inferiority: the challenger may be worse by at most this."
    )
    min_improvement: float | None = Field(
        default=None, ge=0, description="Superiority: the challenger must be better by at least this."
    )
    relative: bool = Field(default=False, description="Margins are fractions of the champion's value.")
    confidence: float | None = Field(
        default=None, gt=0.5, lt=1, description="Decide on the CI at this level; null = point estimates."
    )


class GateSection(Section):
    primary_metric: str | None = Field(default=None, description="Default: roc_auc (binary), accuracy, or rmse.")
    rules: list[MetricRule] = Field(default_factory=list)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    bootstrap_resamples: int = Field(default=2000, ge=100)
    seed: int = 0
    min_rows: int = Field(default=100, ge=1)
    fail_on_inconclusive: bool = False
