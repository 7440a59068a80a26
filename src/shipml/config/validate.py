"""Data validation and drift policy (``validate:`` in shipml.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Section

DriftMethod = Literal["auto", "psi", "wasserstein", "jensenshannon", "ks", "chisquare", "z"]


class ColumnContract(Section):
    """One column of the schema contract derived from shipml.yaml."""

    dtype: Literal["int", "float", "number", "string", "bool", "datetime", "category"] | None = None
    nullable: bool = True
    allowed: list[str | int | float | bool] | None = Field(default=None, description="Allowed values.")
    min: float | None = None
    max: float | None = None
    required: bool = True


class ColumnDrift(Section):
    method: DriftMethod | None = None
    threshold: float | None = None


class DriftSection(Section):
    enabled: bool = True
    method: DriftMethod = Field(
        default="auto",
        description="auto: p-value tests (ks/chisquare) up to `effect_size_above_rows`, effect sizes above.",
    )
    threshold: float | None = Field(default=None, description="Per-method default when unset.")
    columns: dict[str, ColumnDrift] = Field(default_factory=dict, description="Per-column method/threshold.")
    effect_size_above_rows: int = Field(default=1000, ge=1)
    correction: Literal["holm", "bh", "none"] = Field(
        default="holm", description="Multiple-testing correction across columns for p-value methods."
    )
    share_threshold: float = Field(default=0.5, gt=0, le=1, description="Dataset drift when share >= this.")
    fail_on_drift: bool = True
    sample_rows: int | None = Field(default=None, ge=100, description="Deterministic sample size for big data.")
    seed: int = 0


class ValidateSection(Section):
    suites: list[str] = Field(default_factory=list, description="GX suite files (JSON or compact YAML).")
    contract: dict[str, ColumnContract] = Field(
        default_factory=dict, alias="schema", description="Schema contract: column -> expectations."
    )
    fail_on: Literal["error", "warning", "never"] = "error"
    drift: DriftSection = Field(default_factory=DriftSection)
