"""How the challenger is trained (``model:`` in shipml.yaml)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import Section


class PreprocessingSection(Section):
    """The ColumnTransformer in front of the estimator; it is logged as part of the model."""

    numeric_impute: Literal["median", "mean", "most_frequent", "none"] = Field(
        default="median",
        description="How missing numeric values are filled; none = leave them to the estimator.",
    )
    scale: bool = Field(default=True, description="Standardise numeric columns (zero mean, unit variance).")
    categorical_impute: Literal["most_frequent", "constant", "none"] = Field(
        default="most_frequent",
        description="How missing categories are filled; constant = a separate 'missing' category.",
    )
    one_hot: bool = Field(default=True, description="One-hot encode categories; false = ordinal codes.")
    max_categories: int | None = Field(default=None, ge=2, description="Rarer categories share one column.")
    numeric: list[str] | None = Field(
        default=None,
        description="Columns that must be numeric. Default: numeric dtypes (and the validate schema).",
    )
    categorical: list[str] | None = Field(
        default=None, description="Columns treated as categories even if they look numeric."
    )


class SplitSection(Section):
    test_size: float = Field(default=0.2, gt=0, lt=1, description="Share of rows held out for the test set.")
    val_size: float = Field(
        default=0.0, ge=0, lt=1, description="Share of rows for a validation set (0 = none)."
    )
    seed: int = Field(
        default=42, description="Seeds the split, CV folds and an unset estimator random_state."
    )
    stratify: bool = Field(
        default=True, description="Keep class shares equal across splits (classification)."
    )
    test_file: str | None = Field(
        default=None, description="Explicit held-out file instead of a random split."
    )
    val_file: str | None = Field(default=None, description="Explicit validation file.")

    @model_validator(mode="after")
    def _room_for_training(self) -> SplitSection:
        if self.test_file is None and self.val_file is None and self.test_size + self.val_size >= 0.9:
            raise ValueError("test_size + val_size must leave at least 10% of rows for training")
        return self


class ModelSection(Section):
    task: Literal["classification", "regression"] | None = Field(
        default=None, description="Default: inferred from the estimator; required with `factory`."
    )
    estimator: str | None = Field(
        default="sklearn.ensemble.HistGradientBoostingClassifier",
        description="Import path of a scikit-learn estimator class "
        "(`pkg.module.Class` or `pkg.module:Class`).",
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="Constructor parameters of the estimator."
    )
    factory: str | None = Field(
        default=None,
        description="`module:function` called as function(X, y, params) returning a fitted estimator that "
        "takes the raw feature columns (it owns its preprocessing). "
        "Modules next to shipml.yaml are importable.",
    )
    preprocessing: PreprocessingSection = Field(default_factory=PreprocessingSection)
    split: SplitSection = Field(default_factory=SplitSection)
    cv_folds: int = Field(default=0, ge=0, description="k-fold CV on the training rows; 0 = off, else >= 2.")

    @model_validator(mode="after")
    def _one_source(self) -> ModelSection:
        if self.factory and self.estimator and "estimator" in self.model_fields_set:
            raise ValueError("set either `estimator` or `factory`, not both")
        return self

    @field_validator("cv_folds")
    @classmethod
    def _folds_ok(cls, value: int) -> int:
        if value == 1:
            raise ValueError("use 0 (off) or at least 2 folds")
        return value
