"""Data validation and drift policy (``validate:`` in shipml.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Section

DriftMethod = Literal["auto", "psi", "wasserstein", "jensenshannon", "ks", "chisquare", "z"]


class ColumnContract(Section):
    """One column of the schema contract derived from shipml.yaml."""

    dtype: Literal["int", "float", "number", "string", "bool", "datetime", "category"] | None = Field(
        default=None, description="Expected type of the column; null = any."
    )
    nullable: bool = Field(default=True, description="Whether missing values are allowed.")
    allowed: list[str | int | float | bool] | None = Field(default=None, description="Allowed values.")
    min: float | None = Field(default=None, description="Smallest allowed value (inclusive).")
    max: float | None = Field(default=None, description="Largest allowed value (inclusive).")
    required: bool = Field(default=True, description="The column must be present.")
    severity: Literal["error", "warning"] = Field(
        default="error", description="error fails the step; warning only reports."
    )

    @model_validator(mode="after")
    def _range_ok(self) -> ColumnContract:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class ColumnDrift(Section):
    method: DriftMethod | None = Field(
        default=None, description="Drift method for this column; null = drift.method."
    )
    threshold: float | None = Field(
        default=None, gt=0, description="Threshold for this column; null = the method default."
    )
    kind: Literal["num", "cat"] | None = Field(
        default=None, description="Override the inferred kind (num: numeric, cat: categorical)."
    )


class DriftSection(Section):
    enabled: bool = Field(default=True, description="Measure drift against data.reference.")
    method: DriftMethod = Field(
        default="auto",
        description="auto: p-value tests (ks/chisquare) up to `effect_size_above_rows`, effect sizes "
        "(wasserstein/jensenshannon) above. A method that does not fit a column's kind is replaced by "
        "the same family's method for that kind (ks <-> chisquare, wasserstein <-> jensenshannon).",
    )
    threshold: float | None = Field(default=None, gt=0, description="Per-method default when unset.")
    columns: dict[str, ColumnDrift] = Field(default_factory=dict, description="Per-column method/threshold.")
    ignore: list[str] = Field(
        default_factory=list, description="Columns left out of drift (besides data.ignore)."
    )
    prediction: str | None = Field(
        default=None, description="Prediction column, reported as prediction drift."
    )
    effect_size_above_rows: int = Field(
        default=1000,
        ge=1,
        description="With method auto: reference sets larger than this use effect sizes, smaller ones "
        "p-value tests.",
    )
    correction: Literal["holm", "bh", "none"] = Field(
        default="holm", description="Multiple-testing correction across columns for p-value methods."
    )
    share_threshold: float = Field(default=0.5, gt=0, le=1, description="Dataset drift when share >= this.")
    fail_on_drift: bool = Field(
        default=True, description="Fail the step on dataset drift (share >= threshold)."
    )
    sample_rows: int | None = Field(
        default=None, ge=100, description="Deterministic sample size for big data."
    )
    seed: int = Field(default=0, description="Seed of the sample_rows sampling; same seed, same rows.")


class ValidateSection(Section):
    engine: Literal["pandas", "spark"] = Field(
        default="pandas",
        description="pandas: read the data into the runner; spark: run expectations and drift where the "
        "data is, on the Spark master of the `spark:` section (needs the `spark` extra and Java 17+).",
    )
    suites: list[str] = Field(default_factory=list, description="GX suite files (JSON or compact YAML).")
    contract: dict[str, ColumnContract] = Field(
        default_factory=dict, alias="schema", description="Schema contract: column -> expectations."
    )
    fail_on: Literal["error", "warning", "never"] = Field(
        default="error",
        description="Lowest expectation severity that fails the step; never = report only.",
    )
    drift: DriftSection = Field(default_factory=DriftSection)
