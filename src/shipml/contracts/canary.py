"""``details`` of a canary result: the decision log, every number behind every step.

Flagger and Argo Rollouts users ask to see the metric values behind a rollback
(Flagger #1810, Argo Rollouts #2658); here each analysis records, per check, the
query as sent, the canary's and stable's values, the threshold, the outcome and
its sentence, and when. The same records go to the canary Deployment's
annotations and the report section. Add fields, never rename them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._base import Contract

CheckOutcome = Literal["pass", "fail", "inconclusive"]


class CheckRecord(Contract):
    """One check of one analysis."""

    name: str
    kind: str = Field(default="service", description='"traffic", "service" or "model".')
    query: str = Field(default="", description="The canary's query as sent to Prometheus.")
    canary: float | None = None
    stable: float | None = None
    threshold: str = Field(default="", description="What had to hold, in words (max 0.2, ≤ stable + 0.01).")
    outcome: CheckOutcome
    reason: str = ""
    unit: str = ""


class StepRecord(Contract):
    """One analysis at one weight (a held step is analysed again: several records, one weight)."""

    step: int = Field(description="Index of the weight in the steps (0-based).")
    weight: int
    at: str = Field(description="When the analysis ran (UTC, ISO 8601).")
    outcome: CheckOutcome
    action: str = Field(
        description='What followed: "advance", "hold", "retry", "pause", "promote" or "rollback".'
    )
    checks: list[CheckRecord] = Field(default_factory=list)
    analysis_s: float | None = Field(default=None, description="Seconds the queries and judging took.")
    applied_weight: int | None = Field(
        default=None,
        description="The weight actually set when the router rounds it (replica ratio: a multiple of "
        "100 / replicas); None when it is exactly `weight`.",
    )

    @property
    def failed(self) -> list[CheckRecord]:
        return [c for c in self.checks if c.outcome == "fail"]


class CanaryDetails(Contract):
    app: str = ""
    outcome: str = Field(description='"promoted", "rolled-back", "paused" or "inconclusive".')
    final_weight: int = Field(description="The canary's weight when the command ended (0 after rollback).")
    failed_check: str | None = Field(default=None, description="The check that caused the rollback.")
    steps: list[int] = Field(default_factory=list, description="The configured weights.")
    interval_s: int | None = None
    mode: str = Field(default="", description="How traffic was split (replica-ratio, gateway-api, istio).")
    log: list[StepRecord] = Field(default_factory=list)
