"""The shape of ``details`` in a validate result file.

``shipml comment`` renders these fields, possibly from a file written by another
shipml version, so the names are a contract (see the result-file section of the
README): add fields, never rename them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Severity = Literal["error", "warning"]
Kind = Literal["num", "cat"]
Role = Literal["feature", "target", "prediction"]


class ExpectationOutcome(BaseModel):  # type: ignore[no-redef]  # a field named kwargs
    suite: str
    expectation: str
    column: str | None = None
    kwargs: dict[str, Any] = Field(default_factory=dict)
    severity: Severity = "error"
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    examples: list[Any] = Field(default_factory=list)
    observed_value: Any = None
    file: str | None = None
    line: int | None = None


class Counts(BaseModel):
    evaluated: int = 0
    failed_error: int = 0
    failed_warning: int = 0


class DriftColumn(BaseModel):
    column: str
    kind: Kind
    role: Role = "feature"
    method: str
    statistic: float | None = Field(
        description="Evidently's drift score: the distance for effect-size methods, the p-value for tests."
    )
    threshold: float
    p_value: float | None = None
    p_adjusted: float | None = None
    drifted: bool


class DriftSummary(BaseModel):
    share: float
    dataset_drift: bool
    share_threshold: float
    sampled_rows: int | None = Field(
        default=None, description="Sample size per dataset when sampling applied."
    )
    reference_rows: int
    current_rows: int
    seed: int
    correction: Literal["holm", "bh", "none"]
    columns: list[DriftColumn]

    @property
    def drifted(self) -> list[DriftColumn]:
        return [c for c in self.columns if c.drifted]


class Artifacts(BaseModel):
    drift_html: str | None = None
    gx_json: str | None = None


class ValidateDetails(BaseModel):
    data: list[str]
    reference: str | None = None
    rows: int
    expectations: list[ExpectationOutcome]
    counts: Counts
    drift: DriftSummary | None = None
    artifacts: Artifacts = Field(default_factory=Artifacts)
    fail_on: Literal["error", "warning", "never"] = "error"
    fail_on_drift: bool = True
