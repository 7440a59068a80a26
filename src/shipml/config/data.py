"""The datasets a project works with; paths are relative to shipml.yaml."""

from __future__ import annotations

from pydantic import Field

from .base import Section


class DataSection(Section):
    train: str | None = Field(
        default=None, description="Training data (CSV, Parquet or a Parquet directory)."
    )
    reference: str | None = Field(default=None, description="Reference data that drift is measured against.")
    current: str | None = Field(default=None, description="New data to validate (e.g. this week's batch).")
    evaluation: str | None = Field(
        default=None, description="Held-out rows for the gate. Default: the set logged by `shipml train`."
    )
    target: str | None = Field(default=None, description="Name of the label column.")
    features: list[str] | None = Field(
        default=None, description="Feature columns. Default: every column but the target and `ignore`."
    )
    ignore: list[str] = Field(
        default_factory=list, description="Columns never used as features (ids, timestamps)."
    )
