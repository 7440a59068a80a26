"""``details`` of a validate result: expectation outcomes, their counts, and the drift summary.

Written by ``shipml validate`` (:mod:`shipml.validate.pipeline`), rendered by its
own markdown and by ``shipml comment``. Add fields, never rename them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from ._base import Contract

# A Literal: readers decide on it (a failed "error" expectation blocks, a "warning" asks for a look).
Severity = Literal["error", "warning"]


class ExpectationOutcome(Contract):
    """One expectation checked on the current data."""

    # The JSON key is "kwargs"; the attribute is ``kwargs_`` because pydantic's mypy plugin
    # reserves that name for ``__init__(**kwargs)``. Writers may pass either name.
    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)

    suite: str
    expectation: str
    column: str | None = None
    kwargs_: dict[str, Any] = Field(default_factory=dict, alias="kwargs")
    severity: Severity = "error"
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    examples: list[Any] = Field(default_factory=list)
    observed_value: Any = None
    file: str | None = None
    line: int | None = None


class Counts(Contract):
    evaluated: int = 0
    failed_error: int = 0
    failed_warning: int = 0


class DriftColumn(Contract):
    column: str
    kind: str = Field(description='"num" or "cat".')
    role: str = Field(default="feature", description='"feature", "target" or "prediction".')
    method: str
    statistic: float | None = Field(
        description="Evidently's drift score: the distance for effect-size methods, the p-value for tests."
    )
    threshold: float
    p_value: float | None = None
    p_adjusted: float | None = None
    drifted: bool


class DriftSummary(Contract):
    share: float
    dataset_drift: bool
    # Always written by shipml validate; optional so files without them (hand-written ones,
    # such as the report's test fixtures) still render.
    share_threshold: float | None = None
    sampled_rows: int | None = Field(
        default=None, description="Sample size per dataset when sampling applied."
    )
    reference_rows: int | None = None
    current_rows: int | None = None
    seed: int | None = None
    correction: str = Field(description='"holm", "bh", or "none" when no column used a p-value test.')
    columns: list[DriftColumn]
    skipped_empty: list[str] = Field(
        default_factory=list,
        description="Current-data columns left out of drift because every value is missing "
        "(each fails the built-in column_not_entirely_empty check instead).",
    )

    @property
    def drifted(self) -> list[DriftColumn]:
        return [c for c in self.columns if c.drifted]


class Artifacts(Contract):
    drift_html: str | None = None
    gx_json: str | None = None


class ValidateDetails(Contract):
    # What was validated: always written by shipml validate, absent from hand-written files.
    data: list[str] = Field(default_factory=list)
    reference: str | None = None
    rows: int | None = None
    expectations: list[ExpectationOutcome]
    counts: Counts
    drift: DriftSummary | None = None
    artifacts: Artifacts = Field(default_factory=Artifacts)
    fail_on: str = Field(default="error", description='"error", "warning" or "never" (validate.fail_on).')
    fail_on_drift: bool = True
