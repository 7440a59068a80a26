"""The training sequence, cheapest checks first.

Config, estimator, params, data and split are all checked before MLflow is
contacted, and MLflow is contacted before the (possibly long) fit starts: a
typo costs a second, an unreachable server costs the retry budget, and neither
leaves a run behind. From the moment the run exists, any failure marks it
FAILED and leaves the registry as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import ShipmlConfig
from ..contracts.train import EVALUATION_ARTIFACT, SplitMetrics, TrainDetails
from ..errors import require
from ..mlflow_api import store
from ..mlflow_api.client import connect
from ..progress import stage
from . import abandoned, inputs, lineage, metrics, mlflow_run, pipeline, split
from . import estimator as estimators

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class TrainOutcome:
    details: TrainDetails
    model: Any  # the fitted Pipeline, as logged
    evaluation: pd.DataFrame  # the held-out rows logged as EVALUATION_ARTIFACT


def contract_tags(task: str, target: str, features: list[str], git_sha: str | None) -> dict[str, str]:
    """The tags the gate relies on, set on the run and on the model version."""
    return {
        "shipml.task": task,
        "shipml.target": target,
        "shipml.features": json.dumps(features),
        "shipml.evaluation_artifact": EVALUATION_ARTIFACT,
        "shipml.git_sha": git_sha or "unknown",
    }


def _run_params(cfg: ShipmlConfig, spec: estimators.EstimatorSpec, rows: dict[str, int]) -> dict[str, Any]:
    prep = cfg.model.preprocessing
    sp = cfg.model.split
    params: dict[str, Any] = dict(spec.all_params())
    params.update(
        {
            "shipml.estimator": spec.source,
            "shipml.task": spec.task,
            "shipml.split.seed": sp.seed,
            "shipml.split.test_size": sp.test_size if not sp.test_file else "file",
            "shipml.split.val_size": sp.val_size if not sp.val_file else "file",
            "shipml.split.stratify": sp.stratify,
            "shipml.cv_folds": cfg.model.cv_folds,
        }
    )
    if not spec.is_factory:
        params.update({f"shipml.preprocessing.{k}": v for k, v in prep.model_dump().items()})
    params.update({f"shipml.rows.{k}": v for k, v in rows.items()})
    return params


def train(cfg: ShipmlConfig) -> TrainOutcome:
    """Train, evaluate, log and register per ``cfg``; raise a ShipmlError on any user-fixable problem."""
    for module in ("sklearn", "pandas", "skops", "mlflow"):
        require(module, "train")
    spec = estimators.resolve(cfg)
    mlflow_run.check_registered_model_name(cfg)
    tables = inputs.load(cfg, spec.task)
    splits = split.make_splits(tables, spec.task, cfg.model.split, cv_folds=cfg.model.cv_folds)
    features, target = tables.features, tables.target
    prep = cfg.model.preprocessing

    def fit(X: pd.DataFrame, y: pd.Series) -> Any:
        return pipeline.fit(spec, prep, tables.numeric, tables.categorical, X, y)

    mlflow_run.load_serializers()
    mlflow_run.quiet_loggers()
    client = connect(cfg, creates=True)
    uri = store.tracking_uri(cfg)
    origin = lineage.collect(cfg.root, tables.files)
    experiment_id = mlflow_run.ensure_experiment(client, cfg, uri)
    swept = abandoned.sweep(client, experiment_id, cfg.mlflow.abandoned_after_hours)
    rows = {"train": len(splits.train), "test": len(splits.test)}
    if splits.val is not None:
        rows["val"] = len(splits.val)
    contract = contract_tags(spec.task, target, features, origin.git_sha)
    run_name = f"{spec.name}-{(origin.git_sha or 'local')[:7]}"
    if origin.pr_number:
        run_name = f"pr{origin.pr_number}-{run_name}"
    name, alias = cfg.mlflow.registered_model, cfg.mlflow.challenger_alias

    process = {abandoned.PROCESS_TAG: abandoned.this_process().tag()}
    with mlflow_run.TrainingRun(
        client, experiment_id, run_name, {**origin.tags(), **contract, **process}
    ) as run:
        params = _run_params(cfg, spec, rows)
        run.log_params(params)
        X_train, y_train = splits.train[features], splits.train[target]
        with stage(f"Fitting {spec.name} on {len(X_train)} rows"):
            model = fit(X_train, y_train)
        with stage("Evaluating"):
            results = SplitMetrics(
                train=metrics.evaluate(spec.task, model, X_train, y_train),
                test=metrics.evaluate(spec.task, model, splits.test[features], splits.test[target]),
            )
            if splits.val is not None:
                results.val = metrics.evaluate(spec.task, model, splits.val[features], splits.val[target])
        if cfg.model.cv_folds:
            with stage(f"Cross-validating ({cfg.model.cv_folds} folds)"):
                results.cv = metrics.cross_validate(
                    spec.task,
                    fit,
                    X_train,
                    y_train,
                    folds=cfg.model.cv_folds,
                    seed=cfg.model.split.seed,
                    stratified=splits.stratified,
                )
        run.log_metrics(results.model_dump(exclude_none=True))
        evaluation = splits.test[[*features, target]]
        with stage("Logging the model to MLflow"):
            run.log_evaluation(evaluation)
            info = run.log_model(model, X_train)
        with stage(f"Registering {name} and moving @{alias}"):
            version = run.register(
                name, info, {**contract, "shipml.run_id": run.run_id, **_data_tags(origin)}
            )
            run.set_alias(name, alias, str(version.version))

    details = TrainDetails(
        run_id=run.run_id,
        experiment_id=experiment_id,
        model_uri=f"models:/{name}/{version.version}",
        registered_model=name,
        model_version=str(version.version),
        alias=alias,
        task=spec.task,
        target=target,
        features=features,
        metrics=results,
        params={k: v for k, v in params.items() if not k.startswith("shipml.")},
        data_hashes=dict(origin.data_sha256),
        run_url=mlflow_run.ui_run_url(cfg, experiment_id, run.run_id),
        estimator=spec.name,
        rows=rows,
        git_sha=origin.git_sha,
        tracking_uri=store.describe(uri),
        abandoned_runs=[item.run_id for item in swept],
    )
    return TrainOutcome(details=details, model=model, evaluation=evaluation)


def _data_tags(origin: lineage.Lineage) -> dict[str, str]:
    return {k: v for k, v in origin.tags().items() if k.startswith("shipml.data.")}
