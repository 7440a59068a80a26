"""Champion and challenger models for the gate/promote tests, made the way `shipml train` makes them.

Small scikit-learn Pipelines trained on the churn example, logged to a real MLflow
store per the training <-> gate contract (whole Pipeline via
``mlflow.sklearn.log_model`` with explicit pins, ``shipml/evaluation.csv`` run
artifact, ``shipml.*`` tags on run and version), so these tests do not depend on
``shipml train``. No test functions here: pytest collects nothing from this module.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from tests.conftest import EXAMPLE, REPO

TARGET = "churned"
IGNORE = ["customer_id"]
PINS = ["scikit-learn==1.9.1", "mlflow==3.17.2"]
NUMERIC = ["tenure_months", "monthly_charges", "total_charges", "support_calls", "senior"]
CATEGORICAL = ["contract", "payment_method", "internet_service", "region"]
FEATURES = NUMERIC + CATEGORICAL
_FLOATS = {
    c: "float64" for c in NUMERIC
}  # integer columns in a signature trigger MLflow's missing-value hint


@functools.cache
def churn() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train rows, held-out rows) of the example's reference data; fixed split."""
    frame = pd.read_csv(EXAMPLE / "data" / "reference.csv")
    return frame.iloc[:4000].reset_index(drop=True), frame.iloc[4000:].reset_index(drop=True)


class BrokenProba(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A classifier whose outputs are wrong in one chosen way (NaN, too few rows, too many columns)."""

    def __init__(self, mode: str = "nan") -> None:
        self.mode = mode

    def fit(self, X: Any, y: Any) -> BrokenProba:
        self.inner_ = LogisticRegression(max_iter=500).fit(X, y)
        self.classes_ = self.inner_.classes_
        return self

    def predict_proba(self, X: Any) -> np.ndarray[Any, Any]:
        proba = self.inner_.predict_proba(X)
        if self.mode == "nan":
            proba[::7] = np.nan
        elif self.mode == "short":
            proba = proba[:-3]
        elif self.mode == "cols":
            proba = np.column_stack([proba, np.zeros(len(proba))])
        return np.asarray(proba)

    def predict(self, X: Any) -> np.ndarray[Any, Any]:
        return np.asarray(self.inner_.predict(X))


def pipeline(kind: str, features: list[str] = FEATURES) -> Pipeline:
    """'good' (logistic regression), 'worse' (a depth-1 stump), 'broken-<mode>', or 'regressor'."""
    estimator: Any = {
        "good": lambda: LogisticRegression(max_iter=1000),
        "worse": lambda: DecisionTreeClassifier(max_depth=1, random_state=0),
        "tree": lambda: DecisionTreeClassifier(max_depth=3, random_state=0),
        "regressor": lambda: LinearRegression(),
    }.get(kind, lambda: BrokenProba(kind.removeprefix("broken-")))()
    pre = make_column_transformer(
        (StandardScaler(), [c for c in features if c in NUMERIC]),
        (OneHotEncoder(handle_unknown="ignore"), [c for c in features if c in CATEGORICAL]),
    )
    return make_pipeline(pre, estimator)


def log_version(
    tracking_uri: str,
    model_name: str,
    kind: str,
    *,
    alias: str | None = None,
    features: list[str] = FEATURES,
    target: str = TARGET,
    evaluation: pd.DataFrame | None = None,
    log_evaluation: bool = True,
    git_sha: str | None = "0" * 40,
) -> str:
    """Train, log and register one version as `shipml train` would; return its version number."""
    import mlflow
    from mlflow import MlflowClient

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    train, held_out = churn()
    task = "regression" if kind == "regressor" else "classification"
    model = pipeline(kind, features).fit(train[features], train[target])
    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri)
    experiment = client.get_experiment_by_name("gate-tests")
    experiment_id = experiment.experiment_id if experiment else client.create_experiment("gate-tests")
    tags = {
        "shipml.task": task,
        "shipml.target": target,
        "shipml.features": json.dumps(features),
        "shipml.evaluation_artifact": "shipml/evaluation.csv",
    }
    if git_sha is not None:  # None: a version with no recorded commit (the gate cannot check provenance)
        tags["shipml.git_sha"] = git_sha
    serialization = "cloudpickle" if kind.startswith("broken-") else "skops"
    trusted = ["sklearn.tree._tree.Tree"] if kind in ("worse", "tree") else None
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.set_tags(tags)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=model_name,
            pip_requirements=PINS,
            serialization_format=serialization,
            skops_trusted_types=trusted,
            signature=mlflow.models.infer_signature(
                train[features].head(5).astype({c: t for c, t in _FLOATS.items() if c in features})
            ),
        )
        if log_evaluation:
            rows = held_out if evaluation is None else evaluation
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "evaluation.csv"
                rows[[*features, target]].to_csv(path, index=False)
                mlflow.log_artifact(str(path), artifact_path="shipml")
    version = str(info.registered_model_version)
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, value)
    if alias:
        client.set_registered_model_alias(model_name, alias, version)
    assert run.info.run_id
    return version


def unique_name(prefix: str = "gate") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def write_config(directory: Path, tracking_uri: str | None, model_name: str, **gate: Any) -> Path:
    """A shipml.yaml for the tests: fast statistics, tiny latency sample."""
    gate_section: dict[str, Any] = {
        "primary_metric": "roc_auc",
        "bootstrap_resamples": 300,
        "rules": [
            {"metric": "roc_auc", "min": 0.7, "max_regression": 0.01, "confidence": 0.95},
            {"metric": "accuracy", "max_regression": 0.02},
        ],
        "budgets": {"latency_rows": 10, "repeats": 1, "batch_size": 64},
    }
    gate_section.update(gate)
    config = {
        "project": "gate-tests",
        "data": {"target": TARGET, "ignore": IGNORE},
        "mlflow": {"registered_model": model_name, "experiment": "gate-tests"},
        "gate": gate_section,
    }
    if tracking_uri:
        config["mlflow"]["tracking_uri"] = tracking_uri
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "shipml.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def cli_env() -> dict[str, str]:
    """Environment for CLI subprocesses: PYTHONPATH lets the CLI unpickle BrokenProba models."""
    return {"PYTHONPATH": str(REPO)}
