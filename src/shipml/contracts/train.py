"""``details`` of a train result: the registered version, its lineage and its metrics.

Written by ``shipml train`` (:mod:`shipml.train.trainer`); read by ``shipml
comment``. The evaluation artifact path is part of the same contract: train logs
the held-out rows there and ``shipml gate`` reads them back from the run.
Add fields, never rename them.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import Contract

EVALUATION_ARTIFACT = "shipml/evaluation.csv"


class SplitMetrics(Contract):
    """Metric values per split; non-finite values are left out by the writer, never written as null."""

    train: dict[str, float] = Field(default_factory=dict)
    val: dict[str, float] = Field(default_factory=dict)
    test: dict[str, float] = Field(default_factory=dict)
    cv: dict[str, float] | None = None  # null without cross-validation

    def splits(self) -> dict[str, dict[str, float]]:
        """The splits that have metrics, in train, val, test, cv order."""
        named = {"train": self.train, "val": self.val, "test": self.test, "cv": self.cv}
        return {name: values for name, values in named.items() if values}


class TrainDetails(Contract):
    run_id: str
    experiment_id: str
    model_uri: str = Field(description="models:/NAME/VERSION of the registered version.")
    registered_model: str
    model_version: str
    alias: str
    task: str = Field(description='"classification" or "regression".')
    target: str
    features: list[str]
    metrics: SplitMetrics
    params: dict[str, Any]
    data_hashes: dict[str, str]
    run_url: str | None = Field(default=None, description="MLflow UI link to the run, when a UI is known.")
    # Always written by shipml train; optional so files without it (hand-written ones) still render.
    estimator: str | None = None
    rows: dict[str, int] = Field(default_factory=dict, description="Rows per split.")
    evaluation_artifact: str = EVALUATION_ARTIFACT
    git_sha: str | None = None
    abandoned_runs: list[str] = Field(
        default_factory=list,
        description="Runs a killed training left RUNNING, marked KILLED when this training started.",
    )
    tracking_uri: str | None = Field(
        default=None,
        description="Where the run lives, described without the server's address (it may be a secret), "
        "e.g. 'MLflow tracking server' or 'job-local sqlite store, discarded at job end'.",
    )
