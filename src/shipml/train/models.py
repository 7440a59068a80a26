"""The ``details`` of a train result file: the contract ``shipml comment`` and the gate read.

Field names are fixed by the result-file contract; add fields, never rename.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

EVALUATION_ARTIFACT = "shipml/evaluation.csv"


class SplitMetrics(BaseModel):
    train: dict[str, float] = Field(default_factory=dict)
    val: dict[str, float] = Field(default_factory=dict)
    test: dict[str, float] = Field(default_factory=dict)
    cv: dict[str, float] | None = None


class TrainDetails(BaseModel):
    run_id: str
    experiment_id: str
    model_uri: str = Field(description="models:/NAME/VERSION of the registered version.")
    registered_model: str
    model_version: str
    alias: str
    task: Literal["classification", "regression"]
    target: str
    features: list[str]
    metrics: SplitMetrics
    params: dict[str, Any]
    data_hashes: dict[str, str]
    run_url: str | None = Field(default=None, description="MLflow UI link to the run, when a UI is known.")
    estimator: str
    rows: dict[str, int] = Field(default_factory=dict, description="Rows per split.")
    evaluation_artifact: str = EVALUATION_ARTIFACT
    git_sha: str | None = None
    tracking_uri: str = Field(description="Where the run lives (credentials redacted).")
