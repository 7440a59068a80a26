"""``details`` of a gate result: what was compared, every rule's outcome, and the verdict.

Written by ``shipml gate`` (:mod:`shipml.gate.run`, rows from
:mod:`shipml.gate.decision`); read by its own markdown, by ``shipml comment`` and
by ``shipml promote --gate-result``. Add fields, never rename them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._base import Contract

# Literals: readers act on them (colour, counts, the result's status), so a new value is a breaking change.
Outcome = Literal["pass", "fail", "inconclusive"]
Verdict = Literal["passed", "failed", "inconclusive"]


class MetricOutcome(Contract):
    """One rule (or budget) judged on one slice: an item of ``metrics`` or ``budgets``."""

    metric: str
    slice: str | None = None
    higher_is_better: bool
    champion: float | None = None
    challenger: float | None = None
    delta: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    confidence: float | None = None
    p_value: float | None = Field(
        default=None, description="The p shown in the table: p_adjusted when adjusted, else p_raw."
    )
    test: str | None = None
    method: str | None = Field(
        default=None,
        description="The one procedure that produced both the CI and the p (e.g. delong, "
        "tango-score, paired-bootstrap-percentile); null when nothing was compared.",
    )
    p_raw: float | None = Field(default=None, description="Unadjusted p of the method above.")
    p_adjusted: float | None = Field(
        default=None, description="p after the multiplicity adjustment named in `adjustment`."
    )
    adjustment: str | None = Field(
        default=None, description='How p was adjusted, e.g. "holm over 2 tests"; null: not adjusted.'
    )
    rule: str
    outcome: Outcome
    significant: bool | None = Field(
        default=False, description="Whether the change is significant; null (hand-written files): unknown."
    )
    reason: str | None = Field(
        default=None, description="One line saying why; always written by shipml gate."
    )


class ModelInfo(Contract):
    uri: str
    version: str | None = None
    run_id: str | None = None
    registered_model: str | None = None
    git_sha: str | None = Field(default=None, description="Commit the model was trained from, when recorded.")


class EvaluationInfo(Contract):
    source: str
    sha256: str
    target: str
    task: str = Field(description='"classification" or "regression".')


class GateDetails(Contract):
    verdict: Verdict
    first_model: bool
    primary_metric: str
    primary_metric_delta: float | None = None
    n_rows: int
    champion: ModelInfo | None
    challenger: ModelInfo
    metrics: list[MetricOutcome]
    budgets: list[MetricOutcome] = Field(default_factory=list)
    reasons: list[str]
    # Always written by shipml gate; optional so files without it (hand-written ones) still render.
    evaluation: EvaluationInfo | None = None
    store: str | None = Field(
        default=None,
        description="Where the registry lives, without the server's address, e.g. 'MLflow tracking server' "
        "or 'job-local sqlite store, discarded at job end'.",
    )
    recorded_tags: dict[str, str] | None = Field(
        default=None,
        description="shipml.gate.* tags written on the challenger version (what promote checks).",
    )
