"""How the challenger is trained (``model:`` in shipml.yaml)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from .base import Section


class PreprocessingSection(Section):
    numeric_impute: Literal["median", "mean", "most_frequent", "none"] = "median"
    scale: bool = True
    categorical_impute: Literal["most_frequent", "constant", "none"] = "most_frequent"
    one_hot: bool = True
    max_categories: int | None = Field(default=None, ge=2)


class SplitSection(Section):
    test_size: float = Field(default=0.2, gt=0, lt=1)
    val_size: float = Field(default=0.0, ge=0, lt=1)
    seed: int = 42
    stratify: bool = True
    test_file: str | None = Field(default=None, description="Explicit held-out file instead of a random split.")
    val_file: str | None = None


class ModelSection(Section):
    task: Literal["classification", "regression"] | None = Field(
        default=None, description="Default: inferred from the estimator."
    )
    estimator: str | None = Field(
        default="sklearn.ensemble.HistGradientBoostingClassifier",
        description="Import path of a scikit-learn estimator.",
    )
    params: dict[str, Any] = Field(default_factory=dict)
    factory: str | None = Field(
        default=None, description="`module:function(X, y, params)` returning a fitted estimator instead."
    )
    preprocessing: PreprocessingSection = Field(default_factory=PreprocessingSection)
    split: SplitSection = Field(default_factory=SplitSection)
    cv_folds: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _one_source(self) -> ModelSection:
        if self.factory and self.estimator and "estimator" in self.model_fields_set:
            raise ValueError("set either `estimator` or `factory`, not both")
        return self
